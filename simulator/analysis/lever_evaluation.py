"""Lever settings evaluated on common random numbers: each chunk of trials is sampled once,
from the same stream as :func:`simulator.simulate` uses, and the cost model runs on it for batch
after batch of candidate strategies, so that differences between settings are paired."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from simulator.analysis.candidates import Candidate, scenario_levers
from simulator.io.overrides import override
from simulator.model.chunk import categories, run_chunk
from simulator.results.container import Results
from simulator.results.fields import TRIAL_FIELDS, trial_major
from simulator.results.metrics import claim_metric
from simulator.run.guard import check_finite
from simulator.run.plan import CHUNK_SIZE, chunk_rng
from simulator.sample.draws import Draws, sample
from simulator.spec.claim_spec import ClaimSpec
from simulator.spec.levers import Constraint, Statistic, parse_constraint, parse_statistic
from simulator.spec.scenario import Scenario

#: Candidate strategies evaluated together on one chunk of draws: the engine's spend array
#: grows with the batch (strategy x category x year x trial, float32: ~8 MB per strategy at
#: 16,384 trials), and batches amortise the strategy-independent parts of a chunk.
BATCH = 8


class SearchTooLargeError(ValueError):
    """The per-trial values a search must keep would not fit in memory."""


#: Largest size of the per-trial values an evaluation keeps (candidates x trials x metrics,
#: float64) [bytes]: regret and tail statistics need every trial of every candidate.
MAX_VALUES_BYTES = 2_000_000_000


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
    objs, cons = parse_statistics(scenario, objectives, constraints)
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

        with ProcessPoolExecutor(max_workers=workers, initializer=exit_with_parent,
                                 initargs=(os.getpid(),)) as pool:
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
    scenario_levers(scenario)
    return override(scenario, changes, source=source)


def parse_statistics(scenario: Scenario, objectives: Sequence[str] | None,
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
