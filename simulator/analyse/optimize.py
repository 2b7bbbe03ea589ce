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

import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr
from scipy.stats import qmc

from simulator.io.loading import override
from simulator.model.chunk import categories, run_chunk
from simulator.results.container import Results
from simulator.results.fields import TRIAL_FIELDS, trial_major
from simulator.results.metrics import claim_metric
from simulator.run.guard import check_finite
from simulator.run.plan import CHUNK_SIZE, chunk_rng
from simulator.sample.draws import Draws, sample
from simulator.spec.claim_spec import ClaimSpec
from simulator.spec.levers import Constraint, Levers, Statistic, parse_constraint, parse_statistic
from simulator.spec.scenario import Scenario, Strategy
from simulator.stats.mc_error import percentiles_with_se

#: Candidate strategies evaluated together on one chunk of draws: the engine's spend array
#: grows with the batch (strategy x category x year x trial, float32: ~8 MB per strategy at
#: 16,384 trials), and batches amortise the strategy-independent parts of a chunk.
BATCH = 8

#: Default number of lever settings evaluated.
BUDGET = 200


class SearchTooLargeError(ValueError):
    """The per-trial values a search must keep would not fit in memory."""


#: Largest size of the per-trial values an evaluation keeps (candidates x trials x metrics,
#: float64) [bytes]: regret and tail statistics need every trial of every candidate.
MAX_VALUES_BYTES = 2_000_000_000


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
    levers = _levers(scenario)
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


def _levers(scenario: Scenario) -> Levers:
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
    levers = _levers(scenario)
    names = list(levers.vary)
    grids = [levers.vary[k].grid() for k in names]
    size = int(np.prod([len(g) for g in grids]))
    seen: set[tuple] = set()

    def fresh(values: dict[str, float]) -> bool:
        cand = lever_strategy(scenario, values)
        if cand is None:
            return False
        key = _key(scenario, cand)
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
    seen = {_key(scenario, c) for c in out}
    for values in settings:
        cand = lever_strategy(scenario, values)
        if cand is None:
            continue
        key = _key(scenario, cand)
        if key not in seen:
            seen.add(key)
            out.append(cand)
    return out


def _key(scenario: Scenario, cand: Candidate) -> tuple:
    """What makes two candidates the same strategy: shares and lease shares by year, the
    fallback, and program start years of the in-house suppliers used."""
    years, names = scenario.years, scenario.supplier_names
    shares = cand.strategy.share_matrix(years, names)
    used = tuple(sorted((s, y) for s, y in cand.program_start.items() if cand.strategy.uses(s)))
    return (np.round(shares, 9).tobytes(), np.round(cand.strategy.lease_path(years), 9).tobytes(),
            cand.strategy.fallback if shares[:, [names.index(s) for s in
                                                 scenario.inhouse_suppliers()]].any() else None,
            used)


# -- evaluation on common random numbers -----------------------------------------------------

def _metric_key(claim: ClaimSpec) -> tuple[str, int | None]:
    return claim.base_metric, claim.year


def _program_variant(scenario: Scenario, starts: dict[str, int]) -> Scenario:
    """The scenario with in-house programs starting in other years (first volume moving with
    them)."""
    if not starts:
        return scenario
    changes = {}
    for name, year in starts.items():
        prog = scenario.suppliers[name].program
        changes[f"suppliers.{name}.program.start_year"] = year
        changes[f"suppliers.{name}.program.first_volume_year"] = \
            year + prog.first_volume_year - prog.start_year
    return override(scenario, changes, source="a program_start lever")


def _sampling_scenario(scenario: Scenario, cands: Sequence[Candidate]) -> Scenario:
    """The variant whose programs start earliest: it has the most chip generations, so its
    generation-failure draws contain every variant's (the first columns)."""
    earliest: dict[str, int] = {}
    for c in cands:
        for s, y in c.program_start.items():
            earliest[s] = min(earliest.get(s, scenario.suppliers[s].program.start_year), y)
    return _program_variant(scenario, earliest)


@dataclass(frozen=True)
class _Group:
    """Candidates sharing one scenario variant, run as one batch on every chunk."""

    scenario: Scenario   # the variant, its strategies = baseline + the batch
    index: list[int]     # positions of the batch's candidates in the evaluation


