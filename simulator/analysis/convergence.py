"""Run until a requested Monte Carlo precision is reached (or a trial limit).

Precision is read from the standard errors that every summary carries (:mod:`simulator.stats.mc_error`):
relative for means and medians of cumulative spend and NPV, absolute for claim probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from simulator.results.container import Results


def precision(results: Results) -> pd.DataFrame:
    """Standard errors of the headline estimates: mean and median of cumulative spend and NPV
    (relative), and every claim probability (absolute).

    Returns
    -------
    DataFrame
        Columns ``strategy, estimate, value, se, relative_se``.
    """
    from simulator.analysis.claims import evaluate_claims

    rows = []
    summary = results.summary().set_index(["metric", "strategy"])
    for metric in ("cumulative_spend", "npv"):
        for s in results.strategies:
            row = summary.loc[(metric, s)]
            for est, value, se in ((f"{metric} mean", row["mean"], row["mean_se"]),
                                   (f"{metric} p50", row["p50"], row["p50_se"])):
                rows.append({"strategy": s, "estimate": est, "value": value, "se": se,
                             "relative_se": se / abs(value) if value else np.nan})
    for _, c in evaluate_claims(results).iterrows():
        rows.append({"strategy": c["strategy"], "estimate": f"P({c['claim']})",
                     "value": c["probability"], "se": c["mc_se"], "relative_se": np.nan})
    return pd.DataFrame(rows)


def meets(table: pd.DataFrame, target: float) -> bool:
    """Whether every relative SE (means, medians) and absolute SE (probabilities) <= target."""
    rel = table["relative_se"].dropna()
    prob = table.loc[table["relative_se"].isna(), "se"].dropna()
    return bool((rel <= target).all() and (prob <= target).all())


def trials_needed(table: pd.DataFrame, target: float, n: int) -> int:
    """Trials for every SE to reach ``target``, from SE ~ 1/sqrt(n); at most
    :data:`MAX_NEEDED` (a target such as 1e-300 asks for more trials than a float can count)."""
    worst = max(table["relative_se"].fillna(0).max(),
                table.loc[table["relative_se"].isna(), "se"].fillna(0).max(), 1e-300)
    with np.errstate(over="ignore"):
        need = n * (np.float64(worst) / target) ** 2
    return math.ceil(need) if need < MAX_NEEDED else MAX_NEEDED


#: Upper bound of :func:`trials_needed`, far beyond any trial limit.
MAX_NEEDED = 2**62


def simulate_to_precision(simulate_fn: Callable[[int], Results], *, target: float,
                          start_trials: int, max_trials: int, chunk_size: int
                          ) -> tuple[Results, list[dict]]:
    """Run in growing batches until :func:`meets` holds or ``max_trials`` is reached.

    Chunk k always draws from stream k, so a longer run repeats the shorter one's trials and
    adds new ones: the final result is exactly ``simulate(trials=final)``.

    Parameters
    ----------
    simulate_fn : callable
        ``simulate_fn(trials) -> Results`` (same scenario, seed and design every time).
    target : float
        Precision to reach: relative SE of means and medians, absolute SE of probabilities.
    start_trials, max_trials, chunk_size : int

    Returns
    -------
    results : Results
    batches : list of dict
        Per batch: trials and the worst SEs.
    """
    n = min(start_trials, max_trials)
    batches = []
    while True:
        results = simulate_fn(n)
        table = precision(results)
        batches.append({"trials": n, "met": meets(table, target),
                        "worst_relative_se": float(table["relative_se"].max()),
                        "worst_probability_se": float(
                            table.loc[table["relative_se"].isna(), "se"].max())
                        if table["relative_se"].isna().any() else None})
        if batches[-1]["met"] or n >= max_trials:
            return results, batches
        # overshoot a little, round up to whole chunks, and at least double
        want = max(2 * n, int(trials_needed(table, target, n) * 1.1))
        n = min(max_trials, math.ceil(want / chunk_size) * chunk_size)
