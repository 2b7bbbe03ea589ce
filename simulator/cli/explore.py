"""The ``simulate explore`` subcommand: serve the interactive explorer of a scenario on a local
web page, warning when it listens beyond this machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulator.cli.arguments import load_with_options, seed_number, trial_count
from simulator.errors import ScenarioError


def explore_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="simulate explore",
        description="Explore a scenario interactively in a local web page: move an assumption "
                    "and see spend, strategies and claims change (pip install '.[explore]').")
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--address", default="127.0.0.1", help="interface to listen on "
                        "(default 127.0.0.1: this machine only)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    parser.add_argument("--trials", type=trial_count, help="trials per update (default: the "
                        "scenario's 'trials')")
    parser.add_argument("--seed", type=seed_number, help="random seed (default: the scenario's)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    try:
        scenario = load_with_options(args.scenario, [], [])
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from simulator.report.explorer_serve import serve

    if args.address not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {args.address}: anyone who can reach this machine can "
              "use the explorer and save scenario files", file=sys.stderr)

    def ready(url: str) -> None:
        print(f"explorer of {scenario.name} at {url} (Ctrl+C to stop)", flush=True)

    try:
        serve(scenario, address=args.address, port=args.port, show=not args.no_browser,
              trials=args.trials, seed=args.seed, on_ready=ready)
    except KeyboardInterrupt:
        return 0
    except RuntimeError as exc:  # Panel is not installed
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot listen on {args.address}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0

