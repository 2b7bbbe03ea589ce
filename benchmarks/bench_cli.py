"""End-to-end time of the ``simulate`` command, whole process (on demand, not in CI).

Run from the repository root::

    python benchmarks/bench_cli.py [--repeat 5] [--trials 20000 1000000]
        [--scenario scenarios/base.yaml] [--figures]

Each measurement starts a fresh ``simulate SCENARIO --trials N -q --out DIR`` process (Python
start-up, imports, simulation, analysis, every table, figure and the report) and reports the
median wall time of ``--repeat`` runs, with the CPU seconds of the process and its children
(figure and simulation workers): on a machine shared with other work, wall time above CPU
time is time spent waiting for a core.

With ``--figures``: the time of each figure, drawn one after the other in this process from
one run's analysis (what a figure costs, whichever process draws it).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_once(scenario: str, trials: int, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ``simulate`` process."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-m", "simulator.cli", scenario, "--trials", str(trials),
                    "-q", "--out", str(out)], check=True)
    return time.perf_counter() - t0, _children_cpu() - cpu0


def figure_times(scenario: str, trials: int) -> dict[str, tuple[float, float]]:
    """Wall and CPU seconds to draw each figure of one run, one after the other in this
    process."""
    from simulator import load_scenario, simulate
    from simulator.analysis.overview import analyse
    from simulator.report import figure_files, writers

    analysis = analyse(simulate(load_scenario(scenario), trials=trials))
    with tempfile.TemporaryDirectory() as folder:
        writers.write_tables(analysis, Path(folder))
        analysis.results.paths()
        times = {}
        for name, draw in figure_files.figures(analysis):
            t0, c0 = time.perf_counter(), time.process_time()
            draw(analysis, Path(folder) / name)
            times[name] = (time.perf_counter() - t0, time.process_time() - c0)
    return times


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, nargs="+", default=[20_000, 1_000_000])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--scenario", default="scenarios/base.yaml")
    p.add_argument("--figures", action="store_true", help="time each figure")
    a = p.parse_args(argv)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"medians of {a.repeat} runs\n")
    print("| trials | wall s (median) | wall s (min-max) | CPU s (median) |\n"
          "|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in a.trials:
            runs = [run_once(a.scenario, n, Path(tmp) / f"run{n}") for _ in range(a.repeat)]
            walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
            print(f"| {n:,} | {statistics.median(walls):.2f} | {min(walls):.2f}-"
                  f"{max(walls):.2f} | {statistics.median(cpus):.2f} |", flush=True)
    if a.figures:
        for n in a.trials:
            times = figure_times(a.scenario, n)
            print(f"\n{n:,} trials: seconds per figure, drawn in one process\n\n"
                  "| figure | wall s | CPU s |\n|---|---:|---:|")
            for name, (wall, cpu) in times.items():
                print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
            print(f"| all | {sum(t[0] for t in times.values()):.2f} | "
                  f"{sum(t[1] for t in times.values()):.2f} |")


if __name__ == "__main__":
    main()
