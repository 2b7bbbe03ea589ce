"""On-demand comparison of the two backings of a parallel run's per-trial arrays (not a test;
Linux only): anonymous memory files (``memfd_create``, the default on Linux) against
``multiprocessing.shared_memory`` segments in ``/dev/shm`` (the fallback elsewhere).

Run from the repository root::

    python benchmarks/bench_shared_memory.py [--trials 400000] [--repeat 3] [--workers 2]

Each run is a fresh child process; the backings alternate, so a machine whose load drifts
favours neither. Printed per backing: wall time of ``simulate(...)`` [s] (median and each
run) and the child's peak resident memory [MB].
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from simulator import load_scenario, simulate
from simulator.run import parallel
if {backing!r} == "segments":
    parallel.memfd_available = lambda: False
scenario = load_scenario({scenario!r})
start = time.perf_counter()
run = simulate(scenario, trials={trials}, workers={workers}, seed=1)
wall = time.perf_counter() - start
print(json.dumps({{"wall": wall, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=400_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "base.yaml"))
    args = parser.parse_args()
    results: dict[str, list[dict]] = {"memfd": [], "segments": []}
    for _ in range(args.repeat):
        for backing in results:
            code = CHILD.format(root=str(ROOT), backing=backing, scenario=args.scenario,
                                trials=args.trials, workers=args.workers)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True)
            results[backing].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(backing, results[backing][-1], flush=True)
    print(f"\n{args.trials:,} trials, {args.workers} workers, {args.repeat} runs each")
    for backing, runs in results.items():
        walls = [r["wall"] for r in runs]
        print(f"{backing:9s} median {statistics.median(walls):6.2f} s  runs "
              + " ".join(f"{w:.2f}" for w in walls)
              + f"  peak {max(r['peak_mb'] for r in runs):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
