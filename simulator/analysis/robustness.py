"""Robust choices across scenarios: regret against the best setting per trial, satisficing,
the recommended robust setting with its reason, and a scenario file's stress variants."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from simulator.analysis.candidates import lever_strategy
from simulator.analysis.frontier import statistic
from simulator.analysis.lever_evaluation import Evaluation, evaluate
from simulator.analysis.optimize import LeverSearch
from simulator.spec.scenario import Scenario

# -- robustness across scenarios ---------------------------------------------------------------

def regret_table(evaluations: dict[str, Evaluation]) -> pd.DataFrame:
    """Regret and satisficing of the same candidates across scenarios.

    Parameters
    ----------
    evaluations : dict of str to Evaluation
        Scenario name -> the candidates (same names, any order) evaluated in it.

    Returns
    -------
    DataFrame
        One row per candidate and scenario: ``candidate, scenario, cost_metric,
        mean_regret, mean_regret_se, p95_regret`` [USD], ``satisfices`` (every constraint's
        estimate met), ``satisficing_trials`` (share of trials meeting every constraint's
        per-trial condition). Then one row per candidate with ``scenario = "all"``: the worst
        mean regret over scenarios (in ``worst_scenario``), the largest P95, the share of
        scenarios it satisfices in, the mean satisficing share of trials, ``average_regret``
        (mean over scenarios) and ``gap``: its worst-case regret minus the leader's (the
        candidate satisficing most often with the smallest worst-case regret), with ``gap_se``,
        the paired standard error of that difference in its worst scenario [USD].
    """
    rows, costs = [], {}
    for scen, ev in evaluations.items():
        cost = ev.objectives[0]
        x = ev.metric(cost)
        costs[scen] = {c.name: x[i] for i, c in enumerate(ev.candidates)}
        regret = x - np.nanmin(x, axis=0)[None, :]
        n = regret.shape[1]
        ok_trials = np.ones_like(regret, dtype=bool)
        sat = np.ones(len(ev.candidates), dtype=bool)
        for con in ev.constraints:
            values = ev.metric(con.statistic)
            ok_trials &= con.trial_ok(values)
            sat &= con.met(statistic(values, con.statistic)[0])
        mean = np.nanmean(regret, axis=1)
        se = np.nanstd(regret, axis=1, ddof=1) / np.sqrt(n)
        p95 = np.nanpercentile(regret, 95, axis=1)
        for i, c in enumerate(ev.candidates):
            rows.append({"candidate": c.name, "scenario": scen,
                         "cost_metric": cost.metric.label.rsplit(" ", 2)[0],
                         "mean_regret": mean[i], "mean_regret_se": se[i], "p95_regret": p95[i],
                         "satisfices": bool(sat[i]),
                         "satisficing_trials": float(ok_trials[i].mean())})
    per = pd.DataFrame(rows)
    overall = per.groupby("candidate", sort=False).agg(
        mean_regret=("mean_regret", "max"), p95_regret=("p95_regret", "max"),
        satisfices=("satisfices", "mean"), satisficing_trials=("satisficing_trials", "mean"),
        average_regret=("mean_regret", "mean"), cost_metric=("cost_metric", "first"))
    worst = per.loc[per.groupby("candidate", sort=False)["mean_regret"].idxmax()]
    overall["worst_scenario"] = worst.set_index("candidate")["scenario"]
    overall["mean_regret_se"] = worst.set_index("candidate")["mean_regret_se"]
    top = overall[overall["satisfices"] == overall["satisfices"].max()]
    leader = top["mean_regret"].idxmin()
    overall["gap"] = overall["mean_regret"] - overall.loc[leader, "mean_regret"]
    gap_se = []
    for name, row in overall.iterrows():
        mine, theirs = costs[row["worst_scenario"]].get(name), \
            costs[row["worst_scenario"]].get(leader)
        # regret differences are cost differences on the same trials: pairing removes the
        # noise both share
        d = None if mine is None or theirs is None else mine - theirs
        gap_se.append(np.nanstd(d, ddof=1) / np.sqrt(np.isfinite(d).sum())
                      if d is not None and np.isfinite(d).sum() > 1 else np.nan)
    overall["gap_se"] = gap_se
    overall = overall.reset_index().assign(scenario="all")
    out = pd.concat([per, overall], ignore_index=True)
    return out[["candidate", "scenario", "cost_metric", "mean_regret", "mean_regret_se",
                "p95_regret", "satisfices", "satisficing_trials", "worst_scenario",
                "average_regret", "gap", "gap_se"]]


def robust_choice(regret: pd.DataFrame) -> tuple[str, str]:
    """The robust choice from :func:`regret_table` and the reason, in one sentence.

    The candidates satisficing in the largest share of scenarios; among them the one with the
    smallest worst-case mean regret, unless others are within two paired standard errors of it
    (a tie the trials cannot settle): then, of those, the one with the smallest regret averaged
    over the scenarios.

    Returns
    -------
    name : str
    reason : str
    """
    overall = regret[regret["scenario"] == "all"].set_index("candidate")
    n_scen = regret.loc[regret["scenario"] != "all", "scenario"].nunique()
    top = overall[overall["satisfices"] == overall["satisfices"].max()]
    tied = top[(top["gap"] <= 2 * top["gap_se"].fillna(0))]
    name = tied["average_regret"].idxmin() if len(tied) > 1 else top["mean_regret"].idxmin()
    pick = overall.loc[name]
    k = round(pick["satisfices"] * n_scen)
    scenarios = f"{n_scen} scenario" + ("s" if n_scen != 1 else "")
    worst = (f"in its worst one ({pick['worst_scenario']}) its {pick['cost_metric']} is on "
             f"average {_money(pick['mean_regret'])} above the best setting of each trial")
    if len(tied) > 1:
        reason = (f"it meets every constraint in {k} of {scenarios}, {worst}, which "
                  f"{len(tied) - 1} other settings match within Monte Carlo error, and of "
                  f"those it has the smallest regret averaged over the scenarios "
                  f"({_money(pick['average_regret'])})")
    else:
        reason = (f"it meets every constraint in {k} of {scenarios}, and {worst}, the "
                  "smallest worst-case regret of the settings compared")
    cheaper = overall[(overall["satisfices"] < pick["satisfices"])
                      & (overall["mean_regret"] < pick["mean_regret"])]
    if len(cheaper):
        reason += (f" ({len(cheaper)} setting{'s' if len(cheaper) != 1 else ''} with less "
                   "worst-case regret fail a constraint in some scenario)")
    return str(name), reason


def _money(x: float) -> str:
    for unit, div in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if abs(x) >= div:
            return f"${x / div:,.2f}{unit}" if unit == "T" else f"${x / div:,.0f}{unit}" \
                if abs(x) >= 10 * div else f"${x / div:,.1f}{unit}"
    return f"${x:,.0f}"


def robustness(scenarios: dict[str, Scenario], names: Sequence[str], *,
               reference: LeverSearch, trials: int | None = None, seed: int | None = None,
               workers: int | None = None) -> pd.DataFrame:
    """Evaluate the named candidates of a search in other scenarios and tabulate regret.

    Parameters
    ----------
    scenarios : dict of str to Scenario
        Variants (each with the same levers, e.g. by ``extends:``); the search's own scenario
        is taken from the search.
    names : sequence of str
        Candidates of ``reference`` to compare (e.g. the frontier and the current strategies).
    reference : LeverSearch
    trials, seed, workers : optional
        Default: the search's trials and seed.

    Returns
    -------
    DataFrame
        :func:`regret_table`.
    """
    ev0 = reference.evaluation
    pos = {c.name: i for i, c in enumerate(ev0.candidates)}
    chosen = [pos[n] for n in names]
    evs = {ev0.scenario.name: ev0.subset(chosen)}
    texts = [s.text for s in ev0.objectives], [c.text for c in ev0.constraints]
    for name, sc in scenarios.items():
        cands = []
        for i in chosen:
            c = ev0.candidates[i]
            if c.current:
                if c.name in sc.strategies:
                    cands.append(replace(c, strategy=sc.strategies[c.name]))
                continue
            variant = lever_strategy(sc, c.levers)
            if variant is not None:
                cands.append(replace(variant, name=c.name))
        evs[name] = evaluate(sc, cands, objectives=texts[0], constraints=texts[1],
                             trials=trials or ev0.trials, seed=ev0.seed if seed is None else seed,
                             workers=workers)
    return regret_table(evs)


def variants_of(path: str | os.PathLike) -> list[str]:
    """Scenario files in the same folder that extend ``path`` directly and keep its scope (its
    stress variants).

    Returns
    -------
    list of str
        Paths, sorted by name.
    """
    from pathlib import Path

    from simulator.errors import ScenarioError
    from simulator.io.yaml_source import parse_yaml

    base = Path(path).resolve()
    out = []
    for other in sorted(base.parent.glob("*.y*ml")):
        if other.resolve() == base:
            continue
        try:
            data, _ = parse_yaml(other.read_text(), str(other))
        except (OSError, UnicodeDecodeError, ScenarioError):
            # an unreadable file is not a variant; 'simulate validate' reports it
            continue
        parent = data.get("extends") if isinstance(data, dict) else None
        # a child with a scope of its own models another subject (a company copied from the
        # template), not a stress test of this one
        if isinstance(parent, str) and (other.parent / parent).resolve() == base \
                and "scope" not in data:
            out.append(str(other))
    return out
