"""Which sourcing mix to choose: lever settings on common random numbers, a frontier of cost,
dependence and tail risk, and robust choices across scenarios.

A lever setting (:mod:`simulator.spec.levers`) is a strategy. Every setting is evaluated on the same
draws: each chunk of trials is sampled once, from the same stream as :func:`simulator.simulate`
uses, and the cost model runs on it for batch after batch of candidate strategies, so that
differences between settings are paired and a search is not fooled by sampling noise.

Statistics and their Monte Carlo errors
    Each objective or constraint is a statistic of a per-trial metric (mean, median, percentile,
    CVaR, probability of an event). Its standard error comes from its influence function
    ``psi_i`` (``estimate ~ truth + mean(psi)``): ``x_i - mean`` for a mean;
    ``(q - 1[x_i <= Q]) / f(Q)`` for a q-quantile, with the density ``f`` read off the
    order-statistic standard error of :mod:`simulator.mc_error`;
    ``max(x_i - VaR, 0) / (1 - a) + VaR - CVaR`` for a CVaR at level a; ``1[event] - p`` for a
    probability. Then ``se = sqrt(sum psi^2) / n``, and the standard error of the difference of
    two settings' statistics, on the same trials, is the same with ``psi_a - psi_b``: pairing
    removes the noise the two share.

Frontier
    A feasible setting (every constraint met by its estimate) is on the frontier when no other
    feasible setting is at least as good in every objective and better in one; the set is
    computed exactly over the evaluated settings. For every setting, ``p_dominated`` is the
    largest, over frontier settings that dominate its estimates, of a lower bound on the
    probability that they truly dominate it: ``1 - sum_k Phi(-z_k)`` (Bonferroni) with ``z_k``
    the paired difference in objective k over its standard error.

Search
    The whole grid of lever values when it has at most ``budget`` distinct strategies. Else,
    with several objectives, a Latin hypercube snapped to the grid (three quarters of the
    budget) and then the grid neighbours of the settings it puts on the frontier; with a single
    objective, differential evolution (:func:`scipy.optimize.differential_evolution`) over grid
    positions. Every round is evaluated on the same draws.

Regret and robustness
    Across scenarios (the base and its stress variants), each setting's regret on a trial is its
    cost (the first objective's metric) minus the lowest cost of any evaluated setting on that
    trial. A setting satisfices in a scenario when its estimates meet every constraint; its
    satisficing share of trials is the share where every constraint's per-trial condition holds.
    The robust choice meets the constraints in the most scenarios and, among those, has the
    smallest worst-case mean regret; settings within two paired standard errors of it tie, and
    the tie goes to the smallest regret averaged over the scenarios.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from simulator.analysis.candidates import (
    BUDGET,
    Candidate,
    candidates,
    lever_settings,
    lever_strategy,
    scenario_levers,
    strategy_key,
)
from simulator.analysis.frontier import frontier_table
from simulator.analysis.lever_evaluation import Evaluation, evaluate, parse_statistics, with_statistics
from simulator.spec.levers import Levers
from simulator.spec.scenario import Scenario

# -- the public entry point ----------------------------------------------------------------------

def optimize(scenario: Scenario, *, budget: int = BUDGET, trials: int | None = None,
             seed: int | None = None, objectives: Sequence[str] | None = None,
             constraints: Sequence[str] | None = None, workers: int | None = None,
             current: bool = True) -> pd.DataFrame:
    """Search the scenario's levers for the settings on the cost-dependence-risk frontier.

    Parameters
    ----------
    scenario : Scenario
        With a ``levers`` section.
    budget : int
        Lever settings to evaluate at most: the whole grid when it fits, else a Latin
        hypercube snapped to the grids.
    trials, seed : int, optional
        Default: the scenario's.
    objectives, constraints : sequence of str, optional
        Default: the scenario's ``levers.objectives`` and ``levers.constraints``.
    workers : int, optional
        Local processes (the numbers do not depend on it).
    current : bool
        Also evaluate the scenario's own strategies, on the same draws.

    Returns
    -------
    DataFrame
        :func:`frontier_table`: one row per candidate, sorted frontier first, then by the first
        objective; ``attrs["method"]`` says how the settings were chosen.
    """
    ev = evaluate_levers(scenario, budget=budget, trials=trials, seed=seed,
                         objectives=objectives, constraints=constraints, workers=workers,
                         current=current)
    return ev.table


@dataclass(frozen=True)
class LeverSearch:
    """An evaluation and its frontier table (see :func:`evaluate_levers`)."""

    evaluation: Evaluation
    table: pd.DataFrame
    method: str


def evaluate_levers(scenario: Scenario, *, budget: int = BUDGET, trials: int | None = None,
                    seed: int | None = None, objectives: Sequence[str] | None = None,
                    constraints: Sequence[str] | None = None, workers: int | None = None,
                    current: bool = True) -> LeverSearch:
    """Like :func:`optimize`, keeping the per-trial values (for regret across scenarios).

    With several objectives and more distinct settings than ``budget``, a Latin hypercube takes
    three quarters of the budget and the grid neighbours of its frontier settings the rest.
    With one objective and more distinct settings than ``budget``, the settings are chosen by
    differential evolution (:func:`scipy.optimize.differential_evolution`) over the levers'
    grid positions instead of a Latin hypercube: every generation is evaluated on the same
    draws, so the search minimises a deterministic function (the sample-average estimate) and
    is not misled by sampling noise.
    """
    seed_ = scenario.seed if seed is None else int(seed)
    scenario = with_statistics(scenario, objectives, constraints)
    objectives = constraints = None  # now the scenario's, checked against it
    objs, _ = parse_statistics(scenario, objectives, constraints)
    settings, method = lever_settings(scenario, budget=budget, seed=seed_)
    kw = {"objectives": objectives, "constraints": constraints, "trials": trials, "seed": seed_,
          "workers": workers}
    if method == "grid":
        ev = evaluate(scenario, candidates(scenario, settings, current=current), **kw)
    elif len(objs) > 1:
        ev, method = _refine(scenario, budget=budget, current=current, **kw)
    else:
        ev, method = _evolve(scenario, budget=budget, current=current, **kw)
    table = frontier_table(ev)
    first = ev.objectives[0].text
    order = np.lexsort((table[first].to_numpy(), ~table["on_frontier"].to_numpy()))
    table = table.iloc[order].reset_index(drop=True)
    table.attrs["method"] = method
    return LeverSearch(evaluation=ev.subset(order), table=table, method=method)


#: Stands for the objective of a setting that is not a strategy or fails a constraint.
_PENALTY = 1e30


def _evolve(scenario: Scenario, *, budget: int, current: bool, objectives, constraints, trials,
            seed: int, workers) -> tuple[Evaluation, str]:
    """Differential evolution over the levers' grid positions (integers), one objective, on
    common random numbers; every setting it evaluates is kept."""
    from scipy.optimize import differential_evolution

    levers = scenario_levers(scenario)
    names = list(levers.vary)
    grids = [levers.vary[k].grid() for k in names]
    kw = {"objectives": objectives, "constraints": constraints, "trials": trials, "seed": seed,
          "workers": workers}
    parts = [evaluate(scenario, candidates(scenario, [], current=True), **kw)] if current else []
    seen = {strategy_key(scenario, c) for p in parts for c in p.candidates}
    score: dict[tuple[int, ...], float] = {}
    evaluated = [0]

    def positions(x: np.ndarray) -> tuple[int, ...]:
        return tuple(int(np.clip(round(v), 0, len(g) - 1)) for v, g in zip(x, grids, strict=True))

    def objective(x: np.ndarray) -> np.ndarray:
        rows = [positions(col) for col in np.atleast_2d(x).T]
        new: dict[tuple[int, ...], Candidate] = {}
        for pos in rows:
            if pos in score or pos in new:
                continue
            cand = lever_strategy(scenario, {k: float(g[i]) for k, g, i in
                                             zip(names, grids, pos, strict=True)})
            if cand is None or evaluated[0] + len(new) >= budget:
                score[pos] = _PENALTY
            else:
                new[pos] = cand
        if new:
            ev = evaluate(scenario, list(new.values()), **kw)
            table = frontier_table(ev)
            value = table[ev.objectives[0].text].to_numpy()
            feasible = table["feasible"].to_numpy()
            keep = []
            for j, (pos, cand) in enumerate(new.items()):
                score[pos] = float(value[j]) if feasible[j] else _PENALTY
                key = strategy_key(scenario, cand)
                if key not in seen:
                    seen.add(key)
                    keep.append(j)
            evaluated[0] += len(new)
            parts.append(ev.subset(keep))
        return np.array([score[pos] for pos in rows])

    n = len(names)
    # about a quarter of the budget per generation: an initial Latin hypercube and three more
    popsize = max(2, budget // (4 * n))
    differential_evolution(objective, bounds=[(0, len(g) - 1) for g in grids],
                           integrality=[True] * n, vectorized=True, updating="deferred",
                           popsize=popsize, maxiter=max(1, budget // (popsize * n)),
                           polish=False, init="latinhypercube", tol=0,
                           rng=np.random.default_rng(seed))
    if not parts:
        raise ValueError("no lever setting within the budget is a strategy (shares add up to "
                         "more than 1)")
    return _merge(parts), "differential evolution"


def _merge(parts: Sequence[Evaluation]) -> Evaluation:
    """Evaluations of different candidates on the same draws, as one."""
    return replace(parts[0], candidates=[c for p in parts for c in p.candidates],
                   values={k: np.concatenate([p.values[k] for p in parts])
                           for k in parts[0].values})


#: Share of the budget a multi-objective search spends on its Latin hypercube; the rest goes
#: to the grid neighbours of the settings that design puts on the frontier.
DESIGN_SHARE = 0.75


def _refine(scenario: Scenario, *, budget: int, current: bool, **kw: Any) -> tuple[Evaluation, str]:
    """A Latin hypercube, then the grid neighbours (one lever one step away) of its frontier
    settings, all on the same draws, within the budget."""
    levers = scenario_levers(scenario)
    # a hypercube of the smaller size keeps its stratification (a cut one would not)
    first, _ = lever_settings(scenario, budget=max(1, int(DESIGN_SHARE * budget)),
                              seed=kw["seed"])
    ev = evaluate(scenario, candidates(scenario, first, current=current), **kw)
    table = frontier_table(ev)
    seen = {strategy_key(scenario, c) for c in ev.candidates}
    grids = {k: lv.grid() for k, lv in levers.vary.items()}
    extra: list[Candidate] = []
    room = budget - len(first)
    front = [ev.candidates[i] for i in np.flatnonzero(table["on_frontier"].to_numpy())]
    for cand in front:
        if cand.current:
            continue
        for name, grid in grids.items():
            at = int(np.argmin(np.abs(grid - cand.levers[name])))
            for step in (-1, 1):
                if not 0 <= at + step < len(grid) or len(extra) >= room:
                    continue
                near = lever_strategy(scenario, {**cand.levers, name: float(grid[at + step])})
                if near is not None and strategy_key(scenario, near) not in seen:
                    seen.add(strategy_key(scenario, near))
                    extra.append(near)
    if not extra:
        return ev, "latin hypercube"
    return _merge([ev, evaluate(scenario, extra, **kw)]), "latin hypercube + frontier neighbours"


def compared_settings(table: pd.DataFrame, levers: Levers, cost: str) -> list[str]:
    """Candidates worth comparing across scenarios: the frontier, the scenario's own strategies,
    and for every value of every lever the feasible setting best in the cost objective (so
    that each in-house share and each timing has a representative).

    Parameters
    ----------
    table : DataFrame
        :func:`frontier_table`.
    levers : Levers
    cost : str
        Column of the cost objective (the first objective's text).

    Returns
    -------
    list of str
        Candidate names, without repeats.
    """
    names = [*table.loc[table["on_frontier"], "candidate"],
             *table.loc[table["current"], "candidate"]]
    ok = table[table["feasible"] & ~table["current"]].sort_values(cost, kind="stable")
    for lever in levers.vary:
        names += [group.iloc[0]["candidate"] for _, group in ok.groupby(lever, sort=True)]
    return list(dict.fromkeys(names))
