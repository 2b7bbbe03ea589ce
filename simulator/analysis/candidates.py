"""Lever settings as candidate strategies: the grid of a scenario's levers, designs over it, and
the strategy each setting makes (:mod:`simulator.spec.levers`)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from simulator.spec.levers import Levers
from simulator.spec.scenario import Scenario
from simulator.spec.strategies import Strategy

#: Default number of lever settings evaluated.
BUDGET = 200



@dataclass(frozen=True)
class Candidate:
    """A strategy to evaluate: a lever setting, or one of the scenario's own strategies.

    Attributes
    ----------
    name : str
        ``inhouse_share=0.4, inhouse_year=2030`` for a setting, the strategy's name otherwise.
    levers : dict of str to float
        Lever values (empty for the scenario's own strategies).
    strategy : Strategy
    program_start : dict of str to int
        In-house supplier -> first year of program spending, where a lever moves it.
    current : bool
        One of the scenario's own strategies.
    """

    name: str
    levers: dict[str, float]
    strategy: Strategy
    program_start: dict[str, int]
    current: bool = False


# -- candidates ----------------------------------------------------------------------------------

def lever_strategy(scenario: Scenario, values: dict[str, float]) -> Candidate | None:
    """The strategy of one lever setting, or None when its shares add up to more than 1.

    Parameters
    ----------
    scenario : Scenario
        With a ``levers`` section.
    values : dict of str to float
        A value for every lever.

    Returns
    -------
    Candidate or None
    """
    levers = scenario_levers(scenario)
    t = levers.template
    target = dict(t.shares)
    target_year, lease, program = t.target_year, t.lease_share, {}
    for name, lever in levers.vary.items():
        v = float(values[name])
        if lever.kind == "share":
            target[lever.supplier] = v
        elif lever.kind == "target_year":
            target_year = round(v)
        elif lever.kind == "lease_share":
            lease = v
        else:
            program[lever.supplier] = round(v)
    rest = 1.0 - sum(target.values())
    if rest < -1e-9:
        return None
    target[t.remainder] = max(rest, 0.0)
    target = {s: round(v, 10) for s, v in target.items() if v > 0}
    start = t.start_shares or {t.remainder: 1.0}
    strategy = Strategy.model_validate({
        "description": t.description, "fallback": t.fallback,
        "shares": {str(t.ramp_from): start, str(target_year): target},
        "lease_share": {"all": lease}})
    label = ", ".join(f"{k}={_fmt(values[k], levers.vary[k].integer)}" for k in levers.vary)
    return Candidate(name=label, levers={k: float(values[k]) for k in levers.vary},
                     strategy=strategy, program_start=program)


def _fmt(value: float, integer: bool) -> str:
    return f"{round(value)}" if integer else f"{value:.4g}"


def scenario_levers(scenario: Scenario) -> Levers:
    if scenario.levers is None:
        raise ValueError(f"scenario {scenario.name!r} has no 'levers' section: add one (see "
                         "scenarios/base.yaml) to search over strategies")
    return scenario.levers


def lever_settings(scenario: Scenario, *, budget: int = BUDGET, seed: int = 0
                   ) -> tuple[list[dict[str, float]], str]:
    """Lever settings to evaluate, each a distinct strategy (settings whose shares add up to
    more than 1 are left out, and of settings giving the same strategy, e.g. every target year
    of a zero share, the first is kept): the whole grid when it has at most ``budget`` such
    settings, else ``budget`` of them from a Latin hypercube over the levers snapped to their
    grids.

    Returns
    -------
    settings : list of dict
    method : str
        ``"grid"`` or ``"latin hypercube"``.
    """
    levers = scenario_levers(scenario)
    names = list(levers.vary)
    grids = [levers.vary[k].grid() for k in names]
    size = int(np.prod([len(g) for g in grids]))
    seen: set[tuple] = set()

    def fresh(values: dict[str, float]) -> bool:
        cand = lever_strategy(scenario, values)
        if cand is None:
            return False
        key = strategy_key(scenario, cand)
        if key in seen:
            return False
        seen.add(key)
        return True

    if size <= max(50 * budget, 10_000):
        grid = [dict(zip(names, map(float, combo), strict=True))
                for combo in itertools.product(*grids)]
        grid = [v for v in grid if fresh(v)]
        if len(grid) <= budget:
            return grid, "grid"
        seen.clear()
    lhs = qmc.LatinHypercube(len(names), rng=np.random.default_rng(seed))
    out: list[dict[str, float]] = []
    for _ in range(20):  # duplicates after snapping: draw again until the budget is filled
        for row in lhs.random(budget):
            values = {k: float(levers.vary[k].snap(row[j])) for j, k in enumerate(names)}
            if fresh(values):
                out.append(values)
            if len(out) == budget:
                return out, "latin hypercube"
    return out, "latin hypercube"


def candidates(scenario: Scenario, settings: Sequence[dict[str, float]], *,
               current: bool = True) -> list[Candidate]:
    """Candidates for lever settings (infeasible share sums dropped, settings that give the same
    strategy kept once), after the scenario's own strategies when ``current``."""
    out = [Candidate(name=name, levers={}, strategy=s, program_start={}, current=True)
           for name, s in scenario.strategies.items()] if current else []
    seen = {strategy_key(scenario, c) for c in out}
    for values in settings:
        cand = lever_strategy(scenario, values)
        if cand is None:
            continue
        key = strategy_key(scenario, cand)
        if key not in seen:
            seen.add(key)
            out.append(cand)
    return out


def strategy_key(scenario: Scenario, cand: Candidate) -> tuple:
    """What makes two candidates the same strategy: shares and lease shares by year, the
    fallback, and program start years of the in-house suppliers used."""
    years, names = scenario.years, scenario.supplier_names
    shares = cand.strategy.share_matrix(years, names)
    used = tuple(sorted((s, y) for s, y in cand.program_start.items() if cand.strategy.uses(s)))
    return (np.round(shares, 9).tobytes(), np.round(cand.strategy.lease_path(years), 9).tobytes(),
            cand.strategy.fallback if shares[:, [names.index(s) for s in
                                                 scenario.inhouse_suppliers()]].any() else None,
            used)
