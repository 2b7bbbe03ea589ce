"""Where a run spends its time, three ways (on demand, not in CI).

Run from the repository root::

    python benchmarks/profile_engine.py [--trials 200000] [--scenario scenarios/base.yaml]
    python benchmarks/profile_engine.py --stages [--trials 1000000] [--repeat 3]
    python benchmarks/profile_engine.py --model [--trials 65536] [--scenario ...]

Without ``--stages``: cProfile of one single-process run, top functions by own time.

With ``--stages``: wall time of every stage of a one-process run, done the way ``simulate()``
does it (one BLAS thread, the run's ``keep_trials``), so that the stages add up to a run: setup
(the plan, the accumulator and its per-trial arrays), then per chunk the draws
(``RunPlan.draws``), the cost model (``run_chunk``), the finiteness check, keeping per-trial
arrays (``Accumulator._store``), streamed totals (means, paired comparisons, claims) and the
category histograms, and once at the end merging the chunks' sums and totals into ``Results``.
``simulate()`` is timed on the same trials in the same process, alternately before and after the
stages (whichever runs second finds memory the first has already had from the system); the last
line says what share of its wall time the stages account for. Medians of ``--repeat`` runs.

With ``--model``: inside the cost model alone, the ms per chunk of each named step of
``run_chunk`` (cumulative, so nested steps are also counted in their callers), from cProfile
over the chunks of ``--trials`` (its overhead inflates the figures a little).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from simulator import load_scenario, simulate
from simulator.model.chunk import run_chunk
from simulator.results.provenance import provenance
from simulator.results.totals import RunTotals
from simulator.run.accumulator import Accumulator
from simulator.run.blocks import freed_memory_kept
from simulator.run.engine import KEEP_TRIALS
from simulator.run.guard import check_finite
from simulator.run.plan import CHUNK_SIZE, RunPlan

STAGES = ("setup (plan, accumulator, arrays)", "draws", "cost model (run_chunk)",
          "finiteness check", "keeping per-trial arrays", "streamed totals",
          "category histograms", "merging chunks and building Results")
#: Stages run once per run rather than per chunk.
ONCE = (STAGES[0], STAGES[-1])


def stages(scenario_path: str, trials: int, keep_trials: int | None = KEEP_TRIALS, *,
           simulate_first: bool = False) -> tuple[dict[str, list[float]], float]:
    """Wall seconds of each stage of a one-process run, done as :func:`simulate` does it (one
    entry per chunk, or one for the stages run once), and the wall time of ``simulate()``
    itself on the same trials, measured right after (or right before)."""
    scenario = load_scenario(scenario_path)
    clock = time.perf_counter
    wall = None
    if simulate_first:
        t = clock()
        simulate(scenario, trials=trials, seed=1, workers=1, keep_trials=keep_trials)
        wall = clock() - t
    times: dict[str, list[float]] = {s: [] for s in STAGES}
    t = clock()
    plan = RunPlan(scenario=scenario, trials=trials, seed=1, design=None,
                   chunk_size=CHUNK_SIZE, keep_spend=False, keep_trials=keep_trials)
    acc = Accumulator(scenario, trials, keep_spend=False, keep_trials=plan.keep_trials)
    times[STAGES[0]].append(clock() - t)
    # as run_block: the accumulator first, then the chunks under the run's memory setting
    with threadpool_limits(limits=1, user_api="blas"), freed_memory_kept():
        for k in range(plan.n_chunks):
            lo, hi = plan.chunk_bounds(k)
            t0 = clock()
            draws = plan.draws(k)
            t1 = clock()
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                out = run_chunk(scenario, draws)
            t2 = clock()
            check_finite(scenario, draws, out, first_trial=lo)
            t3 = clock()
            # Accumulator.add, stage by stage
            m = max(0, min(hi - lo, acc.n_kept - lo))
            if m:
                acc._store(lo, m, draws, out)
            t4 = clock()
            totals = RunTotals()
            totals.add(acc.chunk_results(draws, out))
            acc.chunk_totals[k] = totals
            t5 = clock()
            acc.chunk_sums[k] = acc.histogram.add(out.spend, axis=3)
            t6 = clock()
            for stage, dt in zip(STAGES[1:-1], (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4,
                                                t6 - t5), strict=True):
                times[stage].append(dt)
    t = clock()
    prov = provenance(scenario, seed=1, trials=trials, chunk_size=CHUNK_SIZE,
                      design=scenario.sampling.design, wall_seconds=0.0)
    acc.results(prov)
    times[STAGES[-1]].append(clock() - t)
    del acc, out, draws
    if wall is None:
        t = clock()
        simulate(scenario, trials=trials, seed=1, workers=1, keep_trials=keep_trials)
        wall = clock() - t
    return times, wall


#: The named steps of one chunk (simulator.model), in the order run_chunk calls them.
MODEL_STEPS = (("chunk", "run_chunk"), ("chunk", "_context"), ("paths", "supply"),
               ("paths", "_inhouse_capacity"), ("paths", "demand"), ("chunk", "_strategy"),
               ("steps", "fleet"), ("sourcing", "allocate"), ("steps", "service_costs"),
               ("steps", "cash"), ("steps", "facility_cash"), ("steps", "leasing"),
               ("saving", "inhouse_saving"), ("steps", "economic_cost"),
               ("steps", "dependence_units"), ("cost_model", "in_service"),
               ("cash_timing", "cash_by_year"), ("chunk", "_cash"))


def model_steps(scenario_path: str, trials: int) -> tuple[dict[str, tuple[int, float]], int]:
    """Calls and cumulative seconds of each of :data:`MODEL_STEPS` over the chunks of
    ``trials`` (draws made beforehand, not counted), and the number of chunks."""
    scenario = load_scenario(scenario_path)
    plan = RunPlan(scenario=scenario, trials=trials, seed=1, design=None,
                   chunk_size=CHUNK_SIZE, keep_spend=False)
    profile = cProfile.Profile()
    with threadpool_limits(limits=1, user_api="blas"), \
            np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        run_chunk(scenario, plan.draws(0))  # warm-up
        for k in range(plan.n_chunks):
            draws = plan.draws(k)
            profile.enable()
            run_chunk(scenario, draws)
            profile.disable()
    stats = pstats.Stats(profile).stats
    found = {}
    for (path, _, name), (_, calls, _, cumulative, _) in stats.items():
        for module, step in MODEL_STEPS:
            if name == step and path.endswith(f"simulator/model/{module}.py"):
                found[f"{module}.{step}"] = (calls, cumulative)
    return found, plan.n_chunks


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=200_000)
    p.add_argument("--scenario", default="scenarios/base.yaml")
    p.add_argument("--top", type=int, default=18)
    p.add_argument("--stages", action="store_true",
                   help="wall time of every stage of a run, against simulate()'s")
    p.add_argument("--repeat", type=int, default=3, help="runs of --stages (median)")
    p.add_argument("--model", action="store_true",
                   help="ms per chunk of each named step inside the cost model")
    a = p.parse_args(argv)
    if a.model:
        found, n_chunks = model_steps(a.scenario, a.trials)
        print(f"{a.scenario}: the cost model's steps over {n_chunks} chunks of {CHUNK_SIZE:,} "
              f"(cProfile, cumulative)\n\n| step | calls per chunk | ms per chunk |\n"
              f"|---|---:|---:|")
        for module, step in MODEL_STEPS:
            calls, seconds = found.get(f"{module}.{step}", (0, 0.0))
            print(f"| {module}.{step} | {calls / n_chunks:g} | {seconds / n_chunks * 1e3:.1f} |")
        return
    if a.stages:
        simulate(load_scenario(a.scenario), trials=1000, workers=1)  # warm-up
        runs = [stages(a.scenario, a.trials, simulate_first=i % 2 == 1)
                for i in range(a.repeat)]
        # per stage, the median over runs of its total over the run
        med = {s: statistics.median(sum(r[0][s]) for r in runs) for s in STAGES}
        wall = statistics.median(r[1] for r in runs)
        total = sum(med.values())
        n_chunks = len(runs[0][0]["draws"])
        print(f"{a.scenario}: {a.trials:,} trials in {n_chunks} chunks of {CHUNK_SIZE:,}, one "
              f"process; wall seconds, medians of {a.repeat} runs\n")
        print("| stage | s per run | ms per chunk | share |\n|---|---:|---:|---:|")
        for s in STAGES:
            per_chunk = "" if s in ONCE else f"{med[s] / n_chunks * 1e3:.1f}"
            print(f"| {s} | {med[s]:.3f} | {per_chunk} | {med[s] / total:.0%} |")
        print(f"| sum of the stages | {total:.3f} | {total / n_chunks * 1e3:.1f} | "
              f"{total / med['draws']:.2f}x the draws |")
        print(f"| simulate(), measured alongside | {wall:.3f} | | stages account for "
              f"{total / wall:.0%} |")
        return
    scenario = load_scenario(a.scenario)
    simulate(scenario, trials=100, workers=1)  # warm-up: imports and first calls
    profile = cProfile.Profile()
    profile.enable()
    simulate(scenario, trials=a.trials, workers=1)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(a.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
