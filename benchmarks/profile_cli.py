"""Where the ``simulate`` command spends its time after the simulation (on demand, not in CI).

Run from the repository root::

    python benchmarks/profile_cli.py [--trials 1000000] [--scenario scenarios/base.yaml]
        [--workers N] [--overlap] [--profile] [--cache FILE]

Runs what ``simulate SCENARIO --trials N -q --out DIR`` runs, in this one process and one step
after the other (every figure drawn here, none in a second process), and prints the wall and
CPU seconds of each phase: imports, loading, the simulation, each step of the analysis (claims,
sensitivity, what must be true and its PRIM box, the funding view), the verdict, each summary
table and CSV, each figure, the report and moving the folder into place. Nested phases are
indented under the phase that calls them; a phase's "other" line is what its parts leave out,
so each level adds up to the line above it and the top level to the script's wall time since
its first line (Python's own start-up, about 0.05 s, is not in it).

The command itself overlaps phases (a forked process computes the summary tables and draws four
figures while the run is analysed, and the simulation uses worker processes), so its wall time
is below this total: ``--overlap`` does the same (the table then shows this process's phases,
"wait for its tables" and the collecting of the figures included), and
``benchmarks/bench_cli.py`` measures the command itself. With ``--profile``: cProfile of everything after the
simulation, the top functions by cumulative time.
"""

from __future__ import annotations

import time

_T0, _C0 = time.perf_counter(), time.process_time()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import functools  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import pstats  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import simulator.analysis.overview as overview  # noqa: E402
import simulator.report.figure_files as figure_files  # noqa: E402
import simulator.report.writers as writers  # noqa: E402
import simulator.results.tables as tables  # noqa: E402
from simulator import load_scenario  # noqa: E402
from simulator.report.run_folder import OutputFolder  # noqa: E402
from simulator.report.verdict import build_verdict  # noqa: E402
from simulator.run import engine  # noqa: E402


class Phases:
    """Inclusive wall and CPU seconds per phase, keyed by the path of phases that led to it
    (a step called from two places is two lines)."""

    def __init__(self) -> None:
        self.times: dict[tuple[str, ...], list[float]] = {}
        self._stack: list[str] = []

    def add(self, path: tuple[str, ...], wall: float, cpu: float) -> None:
        entry = self.times.setdefault(path, [0.0, 0.0])
        entry[0] += wall
        entry[1] += cpu

    def timed(self, label: str, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if label in self._stack:  # recursive: counted by the outer call
                return fn(*args, **kwargs)
            self._stack.append(label)
            path = tuple(self._stack)
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack.pop()
                self.add(path, time.perf_counter() - t, time.process_time() - c)
        return wrapper

    def wrap(self, module, name: str, label: str | None = None) -> None:
        setattr(module, name, self.timed(label or name, getattr(module, name)))

    def rows(self, parent: tuple[str, ...] = ()) -> list[tuple[str, float, float]]:
        """(indented label, wall, CPU) under ``parent``, each followed by its parts and an
        "other" line for what they leave out."""
        out = []
        for path, (wall, cpu) in self.times.items():
            if path[:-1] != parent:
                continue
            out.append(("  " * (len(path) - 1) + path[-1], wall, cpu))
            kids = [(p, t) for p, t in self.times.items() if p[:-1] == path]
            if kids:
                out += self.rows(path)
                out.append(("  " * len(path) + "other", wall - sum(t[0] for _, t in kids),
                            cpu - sum(t[1] for _, t in kids)))
        return out


def instrument(p: Phases) -> None:
    """Time the steps of the analysis, the tables, the figures and the report where the
    command's code calls them."""
    for name in ("evaluate_claims", "sensitivity_table", "sobol_analysis", "claim_holds",
                 "conditional_inputs", "claim_box", "cash_sensitivity", "assumption_flags"):
        p.wrap(overview, name)
    for name in ("summary_table", "yearly_table", "indicators_table", "comparison_table",
                 "funding_table", "paths_table"):
        p.wrap(tables, name)
    for name in ("dependence_reasons", "inhouse_saving_breakdown", "write_csv", "write_tables",
                 "write_figures", "write_parquet", "write_report"):
        p.wrap(writers, name)
    for name in dir(figure_files):
        if name.startswith("_fig_"):
            p.wrap(figure_files, name, f"figure {name[5:]}")
    OutputFolder.commit = p.timed("move the folder into place", OutputFolder.commit)


def run(args: argparse.Namespace, p: Phases, out: Path) -> None:
    scenario = p.timed("load scenario", load_scenario)(args.scenario)
    if args.cache and Path(args.cache).exists():
        with open(args.cache, "rb") as f:
            results = p.timed("simulate (read from --cache)", pickle.load)(f)
    else:
        results = p.timed("simulate", engine.simulate)(scenario, trials=args.trials,
                                                       seed=args.seed, workers=args.workers)
        if args.cache:
            with open(args.cache, "wb") as f:
                pickle.dump(results, f, protocol=pickle.HIGHEST_PROTOCOL)
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    early = p.timed("start the figure process", figure_files.start_figures)(results) \
        if args.overlap else None
    analysis = p.timed("analyse", overview.analyse)(results)
    if early is not None:
        results.adopt_tables(p.timed("wait for its tables", early.tables)())
    verdict = p.timed("verdict", build_verdict)(analysis)
    # without --overlap, figures one after the other in this process: what each costs,
    # wherever it is drawn
    writers.write_figures = functools.partial(writers.write_figures, workers=1)
    p.timed("write run", writers.write_run)(analysis, out, verdict=verdict, early=early)
    if early is not None:
        early.close()
    if profiler:
        profiler.disable()
        s = io.StringIO()
        pstats.Stats(profiler, stream=s).sort_stats("cumulative").print_stats(45)
        print(s.getvalue())


def main(argv: list[str] | None = None) -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--trials", type=int, default=1_000_000)
    a.add_argument("--scenario", default="scenarios/base.yaml")
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--workers", type=int, default=None)
    a.add_argument("--cache", help="pickle file of the results: written by the first run, "
                   "read (instead of simulating) by the next ones, to time the rest again")
    a.add_argument("--overlap", action="store_true",
                   help="as the command does: the summary tables and four figures in a forked "
                   "process while this one analyses (its time is then not in the table)")
    a.add_argument("--profile", action="store_true", help="cProfile after the simulation")
    args = a.parse_args(argv)
    p = Phases()
    p.add(("imports",), time.perf_counter() - _T0, time.process_time() - _C0)
    instrument(p)
    with tempfile.TemporaryDirectory() as tmp:
        run(args, p, Path(tmp) / "run")
    wall, cpu = time.perf_counter() - _T0, time.process_time() - _C0
    print(f"{args.scenario}, {args.trials:,} trials, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; CPU seconds of this process only (simulation workers "
          "not counted)\n\n| phase | wall s | CPU s |\n|---|---:|---:|")
    rows = p.rows()
    for label, w, c in rows:
        print(f"| {label.replace('  ', '. ')} | {w:.2f} | {c:.2f} |")
    top_wall = sum(w for lb, w, _ in rows if not lb.startswith(" "))
    top_cpu = sum(c for lb, _, c in rows if not lb.startswith(" "))
    print(f"| other (between phases) | {wall - top_wall:.2f} | {cpu - top_cpu:.2f} |")
    print(f"| total | {wall:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
