"""Where a run spends its time, two ways (on demand, not in CI).

Run from the repository root::

    python benchmarks/profile_engine.py [--trials 200000] [--scenario scenarios/base.yaml]
    python benchmarks/profile_engine.py --stages [--trials 393216]

Without ``--stages``: cProfile of one single-process run, top functions by own time.

With ``--stages``: CPU time of each stage of every chunk, measured chunk by chunk in this
process (one BLAS thread, as in a run), so that all stages see the same machine load: drawing
the inputs (``RunPlan.draws``), the cost model (``run_chunk`` and its finiteness check),
keeping per-trial arrays (``_store``, for the first half of the trials, as a run beyond
``keep_trials`` does), category histograms, and the streamed totals (means, paired
comparisons, claims). Prints the mean per chunk, each stage's share and the ratio of the
whole to the draws.
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
from simulator.results.totals import RunTotals
from simulator.run.accumulator import Accumulator
from simulator.run.guard import check_finite
from simulator.run.plan import CHUNK_SIZE, RunPlan

STAGES = ("draws", "cost model", "keeping per-trial arrays", "category histograms",
          "streamed totals")


def stages(scenario_path: str, trials: int) -> dict[str, list[float]]:
    """CPU seconds of each stage, one entry per chunk."""
    scenario = load_scenario(scenario_path)
    plan = RunPlan(scenario=scenario, trials=trials, seed=1, design=None,
                   chunk_size=CHUNK_SIZE, keep_spend=False, keep_trials=trials // 2)
    acc = Accumulator(scenario, trials, keep_spend=False, keep_trials=plan.keep_trials)
    clock = time.process_time
    times: dict[str, list[float]] = {s: [] for s in STAGES}
    n_chunks = -(-trials // CHUNK_SIZE)
    with threadpool_limits(limits=1, user_api="blas"):
        for k in range(n_chunks):
            lo, hi = plan.chunk_bounds(k)
            t0 = clock()
            draws = plan.draws(k)
            t1 = clock()
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                out = run_chunk(scenario, draws)
            check_finite(scenario, draws, out, first_trial=lo)
            t2 = clock()
            m = max(0, min(hi - lo, acc.n_kept - lo))
            if m:
                acc._store(lo, m, draws, out)
            t3 = clock()
            acc.histogram.add(out.spend, axis=3)
            t4 = clock()
            RunTotals().add(acc.chunk_results(draws, out))  # as Accumulator.add does
            t5 = clock()
            for stage, dt in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4),
                                 strict=True):
                times[stage].append(dt)
    return times


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=200_000)
    p.add_argument("--scenario", default="scenarios/base.yaml")
    p.add_argument("--top", type=int, default=18)
    p.add_argument("--stages", action="store_true", help="CPU time per stage of each chunk")
    a = p.parse_args(argv)
    if a.stages:
        times = stages(a.scenario, a.trials)
        # mean over chunks after the first (warm-up): only the first half keep their trials
        med = {s: statistics.fmean(v[1:] or v) * 1e3 for s, v in times.items()}
        total = sum(med.values())
        print(f"{a.trials:,} trials, chunks of {CHUNK_SIZE:,}: mean CPU ms per chunk\n")
        print("| stage | ms per chunk | share |\n|---|---:|---:|")
        for s in STAGES:
            print(f"| {s} | {med[s]:.1f} | {med[s] / total:.0%} |")
        print(f"| whole | {total:.1f} | {total / med['draws']:.2f}x the draws |")
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
