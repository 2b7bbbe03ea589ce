"""Run a scenario once per value of one input, on the same draws, and tabulate the answers.

Every run uses the same seed, so the other inputs take the same values in every run (common
random numbers): differences between rows come from the swept value, not from sampling noise.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from simulator.analyse.claims import evaluate_claims
from simulator.io.loading import override
from simulator.run.engine import simulate
from simulator.spec.scenario import Scenario
from simulator.stats.mc_error import wilson_interval


def sweep(scenario: Scenario, path: str, values: list[Any], *, trials: int | None = None,
          seed: int | None = None, design: str | None = None) -> pd.DataFrame:
    """Simulate the scenario with ``path`` set to each value in turn.

    Parameters
    ----------
    scenario : Scenario
    path : str
        Key path to set, e.g. ``"demand.growth.initial"`` or ``"demand.growth.decay.high"``.
    values : list
        Values in YAML forms (numbers, money strings, distribution mappings).
    trials, seed, design : optional
        As for :func:`simulator.simulate`; the same for every run.

    Returns
    -------
    DataFrame
        One row per value, strategy and quantity: ``value, strategy, quantity, unit, mean, p5,
        p50, p95``, where quantities are the headline metrics (:meth:`Results.metrics`) and
        ``P(<claim>)`` for each claim (probability in ``mean``, its 95% interval in p5/p95).

    Raises
    ------
    ScenarioError
        If the path or a value is invalid (checked for every value before any run).
    """
    variants = [(value, override(scenario, {path: value})) for value in values]
    frames = []
    for value, variant in variants:
        results = simulate(variant, trials=trials, seed=seed, design=design)
        summary = results.summary().rename(columns={"metric": "quantity"})
        rows = summary[["strategy", "quantity", "unit", "mean", "p5", "p50", "p95"]].copy()
        # a probability's band is its 95% interval, not the 0/1 percentiles of its indicator
        prob = rows["unit"] == "probability"
        k = (rows.loc[prob, "mean"] * results.trials_total).round()
        rows.loc[prob, "p5"], rows.loc[prob, "p95"] = wilson_interval(k, results.trials_total)
        rows.loc[prob, "p50"] = rows.loc[prob, "mean"]
        claims = evaluate_claims(results)
        if not claims.empty:
            rows = pd.concat([rows, pd.DataFrame({
                "strategy": claims["strategy"], "quantity": "P(" + claims["claim"] + ")",
                "unit": "probability", "mean": claims["probability"], "p5": claims["ci_low"],
                "p50": claims["probability"], "p95": claims["ci_high"]})], ignore_index=True)
        frames.append(rows.assign(value=_label(value)))
    out = pd.concat(frames, ignore_index=True)
    return out[["value", "strategy", "quantity", "unit", "mean", "p5", "p50", "p95"]]


def _label(value: Any) -> Any:
    return value if isinstance(value, int | float | str) else str(value)
