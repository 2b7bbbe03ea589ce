"""The mutation sweep: every numeric leaf of a scenario, set in turn to each of ten hostile
values, goes through ``simulate validate`` and a short run; none may end in a traceback or hang.

A numeric leaf is a number anywhere in the file, or text that reads as one (``12k``, ``35%``);
the values are NaN, infinity, -1e30, 1e308, 0, -1, a string, null, a list and 1e39. Each case
must exit with 0 (a valid result) or 2 (refused, with a message starting ``error:``); exit 1
(the environment) is counted apart.

The cases run in a worker process that reports the start and end of each one; the parent
waits up to ``--timeout`` seconds per case (a guard against hangs, not a speed limit), then
kills the worker, records a hang and starts a new worker at the next case. Figures are drawn
at a low resolution (their layout and tick labels are computed as in a real run).

Usage, from the repository root::

    python tests/fuzz/mutation_sweep.py                      # the full sweep of base.yaml
    python tests/fuzz/mutation_sweep.py --sample 40 --seed 1 # a seeded sample

It prints the files tried, the runs by exit code, the tracebacks and the hangs, and exits 1 if
there is any traceback, hang or broken contract. ``tests/integration/test_mutation_sweep.py``
runs a sample in the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import random
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]

#: libyaml's dumper where it is installed: some 1,800 files are written.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

#: The hostile values: (label, value).
MUTANTS: list[tuple[str, Any]] = [
    ("NaN", float("nan")), ("inf", float("inf")), ("-1e30", -1e30), ("1e308", 1e308), ("0", 0),
    ("-1", -1), ("a string", "a string"), ("null", None), ("a list", [1, 2]), ("1e39", 1e39),
]


def _is_number(value: Any) -> bool:
    from simulator.spec.quantities import parse_quantity

    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            parse_quantity(value)
        except ValueError:
            return False
        return True
    return False


def numeric_leaves(node: Any, path: tuple = ()) -> list[tuple]:
    """Key paths (tuples of keys and list indices) of every numeric leaf, in file order."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in numeric_leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in numeric_leaves(v, (*path, i))]
    return [path] if _is_number(node) else []


def dotted(path: tuple) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")


def mutate(data: dict, path: tuple, value: Any) -> dict:
    out = copy.deepcopy(data)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = copy.deepcopy(value)
    return out


@dataclass
class Case:
    index: int
    leaf: str
    value: str
    file: str


def write_cases(scenario: Path, folder: Path, *, sample: int | None = None, seed: int = 0
                ) -> list[Case]:
    """Write one mutated file per (leaf, value) into ``folder``; a seeded sample if asked."""
    from simulator.io.yaml_source import read_yaml_file

    data, _ = read_yaml_file(scenario)
    pairs = [(p, label, value) for p in numeric_leaves(data) for label, value in MUTANTS]
    if sample is not None and sample < len(pairs):
        pairs = random.Random(seed).sample(pairs, sample)
    cases = []
    for i, (path, label, value) in enumerate(pairs):
        file = folder / f"case{i:05d}.yaml"
        file.write_text(yaml.dump(mutate(data, path, value), Dumper=_DUMPER, sort_keys=False))
        cases.append(Case(i, dotted(path), label, str(file)))
    return cases


# -- the worker: runs cases in one process, reporting each -------------------------------------------

def _innermost(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "simulator" in f.filename]
    where = frames[-1] if frames else None
    loc = f" at {Path(where.filename).name}:{where.lineno} in {where.name}" if where else ""
    return f"{type(exc).__name__}: {str(exc)[:200]}{loc}"


def _call(argv: list[str]) -> dict:
    """Run the command in this process; its exit code, or the exception that escaped it."""
    from simulator.cli import main

    out, err = io.StringIO(), io.StringIO()
    result: dict[str, Any] = {}
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            result["code"] = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        result["code"] = exc.code if isinstance(exc.code, int) else 2
    except BaseException as exc:
        result["traceback"] = _innermost(exc)
    text = err.getvalue()
    if "Traceback (most recent call last)" in text and "traceback" not in result:
        result["traceback"] = "printed on stderr: " + text[text.index("Traceback"):][-400:]
    result["refused_cleanly"] = "error: " in text
    result["stderr"] = text[-300:]
    return result