def _groups(scenario: Scenario, cands: Sequence[Candidate], batch: int) -> list[_Group]:
    by_variant: dict[tuple, list[int]] = {}
    for i, c in enumerate(cands):
        by_variant.setdefault(tuple(sorted(c.program_start.items())), []).append(i)
    base_name = scenario.baseline_strategy
    base = scenario.strategies[base_name]
    out = []
    for starts, idx in by_variant.items():
        variant = _program_variant(scenario, dict(starts))
        for k in range(0, len(idx), batch):
            part = idx[k:k + batch]
            # the baseline stays first: a start level in GW is converted to compute units at
            # its mix, which must be the same in every batch for the draws to mean the same
            strategies = {base_name: base} | {f"candidate {i}": cands[i].strategy for i in part}
            out.append(_Group(variant.model_copy(update={"strategies": strategies,
                                                         "baseline": base_name}), part))
    return out


def _as_results(scenario: Scenario, out: Any) -> Results:
    """One chunk's engine output as Results (views in Results' axis order)."""
    fields = {name: trial_major(name, getattr(out, name)) for name in TRIAL_FIELDS}
    return Results(scenario=scenario, strategies=tuple(scenario.strategy_names),
                   years=scenario.years, categories=tuple(categories(scenario)),
                   category_spend=None, totals=None, **fields, inputs={}, provenance={})


def _for_variant(draws: Draws, variant: Scenario) -> Draws:
    """The draws with each in-house supplier's generation failures cut to the variant's
    number of generations (a later program has fewer; generation g keeps its own draw)."""
    cut = {}
    for name, fails in draws.generation_fails.items():
        n_gen = variant.suppliers[name].program.generations(int(variant.years[-1]))
        cut[name] = fails[:, :n_gen]
    return replace(draws, generation_fails=cut)


