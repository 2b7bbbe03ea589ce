"""The ``simulate`` command's arguments: the main parser, the argument types that refuse bad
numbers before anything runs (trial counts, seeds, worker counts, Sobol sample sizes,
fractions), reading a scenario with its ``--set`` and ``--claim`` options applied, reading
``--sweep`` values, and the list of options that change a run's numbers."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import warnings
from pathlib import Path
from typing import Any

from simulator.errors import Issue, ScenarioError
from simulator.io.loading import load_scenario
from simulator.io.overrides import override
from simulator.io.yaml_source import parse_yaml
from simulator.spec.range_checks import UnusualValueWarning
from simulator.spec.scenario import MAX_TRIALS, CorrelationRepairWarning, Scenario
from simulator.spec.sections import DESIGNS


def positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def trial_count(text: str) -> int:
    """A trial count, refused above the scenario limit before anything is allocated."""
    value = positive_int(text)
    if value > MAX_TRIALS:
        raise argparse.ArgumentTypeError(f"at most {MAX_TRIALS:,} trials, got {value:,} (for a "
                                          "given precision use --precision SE)")
    return value


#: Largest --sobol base sample: it costs N x (inputs + 2) model runs, each block held in memory.
MAX_SOBOL = 2**16


def sobol_n(text: str) -> int:
    value = power_of_two(text)
    if value > MAX_SOBOL:
        raise argparse.ArgumentTypeError(f"at most {MAX_SOBOL:,} (it costs N x (inputs + 2) "
                                         f"model runs), got {value:,}")
    return value


def worker_count(text: str) -> int:
    value = positive_int(text)
    limit = max(4, 4 * (os.cpu_count() or 1))
    if value > limit:
        raise argparse.ArgumentTypeError(f"at most {limit} local processes here (4 per core), "
                                          f"got {value:,}")
    return value


def seed_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simulate",
        description="Monte Carlo projection of AI infrastructure spend per sourcing strategy.",
        epilog="Subcommands: 'simulate validate FILE', 'simulate describe FILE', "
               "'simulate optimize FILE', 'simulate schema', 'simulate explore FILE'. "
               "Example: simulate scenarios/base.yaml --trials 50000 "
               "--set demand.growth.initial.high=2.5 --out runs/base",
    )
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument("--trials", type=trial_count, help="number of trials (default: the "
                        "scenario's 'trials')")
    parser.add_argument("--seed", type=seed_number, help="random seed (default: the scenario's 'seed')")
    parser.add_argument("--out", type=Path, help="output folder (default: runs/<scenario name>)")
    parser.add_argument("--claim", action="append", default=[], metavar="TEXT",
                        help="a claim to test, e.g. 'cumulative_spend through 2030 >= 7T' "
                        "(repeatable; added to the scenario's claims)")
    parser.add_argument("--sampler", choices=DESIGNS, help="sampling design (default: the "
                        "scenario's sampling.design)")
    parser.add_argument("--sobol", type=sobol_n, metavar="N",
                        help="also compute Sobol indices with N base samples (a power of two; "
                        "costs N x (inputs + 2) model runs)")
    parser.add_argument("--precision", type=fraction, metavar="SE",
                        help="run in batches until every claim probability has a standard error "
                        "<= SE and every mean and median of cumulative spend and NPV a relative "
                        "standard error <= SE (e.g. 0.005), or --max-trials is reached")
    parser.add_argument("--max-trials", type=trial_count, default=2_000_000,
                        help="trial limit for --precision (default 2,000,000)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override an assumption by key path, e.g. "
                        "demand.growth.initial.high=2.5 or trials=20000 (repeatable; VALUE is "
                        "read as YAML)")
    parser.add_argument("--sweep", metavar="KEY=V1,V2,...",
                        help="run once per value of KEY on the same draws and write sweep.csv "
                        "and sweep.png instead of a single run")
    parser.add_argument("--sweep-metric", action="append", metavar="NAME",
                        help="quantity to plot in a sweep (repeatable; default: cumulative_spend "
                        "and every claim's probability)")
    parser.add_argument("--workers", type=worker_count, help="local processes (default: one per "
                        "core); results do not depend on it")
    parser.add_argument("--backend", choices=("local", "dask"),
                        help="where chunks run: local processes (default), or a Dask cluster "
                        "(pip install '.[dask]'); with dask, --workers sizes the local cluster")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. "
                        "tcp://127.0.0.1:8786; implies --backend dask (default with --backend "
                        "dask: a local cluster)")
    parser.add_argument("--parquet", action="store_true", help="also write per-trial outputs "
                        "as trials.parquet and inputs.parquet (pip install '.[parquet]')")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    return parser


def power_of_two(text: str) -> int:
    value = positive_int(text)
    if value & (value - 1):
        raise argparse.ArgumentTypeError(f"must be a power of two (e.g. 512, 1024), got {value}")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def load_with_options(path: Path, overrides: list[str], extra_claims: list[str], *, quiet: bool = False
          ) -> Scenario:
    """Load a scenario, apply ``--set`` overrides and ``--claim`` additions; warnings to stderr
    (with ``quiet``, 'nothing but errors', not those about unusual values)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorrelationRepairWarning)
        warnings.simplefilter("always", UnusualValueWarning)
        scenario = load_scenario(path)
        changes = dict(parse_assignment(text, "--set") for text in overrides)
        if extra_claims:
            changes["claims"] = [c.model_dump(exclude_none=True) for c in scenario.claims] \
                + extra_claims
        if changes:
            scenario = override(scenario, changes, source=f"{path} with --set/--claim")
    for w in caught:
        unusual = issubclass(w.category, UnusualValueWarning)
        if unusual and quiet:
            continue
        # an unusual value's warning names its own file and line
        where = "" if unusual else f"{path}: "
        print(f"warning: {where}{w.message}", file=sys.stderr)
    return scenario