def worker(cases_file: Path, start: int, stop: int, trials: int) -> None:
    """Run cases ``start`` to ``stop - 1``, printing one JSON line as each begins and ends."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    import simulator.report.writers as writers

    save = Figure.savefig

    def small(self, fname, *args, **kwargs):
        kwargs["dpi"] = 30  # the figure is laid out and its ticks formatted as in a real run
        return save(self, fname, *args, **kwargs)

    Figure.savefig = small
    draw = writers.write_figures
    writers.write_figures = lambda analysis, folder, **_: draw(analysis, folder, workers=1)
    cases = [Case(**c) for c in json.loads(cases_file.read_text())]
    for case in cases[start:stop]:
        print(json.dumps({"begin": case.index}), flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            checked = _call(["validate", case.file])
            ran = _call([case.file, "--trials", str(trials), "--workers", "1", "-q",
                         "--out", str(Path(tmp) / "out")])
        print(json.dumps({"end": case.index, "validate": checked, "run": ran}), flush=True)


# -- the parent: a hang guard around the worker --------------------------------------------------

@dataclass
class Summary:
    files: int = 0
    runs: int = 0
    codes: dict[int, int] = field(default_factory=dict)
    tracebacks: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    breaches: list[str] = field(default_factory=list)
    seconds: float = 0.0
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def text(self, scenario: str, trials: int) -> str:
        codes = ", ".join(f"exit {k}: {v:,}" for k, v in sorted(self.codes.items()))
        lines = [f"mutation sweep of {scenario} (validate and a {trials}-trial run per file)",
                 f"files tried: {self.files:,}",
                 f"command runs: {self.runs:,} ({codes})",
                 f"tracebacks: {len(self.tracebacks)}",
                 f"hangs: {len(self.hangs)}",
                 f"broken contract (exit code not 0/1/2, or refused without 'error:'): "
                 f"{len(self.breaches)}",
                 f"wall time: {self.seconds:.0f} s"]
        lines += [f"  TRACEBACK {t}" for t in self.tracebacks]
        lines += [f"  HANG {h}" for h in self.hangs]
        lines += [f"  BROKEN {b}" for b in self.breaches]
        return "\n".join(lines)


def _record(summary: Summary, case: Case, what: str, result: dict) -> None:
    summary.runs += 1
    label = f"{case.leaf} = {case.value} ({what}, {Path(case.file).name})"
    if "traceback" in result:
        summary.tracebacks.append(f"{label}: {result['traceback']}")
        return
    code = result["code"]
    summary.codes[code] = summary.codes.get(code, 0) + 1
    if code not in (0, 1, 2) or (code != 0 and not result["refused_cleanly"]):
        summary.breaches.append(f"{label}: exit {code}; {result['stderr']!r}")


def sweep(scenario: Path, *, trials: int = 64, timeout: float = 300.0,
          sample: int | None = None, seed: int = 0, jobs: int = 1, log=None) -> Summary:
    """Run the sweep and return its figures (see the module docstring); ``jobs`` workers
    each take a contiguous share of the files."""
    t0 = time.perf_counter()
    summary = Summary()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = write_cases(scenario, folder, sample=sample, seed=seed)
        summary.files = len(cases)
        cases_file = folder / "cases.json"
        cases_file.write_text(json.dumps([c.__dict__ for c in cases]))
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        bounds = [len(cases) * k // jobs for k in range(jobs + 1)]

        def run_share(lo: int, hi: int) -> None:
            start = lo
            while start < hi:
                proc = subprocess.Popen([sys.executable, __file__, "--worker", str(cases_file),
                                         str(start), str(hi), str(trials)],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True, env=env, cwd=tmp, start_new_session=True)
                start = _follow(proc, cases, start, hi, timeout, summary, log)

        threads = [threading.Thread(target=run_share, args=(lo, hi))
                   for lo, hi in pairwise(bounds) if hi > lo]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    summary.seconds = time.perf_counter() - t0
    return summary


def _follow(proc: subprocess.Popen, cases: list[Case], start: int, stop: int, timeout: float,
            summary: Summary, log) -> int:
    """Read the worker's reports until it finishes or a case outlasts ``timeout``; returns
    the index to restart from."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    current, deadline = None, time.monotonic() + timeout
    try:
        while True:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                # a case (or the worker's start) outlasted the guard: a hang
                stuck = current if current is not None else start
                summary.done += 1
                summary.hangs.append(f"{cases[stuck].leaf} = {cases[stuck].value} "
                                     f"({Path(cases[stuck].file).name}): no end within "
                                     f"{timeout:.0f} s")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return stuck + 1
            line = proc.stdout.readline()
            if not line:  # the worker exited
                proc.wait()
                if current is not None:  # it died inside a case
                    summary.done += 1
                    summary.tracebacks.append(f"{cases[current].leaf} = {cases[current].value}: "
                                              f"the worker died (exit {proc.returncode})")
                    return current + 1
                return stop
            msg = json.loads(line)
            if "begin" in msg:
                current, deadline = msg["begin"], time.monotonic() + timeout
                continue
            case = cases[msg["end"]]
            with summary.lock:
                _record(summary, case, "validate", msg["validate"])
                _record(summary, case, "run", msg["run"])
                summary.done += 1
                done = summary.done
            if log is not None and (done % 50 == 0 or done == len(cases)):
                print(f"  {done:,}/{len(cases):,} files, {len(summary.tracebacks)} "
                      f"tracebacks, {len(summary.hangs)} hangs", file=log, flush=True)
            current, deadline = None, time.monotonic() + timeout
    finally:
        sel.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        worker(Path(argv[1]), int(argv[2]), int(argv[3]), int(argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", type=Path, default=REPO / "scenarios" / "base.yaml")
    parser.add_argument("--trials", type=int, default=64, help="trials of each short run")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds a case may take before it counts as a hang")
    parser.add_argument("--sample", type=int, help="run a seeded sample of this many files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    args = parser.parse_args(argv)
    summary = sweep(args.scenario, trials=args.trials, timeout=args.timeout,
                    sample=args.sample, seed=args.seed, jobs=args.jobs, log=sys.stderr)
    print(summary.text(str(args.scenario), args.trials))
    return 1 if summary.tracebacks or summary.hangs or summary.breaches else 0


if __name__ == "__main__":
    sys.exit(main())