def _run_groups(sampling: Scenario, groups: list[_Group], claims: list[ClaimSpec], trials: int,
                seed: int, chunk_size: int, design: str | None
                ) -> tuple[list[list[int]], dict[tuple, np.ndarray]]:
    """Evaluate groups of candidates on every chunk of draws; each chunk is sampled once.

    Returns
    -------
    index : list of list of int
        Each group's candidate positions.
    values : dict of metric key to ndarray, shape (candidates of these groups, trials)
    """
    n_cand = sum(len(g.index) for g in groups)
    keys = list(dict.fromkeys(_metric_key(c) for c in claims))
    values = {k: np.empty((n_cand, trials)) for k in keys}
    n_chunks = -(-trials // chunk_size)
    for k in range(n_chunks):
        lo, hi = k * chunk_size, min((k + 1) * chunk_size, trials)
        draws = sample(sampling, hi - lo, rng=chunk_rng(seed, k), design=design)
        row = 0
        for g in groups:
            d = _for_variant(draws, g.scenario)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                out = run_chunk(g.scenario, d)
            check_finite(g.scenario, d, out, first_trial=lo)
            results = _as_results(g.scenario, out)
            done = set()
            for claim in claims:
                key = _metric_key(claim)
                if key in done:
                    continue
                done.add(key)
                with np.errstate(invalid="ignore", divide="ignore"):
                    values[key][row:row + len(g.index), lo:hi] = claim_metric(results, claim)[1:]
            row += len(g.index)
    return [g.index for g in groups], values


def _worker(args: tuple) -> tuple[list[list[int]], dict[tuple, np.ndarray]]:
    """:func:`_run_groups` with one BLAS thread: the engine's matrix products are small, and
    extra BLAS threads only spin, taking the core another worker needs."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _run_groups(*args)


@dataclass(frozen=True)
class Evaluation:
    """Per-trial metric values of candidates evaluated on the same draws.

    Attributes
    ----------
    scenario : Scenario
    candidates : list of Candidate, length C
    values : dict of (metric, year) to ndarray, shape (C, n), float64
        Per-trial values of each metric an objective or constraint needs [metric's unit].
    objectives : list of Statistic
    constraints : list of Constraint
    trials, seed : int
    """

    scenario: Scenario
    candidates: list[Candidate]
    values: dict[tuple[str, int | None], np.ndarray]
    objectives: list[Statistic]
    constraints: list[Constraint]
    trials: int
    seed: int

    def metric(self, stat: Statistic) -> np.ndarray:
        """Per-trial values of a statistic's metric, shape (C, n)."""
        return self.values[_metric_key(stat.metric)]

    def subset(self, index: Sequence[int]) -> Evaluation:
        """The same evaluation restricted to some candidates."""
        idx = list(index)
        return replace(self, candidates=[self.candidates[i] for i in idx],
                       values={k: v[idx] for k, v in self.values.items()})


def evaluate(scenario: Scenario, cands: Sequence[Candidate], *,
             objectives: Sequence[str] | None = None, constraints: Sequence[str] | None = None,
             trials: int | None = None, seed: int | None = None, design: str | None = None,
             chunk_size: int = CHUNK_SIZE, workers: int | None = None,
             batch: int = BATCH) -> Evaluation:
    """Evaluate candidates on common random numbers.

    Chunk k of trials is drawn from the same stream as in :func:`simulator.simulate` (with the
    same ``chunk_size``), so a current strategy's numbers equal a plain run's (unless a
    program_start lever moves a program earlier than the scenario's, which draws more chip
    generations).

    Parameters
    ----------
    scenario : Scenario
    cands : sequence of Candidate
    objectives, constraints : sequence of str, optional
        Default: the scenario's ``levers`` section (or its defaults).
    trials, seed, design : optional
        As for :func:`simulator.simulate`.
    chunk_size : int
    workers : int, optional
        Local processes; default one per core when there is more than one batch. The numbers
        do not depend on it.
    batch : int
        Candidates per engine call.

    Returns
    -------
    Evaluation

    Raises
    ------
    SearchTooLargeError
        When the per-trial values would exceed ``MAX_VALUES_BYTES``.
    """
    objs, cons = _statistics(scenario, objectives, constraints)
    n = scenario.trials if trials is None else int(trials)
    seed = scenario.seed if seed is None else int(seed)
    claims = [s.metric for s in objs] + [c.statistic.metric for c in cons]
    sampling = _sampling_scenario(scenario, cands)
    groups = _groups(scenario, cands, batch)
    workers = min(os.cpu_count() or 1, len(groups)) if workers is None else \
        max(1, min(int(workers), len(groups)))
    keys = list(dict.fromkeys(_metric_key(c) for c in claims))
    need = 8 * len(cands) * n * len(keys)
    if need > MAX_VALUES_BYTES:
        raise SearchTooLargeError(f"{len(cands)} candidates x {n:,} trials x {len(keys)} metrics would "
                         f"keep {need / 1e9:.1f} GB of per-trial values (at most "
                         f"{MAX_VALUES_BYTES / 1e9:.0f} GB): lower the trials or the budget")
    values = {k: np.empty((len(cands), n)) for k in keys}
    if workers == 1:
        parts = [_worker((sampling, groups, claims, n, seed, chunk_size, design))]
    else:
        # two tasks per worker balance the load; each samples every chunk once
        tasks = [groups[i::2 * workers] for i in range(2 * workers)]
        tasks = [t for t in tasks if t]
        from simulator.run.parallel import exit_with_parent

        with ProcessPoolExecutor(max_workers=workers, initializer=exit_with_parent) as pool:
            parts = list(pool.map(_worker, [(sampling, t, claims, n, seed, chunk_size, design)
                                            for t in tasks]))
    for index, part in parts:
        rows = [i for idx in index for i in idx]
        for k in keys:
            values[k][rows] = part[k]
    return Evaluation(scenario=scenario, candidates=list(cands), values=values,
                      objectives=objs, constraints=cons, trials=n, seed=seed)


def with_statistics(scenario: Scenario, objectives: Sequence[str] | None = None,
                    constraints: Sequence[str] | None = None, *,
                    source: str = "objectives and constraints") -> Scenario:
    """The scenario with other objectives or constraints in its ``levers`` section, validated
    like a file (metric names, years in the horizon, the dependence supplier's name).

    Raises
    ------
    ScenarioError
        Naming ``source`` and ``levers.objectives[k]`` or ``levers.constraints[k]``.
    """
    changes: dict[str, Any] = {}
    if objectives is not None:
        changes["levers.objectives"] = list(objectives)
    if constraints is not None:
        changes["levers.constraints"] = list(constraints)
    if not changes:
        return scenario
    _levers(scenario)
    return override(scenario, changes, source=source)


def _statistics(scenario: Scenario, objectives: Sequence[str] | None,
                constraints: Sequence[str] | None) -> tuple[list[Statistic], list[Constraint]]:
    levers = scenario.levers
    objs = [parse_statistic(t) for t in (objectives if objectives is not None else
                                         levers.objectives if levers is not None else
                                         ("mean npv", "mean dependence_share", "cvar95 npv"))]
    cons = [parse_constraint(t) for t in (constraints if constraints is not None else
                                          levers.constraints if levers is not None else ())]
    if not objs:
        raise ValueError("give at least one objective, e.g. 'mean npv'")
    return objs, cons


# -- statistics with Monte Carlo errors --------------------------------------------------------

def statistic(values: np.ndarray, stat: Statistic) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A statistic per candidate, its Monte Carlo standard error and influence values.

    Parameters
    ----------
    values : ndarray, shape (C, n)
        Per-trial metric values; NaN (a share in a year without purchases) is left out.
    stat : Statistic

    Returns
    -------
    estimate, se : ndarray, shape (C,)
    influence : ndarray, shape (C, n)
        ``psi`` with ``se = sqrt(sum psi^2) / n``; zero where the value is NaN.
    """
    x = np.asarray(values, dtype=float)
    valid = ~np.isnan(x)
    n = x.shape[1]
    n_valid = np.maximum(valid.sum(axis=1), 1)
    scale = (n / n_valid)[:, None]
    if stat.event:
        hit = stat.metric.holds(x).astype(float)
        est = np.where(valid, hit, 0.0).sum(axis=1) / n_valid
        psi = np.where(valid, hit - est[:, None], 0.0) * scale
    elif stat.stat == "mean":
        est = np.where(valid, x, 0.0).sum(axis=1) / n_valid
        psi = np.where(valid, x - est[:, None], 0.0) * scale
    elif stat.stat.startswith("cvar"):
        a = stat.level
        var = np.nanquantile(x, a, axis=1)
        excess = np.where(valid, np.maximum(x - var[:, None], 0.0), 0.0)
        est = var + excess.sum(axis=1) / n_valid / (1 - a)
        psi = np.where(valid, excess / (1 - a) + (var - est)[:, None], 0.0) * scale
    else:
        q = 0.5 if stat.stat == "median" else stat.level
        est = np.nanquantile(x, q, axis=1)
        se_q = np.array([percentiles_with_se(row[ok], (100 * q,))[1][0] if ok.any() else np.nan
                         for row, ok in zip(x, valid, strict=True)])
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.sqrt(q * (1 - q) / n_valid) / se_q
            psi = np.where(valid & (se_q[:, None] > 0),
                           (q - (x <= est[:, None])) / density[:, None], 0.0) * scale
    se = np.sqrt((psi ** 2).sum(axis=1)) / n
    return est, se, psi


def nondominated(points: np.ndarray) -> np.ndarray:
    """Which rows are not dominated (all objectives minimised).

    Parameters
    ----------
    points : ndarray, shape (C, K)

    Returns
    -------
    ndarray of bool, shape (C,)
        True where no other row is <= in every column and < in one. Exact, O(C^2 K).
    """
    p = np.asarray(points, dtype=float)
    le = (p[:, None, :] <= p[None, :, :]).all(axis=2)   # le[b, a]: b <= a everywhere
    lt = (p[:, None, :] < p[None, :, :]).any(axis=2)
    dominated = (le & lt).any(axis=0)
    return ~dominated


def frontier_table(ev: Evaluation) -> pd.DataFrame:
    """Every candidate with its statistics, feasibility and place on the frontier.

    Returns
    -------
    DataFrame
        One row per candidate: ``candidate, current``, one column per lever, for every
        objective and constraint statistic ``<text>`` and ``<text>_se`` [its unit], for every
        constraint ``ok: <constraint>``; ``feasible`` (every constraint met), ``on_frontier``,
        ``p_dominated`` (lower bound on the probability that a frontier setting dominates it,
        paired; 0 on the frontier unless another frontier setting nearly ties it),
        ``dominated_by`` and, when the scenario's baseline strategy is among the candidates,
        ``vs_baseline`` and ``vs_baseline_se``: the first objective minus the baseline's, with
        its paired standard error.
    """
    cands = ev.candidates
    lever_names = list(ev.scenario.levers.vary) if ev.scenario.levers is not None else []
    table: dict[str, Any] = {"candidate": [c.name for c in cands],
                             "current": [c.current for c in cands]}
    for k in lever_names:
        table[k] = [c.levers.get(k, np.nan) for c in cands]
    est, se, psi = [], [], []
    for stat in ev.objectives:
        e, s, p = statistic(ev.metric(stat), stat)
        table[stat.text], table[f"{stat.text}_se"] = e, s
        est.append(e)
        se.append(s)
        psi.append(p)
    feasible = np.ones(len(cands), dtype=bool)
    for con in ev.constraints:
        e, s, _ = statistic(ev.metric(con.statistic), con.statistic)
        if con.statistic.text not in table:
            table[con.statistic.text], table[f"{con.statistic.text}_se"] = e, s
        ok = con.met(e)
        table[f"ok: {con.text}"] = ok
        feasible &= ok
    points = np.stack(est, axis=1)
    front = np.zeros(len(cands), dtype=bool)
    idx = np.flatnonzero(feasible)
    front[idx[nondominated(points[idx])]] = True
    p_dom, by = _domination(points, psi, front, ev.trials)
    table.update(feasible=feasible, on_frontier=front, p_dominated=p_dom,
                 dominated_by=[cands[b].name if b >= 0 else "" for b in by])
    base = ev.scenario.baseline_strategy if ev.scenario is not None else None
    at = [i for i, c in enumerate(cands) if c.current and c.name == base]
    if at:
        # each candidate's first objective against the baseline strategy, paired
        b = at[0]
        table["vs_baseline"] = est[0] - est[0][b]
        table["vs_baseline_se"] = np.sqrt(((psi[0] - psi[0][b]) ** 2).sum(axis=1)) / ev.trials
    return pd.DataFrame(table)


def _domination(points: np.ndarray, psi: list[np.ndarray], front: np.ndarray, n: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate: the best lower bound on the probability that a frontier candidate
    dominating its estimates truly dominates it, and which one (-1: none)."""
    conf = np.zeros(len(points))
    by = np.full(len(points), -1)
    f_idx = np.flatnonzero(front)
    for a in range(len(points)):
        dominators = [b for b in f_idx if b != a and (points[b] <= points[a]).all()
                      and (points[b] < points[a]).any()]
        for b in dominators:
            miss = 0.0
            for k, p in enumerate(psi):
                se = np.sqrt(((p[a] - p[b]) ** 2).sum()) / n
                diff = points[a, k] - points[b, k]
                miss += 0.0 if diff == 0 and se == 0 else float(ndtr(-diff / se)) if se > 0 \
                    else 0.0
            c = max(0.0, 1.0 - miss)
            if c > conf[a] or by[a] < 0:
                conf[a], by[a] = c, b
    return conf, by


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
    objs, _ = _statistics(scenario, objectives, constraints)
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

    levers = _levers(scenario)
    names = list(levers.vary)
    grids = [levers.vary[k].grid() for k in names]
    kw = {"objectives": objectives, "constraints": constraints, "trials": trials, "seed": seed,
          "workers": workers}
    parts = [evaluate(scenario, candidates(scenario, [], current=True), **kw)] if current else []
    seen = {_key(scenario, c) for p in parts for c in p.candidates}
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
                key = _key(scenario, cand)
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
    levers = _levers(scenario)
    # a hypercube of the smaller size keeps its stratification (a cut one would not)
    first, _ = lever_settings(scenario, budget=max(1, int(DESIGN_SHARE * budget)),
                              seed=kw["seed"])
    ev = evaluate(scenario, candidates(scenario, first, current=current), **kw)
    table = frontier_table(ev)
    seen = {_key(scenario, c) for c in ev.candidates}
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
                if near is not None and _key(scenario, near) not in seen:
                    seen.add(_key(scenario, near))
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
