"""Where a run spends its time: cProfile of one single-process run, top functions by own time.

Run from the repository root (on demand, not in CI)::

    python benchmarks/profile_engine.py [--trials 200000] [--scenario scenarios/base.yaml]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats

from simulator import load_scenario, simulate


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=200_000)
    p.add_argument("--scenario", default="scenarios/base.yaml")
    p.add_argument("--top", type=int, default=18)
    a = p.parse_args(argv)
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