def parse_assignment(text: str, option: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as YAML (numbers, '7T', '{dist: uniform, ...}')."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(option, [Issue("", f"expected KEY=VALUE, got {text!r}")])
    try:
        value, _ = parse_yaml(raw, f"{option} {key}")
    except ScenarioError as exc:
        if exc.issues and exc.issues[0].problem == "the file is empty":
            raise ScenarioError(option, [Issue(key.strip(), "no value after '='")]) from None
        raise
    return key.strip(), value


def sweep_values(text: str) -> tuple[str, list[Any]]:
    key, raw = parse_assignment(text, "--sweep")
    parts = raw if isinstance(raw, list) else str(raw).split(",") if isinstance(raw, str) \
        else [raw]
    values = [parse_yaml(p, "--sweep")[0] if isinstance(p, str) else p for p in parts]
    if len(values) < 2:
        raise ScenarioError("--sweep", [Issue(key, "give at least two values, e.g. "
                                            f"{key}=0.8,1.0,1.2")])
    return key, values


def run_overrides(args: argparse.Namespace) -> list[str]:
    """The options that change a run's numbers, each as it would be typed (``--set
    'energy.pue=1.3'``), in a fixed order: ``--trials``, ``--seed``, ``--sampler``, ``--set``,
    ``--claim``, ``--sobol``, ``--precision``, ``--max-trials`` (with ``--precision`` only).
    Options that only choose where or how a run executes (``--out``, ``--workers``,
    ``--backend``, ``--quiet``, ...) leave its numbers unchanged and are not overrides."""
    out = []
    for option, value in (("--trials", args.trials), ("--seed", args.seed),
                          ("--sampler", args.sampler)):
        if value is not None:
            out.append(f"{option} {value}")
    out += [f"--set {shlex.quote(text)}" for text in args.set]
    out += [f"--claim {shlex.quote(text)}" for text in args.claim]
    if getattr(args, "sobol", None):
        out.append(f"--sobol {args.sobol}")
    if getattr(args, "precision", None):
        out.append(f"--precision {args.precision}")
        out.append(f"--max-trials {args.max_trials}")
    return out
