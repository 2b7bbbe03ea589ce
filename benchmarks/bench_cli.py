"""End-to-end time of the ``simulate`` command, whole process (on demand, not in CI).

Run from the repository root::

    python benchmarks/bench_cli.py [--repeat 5] [--trials 20000 1000000]
        [--scenario scenarios/base.yaml] [--against OTHER_CHECKOUT] [--figures] [--timeline]

Each measurement starts a fresh ``simulate SCENARIO --trials N -q --out DIR`` process (Python
start-up, imports, simulation, analysis, every table, figure and the report, and the end of the
process) and reports the median wall time of ``--repeat`` runs, with the CPU seconds of the
process and its children (figure and simulation workers): on a machine shared with other work,
wall time above CPU time is time spent waiting for a core.

With ``--against DIR``: the same runs of another checkout of the project (its ``.venv``, e.g. a
worktree of the previous code) alternate with this one's, so that both see the same load.

With ``--timeline``: one run, its steps in time order in every process (the command's process,
the figure process), seconds since the process started, wall and CPU: where the wall time goes.

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


def run_once(scenario: str, trials: int, out: Path, checkout: Path | None = None
             ) -> tuple[float, float]:
    """Wall and CPU seconds of one ``simulate`` process (of ``checkout``, a folder holding
    the project and its ``.venv``; default: this interpreter's)."""
    python = sys.executable if checkout is None else str(checkout / ".venv" / "bin" / "python")
    cpu0, t0 = _children_cpu(), time.perf_counter()
    # `python -m simulator` is the `simulate` console script, ending included
    subprocess.run([python, "-m", "simulator", scenario, "--trials", str(trials), "-q",
                    "--out", str(out)], check=True, cwd=checkout)
    return time.perf_counter() - t0, _children_cpu() - cpu0


#: Steps logged by ``--timeline``: (module, function or Class.method).
TIMELINE_STEPS = [
    ("simulator.cli.arguments", "load_with_options"), ("simulator.run.engine", "simulate"),
    ("simulator.cli.preload", "Preload.wait"), ("simulator.report.figure_files", "start_figures"),
    ("simulator.analysis.overview", "analyse"),
    ("simulator.report.figure_files", "result_tables"),
    ("simulator.report.figure_files", "EarlyFigures.tables"),
    ("simulator.report.verdict", "build_verdict"), ("simulator.report.writers", "write_tables"),
    ("simulator.report.figure_files", "EarlyFigures.collect"),
    ("simulator.report.html", "write_report"),
    ("simulator.report.run_folder", "OutputFolder.commit"),
    *[("simulator.report.figure_files", f"_fig_{name}") for name in (
        "fan_chart", "spend_by_category", "strategies", "s_curve", "funding", "tornado",
        "sobol")],
]


def _timeline_child(argv: list[str]) -> None:
    """Run the command in this process, each of ``TIMELINE_STEPS`` logged to stderr as it
    starts and ends: seconds since this process started (wall; CPU of the logging process)."""
    import functools
    import importlib.abc

    with open("/proc/self/stat") as f:
        started = float(f.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
    with open("/proc/uptime") as f:
        zero = time.time() - (float(f.read().split()[0]) - started)

    def log(event: str) -> None:
        sys.stderr.write(f"{time.time() - zero:7.3f} {time.process_time():7.3f} "
                         f"{os.getpid()} {event}\n")

    def wrap(module, step: str) -> None:
        owner, name = module, step
        if "." in step:
            cls, name = step.split(".")
            owner = getattr(module, cls, None)
        inner = getattr(owner, name, None)
        if inner is None:
            return

        @functools.wraps(inner)
        def timed(*args, **kwargs):
            log(f"> {step}")
            try:
                return inner(*args, **kwargs)
            finally:
                log(f"< {step}")

        setattr(owner, name, timed)

    steps: dict[str, list[str]] = {}
    for module, step in TIMELINE_STEPS:
        steps.setdefault(module, []).append(step)

    class Hook(importlib.abc.MetaPathFinder):
        """Wraps the steps of a module when it is first imported, wherever that happens."""

        def find_spec(self, name, path, target=None):
            if name not in steps:
                return None
            for finder in sys.meta_path:
                spec = None if finder is self else finder.find_spec(name, path, target)
                if spec is not None:
                    break
            else:
                return None
            execute = spec.loader.exec_module

            def exec_module(module):
                execute(module)
                log(f"imported {name}")
                for step in steps[name]:
                    wrap(module, step)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Hook())
    log("start")
    sys.argv = ["simulate", *argv]
    from simulator.__main__ import console

    console()


def timeline(scenario: str, trials: int, out: Path) -> str:
    """The steps of one run in time order, as a Markdown table."""
    done = subprocess.run([sys.executable, __file__, "--timeline-child", scenario, "--trials",
                           str(trials), "-q", "--out", str(out)], capture_output=True,
                          text=True, check=True)
    rows = [line.split(maxsplit=3) for line in done.stderr.splitlines()
            if line[:1] == " " or line[:1].isdigit()]
    main_pid = rows[0][2]
    lines = ["| wall s | CPU s | process | step |", "|---:|---:|---|---|"]
    for wall, cpu, pid, event in rows:
        lines.append(f"| {wall} | {cpu} | {'command' if pid == main_pid else pid} | {event} |")
    return "\n".join(lines)


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
    p.add_argument("--against", type=Path, help="another checkout (with its .venv) whose "
                   "runs alternate with this one's")
    p.add_argument("--timeline", action="store_true",
                   help="the steps of one run in time order, in every process")
    a = p.parse_args(argv)
    if a.timeline:
        with tempfile.TemporaryDirectory() as tmp:
            for n in a.trials:
                print(f"{n:,} trials, load average {os.getloadavg()[0]:.1f}\n\n"
                      f"{timeline(a.scenario, n, Path(tmp) / f'run{n}')}\n")
        return
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"medians of {a.repeat} runs\n")
    print("| code | trials | wall s (median) | wall s (min-max) | CPU s (median) |\n"
          "|---|---:|---:|---:|---:|")
    codes = {"this": None} | ({"other": a.against.resolve()} if a.against else {})
    with tempfile.TemporaryDirectory() as tmp:
        for n in a.trials:
            runs: dict[str, list[tuple[float, float]]] = {code: [] for code in codes}
            for _ in range(a.repeat):
                for code, checkout in codes.items():  # alternating: the same load for each
                    runs[code].append(run_once(a.scenario, n, Path(tmp) / f"{code}{n}",
                                               checkout))
            for code, done in runs.items():
                walls, cpus = [r[0] for r in done], [r[1] for r in done]
                print(f"| {code} | {n:,} | {statistics.median(walls):.2f} | {min(walls):.2f}-"
                      f"{max(walls):.2f} | {statistics.median(cpus):.2f} |", flush=True)
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
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
    if sys.argv[1:2] == ["--timeline-child"]:
        _timeline_child(sys.argv[2:])
    else:
        main()
