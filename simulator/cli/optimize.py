"""The ``simulate optimize`` subcommand: its arguments, the scenario and its variants read
with the overrides, objectives and constraints applied, then the lever search, the
robustness check across the variants and the written results."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from simulator.cli.arguments import (
    load_with_options,
    positive_int,
    seed_number,
    trial_count,
    worker_count,
)
from simulator.cli.outputs import FAILURES, failure_exit, write_into
from simulator.errors import Issue, ScenarioError
from simulator.report.run_folder import OutputFolder
from simulator.spec.scenario import Scenario


def _optimize_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simulate optimize",
        description="Search the scenario's levers for the settings on the cost-dependence-risk "
        "frontier (all on the same draws), and the choice that is robust across its variants.")
    parser.add_argument("scenario", type=Path, help="scenario YAML file with a 'levers' section")
    parser.add_argument("--budget", type=positive_int, default=200,
                        help="lever settings to evaluate at most (default 200): the whole grid "
                        "when it fits, else a Latin hypercube on it and the neighbours of its "
                        "frontier (one objective: differential evolution)")
    parser.add_argument("--trials", type=trial_count, help="trials per setting (default: the "
                        "scenario's 'trials')")
    parser.add_argument("--seed", type=seed_number, help="random seed (default: the scenario's)")
    parser.add_argument("--out", type=Path, help="output folder (default: "
                        "runs/<scenario name>-optimize)")
    parser.add_argument("--objective", action="append", metavar="TEXT",
                        help="statistic to minimise, e.g. 'mean npv', 'cvar95 npv', "
                        "'mean nvidia_share in 2030' (repeatable; default: the scenario's)")
    parser.add_argument("--constraint", action="append", metavar="TEXT",
                        help="e.g. 'P(unmet_demand > 0.05) <= 0.1' (repeatable; default: the "
                        "scenario's)")
    parser.add_argument("--variants", type=Path, nargs="*", metavar="FILE",
                        help="scenarios for the robustness check (default: the files next to "
                        "SCENARIO that extend it; none with no FILE)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override an assumption by key path in the scenario and in every "
                        "variant, e.g. suppliers.amd.price_per_unit=18k (repeatable)")
    parser.add_argument("--workers", type=worker_count, help="local processes (default: one per "
                        "core); results do not depend on it")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    return parser


def optimize_command(argv: list[str]) -> int:
    args = _optimize_parser().parse_args(argv)
    from simulator.analysis.lever_evaluation import with_statistics
    from simulator.analysis.robustness import variants_of

    try:
        scenario = load_with_options(args.scenario, args.set, [], quiet=args.quiet)
        if scenario.levers is None:
            raise ScenarioError(str(args.scenario), [Issue(
                "levers", "the scenario has no 'levers' section to search",
                hint="add one; scenarios/base.yaml has an example")])
        paths = (variants_of(args.scenario) if args.variants is None
                 else [str(p) for p in args.variants])
        variants = {}
        for path in paths:
            variant = load_with_options(Path(path), args.set, [], quiet=args.quiet)
            if variant.levers is not None:
                variants[variant.name] = variant
        if args.objective or args.constraint:
            scenario = with_statistics(scenario, args.objective, args.constraint,
                                           source=f"{args.scenario} with --objective/--constraint")
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out or Path("runs") / f"{scenario.name}-optimize"
    return write_into(out, args, lambda f: _optimize_run(args, scenario, variants, f))


def _optimize_run(args: argparse.Namespace, scenario: Scenario, variants: dict[str, Scenario],
                  folder: OutputFolder) -> int:
    from simulator.analysis.lever_evaluation import SearchTooLargeError
    from simulator.analysis.optimize import compared_settings, evaluate_levers
    from simulator.analysis.robustness import robust_choice, robustness
    from simulator.report.optimize import format_optimize
    from simulator.report.writers import write_optimize

    out = folder.path
    t0 = time.perf_counter()
    try:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            search = evaluate_levers(scenario, budget=args.budget, trials=args.trials,
                                         seed=args.seed, workers=args.workers)
            names = compared_settings(search.table, scenario.levers,
                                          search.evaluation.objectives[0].text)
            regret = robust = None
            if names:
                regret = robustness(variants, names, reference=search, workers=args.workers)
                robust = robust_choice(regret)
        files = write_optimize(search, regret, robust, folder,
                               wall_seconds=time.perf_counter() - t0,
                               extra={"overrides": args.set, "budget": args.budget,
                                      "variants": {n: v.source_file for n, v in variants.items()}})
    except SearchTooLargeError as exc:
        print(f"error: {args.scenario}: {exc}", file=sys.stderr)
        return 2
    except FAILURES as exc:
        return failure_exit(exc, args, out)
    if not args.quiet:
        ev = search.evaluation
        print(format_optimize(search.table, ev.objectives, scenario.levers, method=search.method,
                              trials=ev.trials, regret=regret, robust=robust))
        print(f"\nwrote {len(files)} files to {out}/: " + ", ".join(f.name for f in files))
    return 0

