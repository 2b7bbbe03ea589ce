"""Why a run's answers come out as they do: the dependence supplier's units by reason (what
binds a strategy that aims to cut its dependence) and the in-house program's net saving by
category."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulator.model.saving import SAVING_PARTS
from simulator.model.steps import REASONS

if TYPE_CHECKING:
    from simulator.results.container import Results


def dependence_reasons(results: Results) -> pd.DataFrame:
    """The dependence supplier's units over the horizon by reason, per strategy.

    ``planned``: the strategy's own shares; ``cap``, ``delay``, ``failure``: as the fallback for
    what another supplier could not deliver because of its capacity (or a shock's supply cut),
    a slipped volume start, or a failed or cancelled generation.

    Returns
    -------
    DataFrame
        ``strategy, reason, units_mean [compute units], share [-], binding [bool]``: share of
        the mean total; ``binding`` marks the largest of cap, delay and failure when any is
        positive (the constraint that keeps the dependence up beyond the plan).
    """
    rows = []
    for i, s in enumerate(results.strategies):
        means = {r: float(np.mean(getattr(results, f"dependence_units_{r}")[i], dtype=np.float64))
                 for r in REASONS}
        total = sum(means.values())
        blocked = {r: means[r] for r in REASONS[1:]}
        top = max(blocked, key=blocked.get) if max(blocked.values()) > 0 else None
        rows += [{"strategy": s, "reason": r, "units_mean": means[r],
                  "share": means[r] / total if total > 0 else np.nan, "binding": r == top}
                 for r in REASONS]
    return pd.DataFrame(rows)


def inhouse_saving_breakdown(results: Results) -> pd.DataFrame:
    """The in-house net saving by category for strategies with an in-house supplier.

    Returns
    -------
    DataFrame
        ``strategy, part, mean, p50 [USD]``; parts ``chips``, ``servers``, ``facilities``,
        ``program`` and ``total`` (the mean of the parts adds up to the total's).
    """
    rows = []
    for i, s in enumerate(results.strategies):
        if np.isnan(results.inhouse_net_saving[i]).all():
            continue
        for part in (*SAVING_PARTS, "total"):
            v = (results.inhouse_net_saving[i] if part == "total"
                 else getattr(results, f"inhouse_saving_{part}")[i])
            rows.append({"strategy": s, "part": part, "mean": float(v.mean()),
                         "p50": float(np.median(v))})
    return pd.DataFrame(rows, columns=["strategy", "part", "mean", "p50"])
