"""The full signal matrix: every phase of a run x SIGINT / SIGTERM / SIGKILL x main process /
whole process group, repeated (not a test; never run in CI; Linux only).

Run from the repository root::

    python benchmarks/signal_matrix.py [--repeat 2] [--phases start,pool,...]
        [--signals SIGINT,SIGKILL] [--json OUT.json] [--early N]

Each cell starts ``python -m simulator`` on the tests' tiny scenario (32,768 trials, two
workers) into a folder holding previous results, stops it at the phase's pause point
(:mod:`simulator.interrupts`) and inspects what is left (``tests/signal_harness.py``). Printed
counts:

- ``runs``: runs stopped.
- ``data lost``: the output folder holds neither the previous results intact nor the new
  results complete (a mix, or nothing).
- ``wrong results``: previous where new were expected or the reverse (the stop came before or
  after the commit point it should have).
- ``leftovers``: hidden folders after the next run's clean-up, shared memory still held, or
  processes of the run still alive.
- ``bad exit``: exit code not 130 (SIGINT), 143 (SIGTERM) or killed (SIGKILL).
- ``tracebacks``, ``untrue messages``: for SIGINT and SIGTERM.

``--early N`` also sends Ctrl-C to N runs of the ``simulate`` console script at evenly spaced
moments of its first 1.5 s (while Python starts and the command imports NumPy, pandas and the
rest; no pause point), and counts exit codes and tracebacks.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.signal_harness import (
    PHASES,
    SIGNALS,
    interrupt_run,
    previous_results,
    tiny_scenario,
)


def classify(outcome) -> Counter:
    counts = Counter(runs=1)
    problems = outcome.problems()
    counts["data lost"] += outcome.state in ("mixed", "missing")
    counts["wrong results"] += outcome.state in ("previous", "new") \
        and outcome.state != outcome.expected_state
    counts["leftovers"] += bool(outcome.leftovers or outcome.memory or outcome.processes)
    counts["bad exit"] += outcome.returncode != outcome.expected_code
    counts["tracebacks"] += "Traceback" in outcome.stderr
    counts["untrue messages"] += any(p.startswith(("the message", "no 'interrupted'"))
                                     for p in problems)
    counts["not reached"] += not outcome.reached
    return counts


def early_interrupts(n: int) -> Counter:
    """Ctrl-C at moment i x 1.5 s / n after starting the console script, for i < n."""
    simulate = shutil.which("simulate", path=str(Path(sys.executable).parent)) or "simulate"
    counts = Counter()
    for i in range(n):
        delay = 1.5 * i / n
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            scenario = tiny_scenario(tmp)
            proc = subprocess.Popen([simulate, str(scenario), "--trials", "2000", "--out",
                                     str(tmp / "run"), "-q"], stderr=subprocess.PIPE, text=True,
                                    start_new_session=True,
                                    preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                                     signal.SIG_DFL))
            time.sleep(delay)
            os.killpg(proc.pid, signal.SIGINT)
            _, err = proc.communicate()
            left = [p.name for p in tmp.iterdir() if p.name.startswith(".run.")]
        counts["runs"] += 1
        counts[f"exit {proc.returncode}"] += 1
        counts["tracebacks"] += "Traceback" in err
        counts["leftovers"] += bool(left)
        print(f"early Ctrl-C at {delay:.2f} s: exit {proc.returncode}"
              + (" TRACEBACK" if "Traceback" in err else "") + (f" left {left}" if left else ""),
              flush=True)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the matrix (0: none)")
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--signals", default=",".join(s.name for s in SIGNALS))
    parser.add_argument("--json", type=Path, help="write every outcome here")
    parser.add_argument("--early", type=int, default=0, metavar="N",
                        help="also N runs stopped by Ctrl-C in their first 1.5 s")
    args = parser.parse_args()
    phases = args.phases.split(",")
    sigs = [signal.Signals[s] for s in args.signals.split(",")]
    total, outcomes, by_phase = Counter(), [], {}
    for repeat in range(args.repeat):
        for phase in phases:
            for sig in sigs:
                for group in (False, True):
                    with tempfile.TemporaryDirectory() as tmp:
                        tmp = Path(tmp)
                        scenario, out = tiny_scenario(tmp), tmp / "run"
                        previous_results(out)
                        outcome = interrupt_run(scenario, out, phase=phase, sig=sig,
                                                group=group)
                    counts = classify(outcome)
                    total += counts
                    by_phase.setdefault(phase, Counter()).update(counts)
                    outcomes.append(asdict(outcome))
                    flag = "ok" if not outcome.problems() else "; ".join(outcome.problems())
                    print(f"[{repeat + 1}/{args.repeat}] {phase:8s} {sig.name:7s} "
                          f"{'group' if group else 'main ':5s} exit {outcome.returncode!s:>4} "
                          f"{outcome.state:8s} {flag}", flush=True)
    columns = ["runs", "data lost", "wrong results", "leftovers", "bad exit", "tracebacks",
               "untrue messages", "not reached"]
    print("\n" + f"{'phase':10s}" + "".join(f"{c:>16s}" for c in columns))
    for phase, counts in [*by_phase.items(), ("total", total)]:
        print(f"{phase:10s}" + "".join(f"{counts[c]:>16d}" for c in columns))
    if args.json:
        args.json.write_text(json.dumps(outcomes, indent=1))
    bad = sum(total[c] for c in columns[1:])
    if args.early:
        early = early_interrupts(args.early)
        print("\nearly Ctrl-C: " + ", ".join(f"{k} {v}" for k, v in sorted(early.items())))
        bad += early["tracebacks"] + early["leftovers"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
