"""The small ``simulate`` subcommands: ``validate`` (check scenario files without running
them), ``schema`` (print the JSON Schema of scenario files) and ``describe`` (print every
assumption with its distribution, percentiles and source, and what a scenario inherits that
is specific to its subject)."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from simulator.cli.arguments import load_with_options
from simulator.errors import ScenarioError
from simulator.io.inheritance import subject_inherited


def validate_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="simulate validate",
                                     description="Check scenario files without running them.")
    parser.add_argument("scenarios", type=Path, nargs="+", help="scenario YAML files")
    args = parser.parse_args(argv)
    failed = 0
    for path in args.scenarios:
        try:
            scenario = load_with_options(path, [], [])
        except ScenarioError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{path}: valid ({len(scenario.uncertain_paths())} uncertain inputs, "
              f"{len(scenario.strategies)} strategies, {len(scenario.claims)} claims, "
              f"{scenario.horizon.start}-{scenario.horizon.end})")
    return 2 if failed else 0


def schema_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="simulate schema",
                                     description="Print the JSON Schema of scenario files.")
    parser.parse_args(argv)
    from simulator.io.json_schema import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


def describe_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="simulate describe",
                                     description="Print every assumption of a scenario with its "
                                     "distribution, P5/P50/P95 and source.")
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    try:
        scenario = load_with_options(args.scenario, [], [])
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from simulator.report.assumptions import assumptions_markdown, assumptions_text

    inherited = subject_inherited(args.scenario)
    if inherited:
        parents = ", ".join(dict.fromkeys(p.parent for p in inherited))
        title = (f"Inherited from {parents}, and specific to its subject (restate these for "
                 "another company):")
        if args.markdown:
            print(f"{title}\n\n" + "\n".join(f"- **{p.part}**: "
                                              + (p.describe() if p.partly else p.detail)
                                              for p in inherited) + "\n")
        else:
            print(title)
            for p in inherited:
                detail = (f"{', '.join(p.keys)} (the rest is set here)" if p.partly
                          else p.detail)
                print(textwrap.fill(detail, width=100, initial_indent=f"  {p.part:<16}",
                                    subsequent_indent=" " * 18))
            print()
    print(assumptions_markdown(scenario) if args.markdown else assumptions_text(scenario))
    return 0

