"""Run a scenario once per value of one input, on the same draws, and tabulate the answers.

Every run uses the same seed, so the other inputs take the same values in every run (common
random numbers): differences between rows come from the swept value, not from sampling noise.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from simulator.analysis.claims import evaluate_claims
from simulator.io.overrides import override
from simulator.run.engine import simulate
from simulator.spec.scenario import Scenario
from simulator.stats.mc_error import wilson_interval


def sweep(scenario: Scenario, path: str, values: list[Any], *, trials: int | None = None,
          seed: int | None = None, design: str | None = None, workers: int | None = None,
          backend: str = "local", scheduler: str | None = None) -> pd.DataFrame:
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
    workers, backend, scheduler : optional
        Where the runs' chunks run, as for :func:`simulator.simulate` (results do not depend
        on it).

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
        results = simulate(variant, trials=trials, seed=seed, design=design, workers=workers,
                           backend=backend, scheduler=scheduler)
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


def crossing(table: pd.DataFrame, quantity: str, level: float, *, column: str = "p50"
             ) -> pd.Series:
    """Per strategy, the swept value at which a quantity first crosses a level.

    Reads a sweep as a threshold: "the in-house chip's unit cost at which its median net
    saving falls to zero", "the failure probability at which breaking even becomes a coin
    flip". Between two swept values the quantity is taken as linear in the value.

    Parameters
    ----------
    table : DataFrame
        From :func:`sweep`, swept over numbers (``value`` numeric, in sweep order).
    quantity : str
        A quantity of the table, e.g. ``"inhouse_net_saving"`` or ``"P(<claim>)"``.
    level : float
        The level to cross, in the quantity's unit (USD, probability, ...).
    column : str
        ``"mean"``, ``"p5"``, ``"p50"`` or ``"p95"`` (for a probability, ``"mean"`` is the
        probability and ``"p5"``/``"p95"`` the ends of its 95% interval).

    Returns
    -------
    Series
        Indexed by strategy, in the table's order: the crossing value [the swept input's
        unit]; a swept value where the quantity equals the level exactly is its own crossing;
        NaN where the quantity stays on one side of the level over the whole sweep.

    Raises
    ------
    ValueError
        If the quantity is not in the table.
    """
    rows = table[table["quantity"] == quantity]
    if rows.empty:
        known = ", ".join(dict.fromkeys(table["quantity"]))
        raise ValueError(f"no quantity {quantity!r} in the sweep; it has {known}")
    out = {}
    for strategy, grp in rows.groupby("strategy", sort=False):
        x = grp["value"].to_numpy(float)
        y = grp[column].to_numpy(float) - level
        value = float("nan")
        for k in range(len(x)):
            if y[k] == 0:
                value = x[k]
                break
            if k + 1 < len(x) and y[k] * y[k + 1] < 0:
                value = x[k] - y[k] * (x[k + 1] - x[k]) / (y[k + 1] - y[k])
                break
        out[strategy] = value
    return pd.Series(out, name=f"{quantity} {column} = {level:g}", dtype=float)
