"""On-demand benchmark of a Sobol analysis through the chunked, parallel engine (not in CI).

Run from the repository root::

    python benchmarks/bench_sensitivity.py [--n-base 16384] [--workers 1 2]
        [--scenario scenarios/base.yaml] [--repeat 1]

A Saltelli design costs ``n_base * (d + 2)`` model runs (d uncertain inputs). For each worker
count the script prints the wall time of :func:`simulator.sobol_analysis` (median over
``--repeat`` runs, no bootstrap), the model runs per second, and checks that every worker count
gives the same indices.
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

from simulator import load_scenario
from simulator.analysis.sensitivity import sobol_analysis


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-base", type=int, default=16384)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--scenario", default="scenarios/base.yaml")
    p.add_argument("--repeat", type=int, default=1)
    a = p.parse_args(argv)
    scenario = load_scenario(a.scenario)
    d = len(scenario.uncertain_paths())
    runs = a.n_base * (d + 2)
    print(f"{a.scenario}: {d} uncertain inputs, n_base {a.n_base:,} -> {runs:,} model runs "
          f"x {len(scenario.strategies)} strategies")
    sobol_analysis(scenario, n_base=64, n_bootstrap=0, workers=1)  # warm-up
    print("| workers | wall s | model runs per s |\n|---:|---:|---:|")
    first = None
    for w in a.workers:
        times = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            table = sobol_analysis(scenario, n_base=a.n_base, n_bootstrap=0, workers=w)
            times.append(time.perf_counter() - t0)
        wall = statistics.median(times)
        print(f"| {w} | {wall:.1f} | {runs / wall:,.0f} |", flush=True)
        if first is None:
            first = table
        else:
            pd.testing.assert_frame_equal(first, table)  # the worker count changes nothing


if __name__ == "__main__":
    main()
