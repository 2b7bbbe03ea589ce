"""On-demand benchmark of a lever search on common random numbers (not in CI).

Run from the repository root::

    python benchmarks/bench_optimize.py [--candidates 200] [--trials 20000] [--workers 1 2]
        [--scenario scenarios/base.yaml]

The scenario's levers get a fourth one, the share of new capacity leased (0 to 60%), so that
the grid outgrows the budget and ``--candidates`` settings are drawn by Latin hypercube. For each
worker count the script prints the wall time and CPU time of evaluating every candidate
(:func:`simulator.analysis.lever_evaluation.evaluate`: each chunk of draws sampled once per process and
reused by every candidate) and of the frontier table, and strategy-trials per second; it checks
that the worker count changes no number. For scale it also times drawing one chunk and the cost
model on it for the scenario's own five strategies.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

from simulator import load_scenario
from simulator.analysis.candidates import candidates, lever_settings
from simulator.analysis.frontier import frontier_table
from simulator.analysis.lever_evaluation import evaluate
from simulator.io.overrides import override
from simulator.model.chunk import run_chunk
from simulator.run.plan import CHUNK_SIZE, chunk_rng
from simulator.sample.draws import sample


def _cpu() -> float:
    """CPU seconds of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--candidates", type=int, default=200)
    p.add_argument("--trials", type=int, default=20_000)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--scenario", default="scenarios/base.yaml")
    a = p.parse_args(argv)
    scenario = load_scenario(a.scenario)
    scenario = override(scenario, {"levers.vary.lease_share": {
        "kind": "lease_share", "low": 0, "high": 0.6, "step": 0.2}})
    settings, method = lever_settings(scenario, budget=a.candidates, seed=1)
    cands = candidates(scenario, settings, current=False)
    print(f"{a.scenario} + a lease_share lever: {len(cands)} candidates ({method}), "
          f"{a.trials:,} trials, {os.cpu_count()} cores")

    with np.errstate(all="ignore"):
        t0 = time.perf_counter()
        draws = sample(scenario, CHUNK_SIZE, rng=chunk_rng(scenario.seed, 0))
        t1 = time.perf_counter()
        run_chunk(scenario, draws)
        t2 = time.perf_counter()
    print(f"one chunk of {CHUNK_SIZE:,} trials: drawing {t1 - t0:.2f} s, cost model for the "
          f"scenario's {len(scenario.strategies)} strategies {t2 - t1:.2f} s")

    print("| workers | evaluate wall s | CPU s | frontier table s | strategy-trials per s |")
    print("|---:|---:|---:|---:|---:|")
    first = None
    for w in a.workers:
        c0, t0 = _cpu(), time.perf_counter()
        ev = evaluate(scenario, cands, trials=a.trials, workers=w)
        t1 = time.perf_counter()
        cpu = _cpu() - c0
        frontier_table(ev)
        t2 = time.perf_counter()
        rate = len(cands) * a.trials / (t1 - t0)
        print(f"| {w} | {t1 - t0:.1f} | {cpu:.1f} | {t2 - t1:.1f} | {rate:,.0f} |", flush=True)
        if first is None:
            first = ev
        else:
            for key, values in first.values.items():  # the worker count changes nothing
                np.testing.assert_array_equal(values, ev.values[key])


if __name__ == "__main__":
    main()
