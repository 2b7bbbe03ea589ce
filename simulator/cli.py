"""The ``simulate`` command: a thin layer over the public API.

::

    simulate SCENARIO.yaml [--trials N] [--seed S] [--out DIR] [--set KEY=VALUE ...]
                           [--claim TEXT ...] [--sampler random|lhs|sobol] [--sobol N]
                           [--precision SE] [--sweep KEY=V1,V2,...] [--quiet]
    simulate validate FILE [FILE ...]
    simulate describe SCENARIO.yaml [--markdown]
    simulate schema
    simulate optimize SCENARIO.yaml [--budget N] [--trials N] [--seed S] [--out DIR]
    simulate explore SCENARIO.yaml [--port N] [--no-browser] [--address 127.0.0.1]

Exit codes: 0 success, 1 the environment (outputs cannot be written, an optional package is
missing, a Dask scheduler cannot be reached), 2 bad input (scenario or arguments, or an output
folder holding files the program did not write), 130 interrupted (Ctrl-C), 143 stopped by
SIGTERM.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import sys
import textwrap
import time
import warnings
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

# Only what reading and checking a scenario needs is imported up front, so that bad input is
# reported quickly; the engine, pandas and matplotlib load when a run starts.
from simulator import interrupts
from simulator.errors import Issue, NumericalError, ScenarioError
from simulator.io.loading import load_scenario, override, subject_inherited, subject_notice
from simulator.io.yaml_source import parse_yaml
from simulator.report.run_folder import OutputFolder, OutputFolderError
from simulator.spec.scenario import (
    DESIGNS,
    MAX_TRIALS,
    CorrelationRepairWarning,
    Scenario,
    UnusualValueWarning,
)


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _trial_count(text: str) -> int:
    """A trial count, refused above the scenario limit before anything is allocated."""
    value = _positive_int(text)
    if value > MAX_TRIALS:
        raise argparse.ArgumentTypeError(f"at most {MAX_TRIALS:,} trials, got {value:,} (for a "
                                          "given precision use --precision SE)")
    return value


#: Largest --sobol base sample: it costs N x (inputs + 2) model runs, each block held in memory.
MAX_SOBOL = 2**16


def _sobol_n(text: str) -> int:
    value = _power_of_two(text)
    if value > MAX_SOBOL:
        raise argparse.ArgumentTypeError(f"at most {MAX_SOBOL:,} (it costs N x (inputs + 2) "
                                         f"model runs), got {value:,}")
    return value


def _workers(text: str) -> int:
    value = _positive_int(text)
    limit = max(4, 4 * (os.cpu_count() or 1))
    if value > limit:
        raise argparse.ArgumentTypeError(f"at most {limit} local processes here (4 per core), "
                                          f"got {value:,}")
    return value


def _seed(text: str) -> int:
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
    parser.add_argument("--trials", type=_trial_count, help="number of trials (default: the "
                        "scenario's 'trials')")
    parser.add_argument("--seed", type=_seed, help="random seed (default: the scenario's 'seed')")
    parser.add_argument("--out", type=Path, help="output folder (default: runs/<scenario name>)")
    parser.add_argument("--claim", action="append", default=[], metavar="TEXT",
                        help="a claim to test, e.g. 'cumulative_spend through 2030 >= 7T' "
                        "(repeatable; added to the scenario's claims)")
    parser.add_argument("--sampler", choices=DESIGNS, help="sampling design (default: the "
                        "scenario's sampling.design)")
    parser.add_argument("--sobol", type=_sobol_n, metavar="N",
                        help="also compute Sobol indices with N base samples (a power of two; "
                        "costs N x (inputs + 2) model runs)")
    parser.add_argument("--precision", type=_fraction, metavar="SE",
                        help="run in batches until every claim probability has a standard error "
                        "<= SE and every mean and median of cumulative spend and NPV a relative "
                        "standard error <= SE (e.g. 0.005), or --max-trials is reached")
    parser.add_argument("--max-trials", type=_trial_count, default=2_000_000,
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
    parser.add_argument("--workers", type=_workers, help="local processes (default: one per "
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


def _power_of_two(text: str) -> int:
    value = _positive_int(text)
    if value & (value - 1):
        raise argparse.ArgumentTypeError(f"must be a power of two (e.g. 512, 1024), got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def _load(path: Path, overrides: list[str], extra_claims: list[str], *, quiet: bool = False
          ) -> Scenario:
    """Load a scenario, apply ``--set`` overrides and ``--claim`` additions; warnings to stderr
    (with ``quiet``, 'nothing but errors', not those about unusual values)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorrelationRepairWarning)
        warnings.simplefilter("always", UnusualValueWarning)
        scenario = load_scenario(path)
        changes = dict(_parse_assignment(text, "--set") for text in overrides)
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


def _parse_assignment(text: str, option: str) -> tuple[str, Any]:
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


def _sweep_values(text: str) -> tuple[str, list[Any]]:
    key, raw = _parse_assignment(text, "--sweep")
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


def default_output(name: str, overrides: list[str], *, suffix: str = "") -> Path:
    """The output folder of a run without ``--out``: ``runs/<name><suffix>`` for the scenario
    as it is, and ``runs/<name><suffix>-<8 hex digits>`` with overrides, the digits a hash of
    the overrides (:func:`run_overrides`), so that a run with changed values never replaces
    the unmodified run's folder, and the same overrides always find the same folder."""
    if not overrides:
        return Path("runs") / f"{name}{suffix}"
    digest = hashlib.sha256("\n".join(overrides).encode()).hexdigest()[:8]
    return Path("runs") / f"{name}{suffix}-{digest}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``simulate`` command; returns the exit code.

    SIGINT and SIGTERM are handled throughout (exit 130 and 143): an interrupted run removes
    what it had started to write and says what the output folder holds.
    """
    previous = interrupts.install()
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:  # outside a run (loading, printing): nothing half-written
        print("\ninterrupted", file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    finally:
        interrupts.restore(previous)


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # this process is the command: warnings read as one plain line, not a source location
    warnings.formatwarning = lambda message, *_args, **_kwargs: f"warning: {message}\n"
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return SUBCOMMANDS[argv[0]](argv[1:])
        args = build_parser().parse_args(argv)
        # overflow and 0/0 inside the model are caught by its numerical guard, which names the
        # inputs responsible; NumPy's own warnings would only print noise before that message
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return _simulate(args, argv)
    except BrokenPipeError:
        # output piped into e.g. `head`, which stopped reading: not an error
        sys.stderr.close()
        return 0


def _prepare_output(out: Path, args: argparse.Namespace) -> OutputFolder | int:
    """The checked output folder, or the exit code after saying why it cannot be used: checked
    before simulating, so nobody waits for results that cannot be written."""
    try:
        folder = OutputFolder.prepare(out, keep=[args.scenario])
    except OutputFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write outputs to {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        for note in folder.notes:
            print(f"note: {note} (left by an interrupted run)", file=sys.stderr)
    return folder


def _interrupted(folder: OutputFolder) -> str:
    """What an interrupted run leaves in its output folder, truthfully."""
    if folder.committed:
        return (f"\ninterrupted after the new results were complete: {folder.path} holds the "
                "new results")
    state = ("is unchanged and holds the previous results" if folder.had_results else
             "is unchanged (empty)" if folder.target.is_dir() else "was not created")
    return f"\ninterrupted: nothing was written; {folder.path} {state}"


def _backend_problem(args: argparse.Namespace) -> str | None:
    """Resolve --backend from --scheduler (an address implies Dask); why the combination
    of --backend, --scheduler and --workers cannot run, or None."""
    if args.scheduler is None:
        args.backend = args.backend or "local"
        return None
    if args.backend == "local":
        return "--scheduler is a Dask scheduler's address: use it with --backend dask, or drop it"
    args.backend = "dask"
    if args.workers is not None:
        return ("--workers sizes local processes or a local Dask cluster; a scheduler at "
                "--scheduler has its own workers (start more with 'dask worker ADDRESS')")
    from simulator.run.parallel import scheduler_address_problem

    problem = scheduler_address_problem(args.scheduler)
    return None if problem is None else f"--scheduler: {problem}"


#: Optional features: (module they need, the extra that installs it, as README.md writes it).
EXTRAS = {"--parquet": ("pyarrow", 'pip install ".[parquet]"'),
          "--backend dask": ("distributed", 'pip install ".[dask]"')}


def _missing_extras(args: argparse.Namespace) -> list[str]:
    """What the chosen options need but is not installed, checked before anything runs (a
    missing pyarrow used to fail after a whole run)."""
    import importlib.util

    wanted = [opt for opt, on in (("--parquet", args.parquet),
                                  ("--backend dask", args.backend == "dask")) if on]
    out = []
    for opt in wanted:
        module, command = EXTRAS[opt]
        if importlib.util.find_spec(module) is None:
            out.append(f"{opt} needs the {module} package, which is not installed; from the "
                       f"project's folder: {command}")
    return out


def _simulate(args: argparse.Namespace, argv: list[str]) -> int:
    if (problem := _backend_problem(args)) is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if missing := _missing_extras(args):
        for problem in missing:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        scenario = _load(args.scenario, args.set, args.claim, quiet=args.quiet)
        sweep_spec = _sweep_values(args.sweep) if args.sweep else None
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    overrides = run_overrides(args)
    if not args.quiet and (notice := subject_notice(args.scenario)):
        print(f"note: {notice}", file=sys.stderr)
    if sweep_spec is not None:
        return _run_sweep(args, scenario, *sweep_spec, overrides=overrides)
    out = args.out or default_output(scenario.name, overrides)
    folder = _prepare_output(out, args)
    if isinstance(folder, int):
        return folder
    try:
        return _run(args, argv, scenario, overrides, folder)
    except KeyboardInterrupt as exc:
        folder.discard()
        print(_interrupted(folder), file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    finally:
        folder.discard()  # nothing to do once committed


def _run(args: argparse.Namespace, argv: list[str], scenario: Scenario, overrides: list[str],
         folder: OutputFolder) -> int:
    interrupts.checkpoint("loaded")
    from simulator.analysis.convergence import simulate_to_precision
    from simulator.analysis.overview import analyse
    from simulator.report.figure_files import start_figures
    from simulator.report.text import format_summary
    from simulator.report.verdict import build_verdict
    from simulator.report.writers import write_run
    from simulator.run import engine, plan

    out = folder.path
    try:
        def run(trials: int | None):
            return engine.simulate(scenario, trials=trials, seed=args.seed, design=args.sampler,
                            workers=args.workers, backend=args.backend,
                            scheduler=args.scheduler, progress=not args.quiet)

        batches = None
        if args.precision:
            results, batches = simulate_to_precision(
                run, target=args.precision, start_trials=args.trials or scenario.trials,
                max_trials=args.max_trials, chunk_size=plan.CHUNK_SIZE)
            if not batches[-1]["met"] and not args.quiet:
                print(f"warning: precision {args.precision} not reached within "
                      f"{args.max_trials:,} trials", file=sys.stderr)
        else:
            results = run(args.trials)
        # the exact options, so that a rerun reproduces the run (same seed, same numbers)
        results = replace(results, provenance={**results.provenance, "command": {
            "argv": argv, "rerun": shlex.join(["simulate", *argv]), "overrides": overrides}})
        # the figures that need only the results are drawn while the results are analysed
        early = start_figures(results)
        try:
            analysis = analyse(results, sobol_n=args.sobol, batches=batches,
                               workers=args.workers, progress=not args.quiet)
            verdict = build_verdict(analysis)  # once, for the terminal and the report
        except BaseException:
            if early is not None:
                early.close()
            raise
        files = write_run(analysis, folder, parquet=args.parquet, verdict=verdict, early=early)
    except BrokenProcessPool:
        if interrupts.received is not None:  # the signal reached the workers first
            raise interrupts.Interrupted(interrupts.received) from None
        print("error: a worker process died (out of memory?); nothing was written; "
              f"{out} is unchanged", file=sys.stderr)
        return 1
    except OutputFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write outputs to {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except NumericalError as exc:
        print(f"error: {args.scenario}: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # a missing optional dependency or an unreachable cluster
        print(f"error: {exc}", file=sys.stderr)
        return 1
    interrupts.checkpoint("done")
    if not args.quiet:
        print(format_summary(analysis, verdict=verdict))
        if batches:
            print("precision batches: " + ", ".join(f"{b['trials']:,}" for b in batches) + "\n")
        print(f"wrote {len(files)} files to {out}/: " + ", ".join(f.name for f in files))
        if overrides and args.out is None:
            print(f"(the overrides change the results, so they get a folder of their own; the "
                  f"scenario as it is writes to {default_output(scenario.name, [])}/)")
    return 0


def _run_sweep(args: argparse.Namespace, scenario: Scenario, key: str, values: list, *,
               overrides: list[str]) -> int:
    out = args.out or default_output(scenario.name, overrides, suffix=f"-sweep-{key}")
    folder = _prepare_output(out, args)
    if isinstance(folder, int):
        return folder
    try:
        return _sweep(args, scenario, key, values, folder, overrides=overrides)
    except KeyboardInterrupt as exc:
        folder.discard()
        print(_interrupted(folder), file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    finally:
        folder.discard()


def _sweep(args: argparse.Namespace, scenario: Scenario, key: str, values: list,
           folder: OutputFolder, *, overrides: list[str]) -> int:
    from simulator.analysis.sweeps import sweep
    from simulator.report.text import format_sweep
    from simulator.report.writers import write_sweep

    quantities = args.sweep_metric or ["cumulative_spend"] + \
        [f"P({c.label})" for c in scenario.claims]
    try:
        table = sweep(scenario, key, values, trials=args.trials, seed=args.seed,
                      design=args.sampler, workers=args.workers, backend=args.backend,
                      scheduler=args.scheduler)
        unknown = sorted(set(quantities) - set(table["quantity"]))
        if unknown:
            print(f"error: unknown --sweep-metric {', '.join(unknown)}; choose from "
                  f"{', '.join(dict.fromkeys(table['quantity']))}", file=sys.stderr)
            return 2
        files = write_sweep(table, folder, path=key, quantities=quantities)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NumericalError as exc:
        print(f"error: {args.scenario}: {exc}", file=sys.stderr)
        return 2
    except OutputFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write outputs to {folder.path}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    except RuntimeError as exc:  # a missing extra, an unreachable or lost Dask cluster
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        if overrides:
            print("overrides: " + " ".join(overrides) + "\n")
        print(format_sweep(table, key, quantities))
        print(f"wrote {len(files)} files to {folder.path}/: " + ", ".join(f.name for f in files))
        if overrides and args.out is None:
            plain = default_output(scenario.name, [], suffix=f"-sweep-{key}")
            print(f"(the overrides change the results, so they get a folder of their own; the "
                  f"same sweep of the scenario as it is writes to {plain}/)")
    return 0


def _validate(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="simulate validate",
                                     description="Check scenario files without running them.")
    parser.add_argument("scenarios", type=Path, nargs="+", help="scenario YAML files")
    args = parser.parse_args(argv)
    failed = 0
    for path in args.scenarios:
        try:
            scenario = _load(path, [], [])
        except ScenarioError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{path}: valid ({len(scenario.uncertain_paths())} uncertain inputs, "
              f"{len(scenario.strategies)} strategies, {len(scenario.claims)} claims, "
              f"{scenario.horizon.start}-{scenario.horizon.end})")
    return 2 if failed else 0


def _schema(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="simulate schema",
                                     description="Print the JSON Schema of scenario files.")
    parser.parse_args(argv)
    from simulator.io.json_schema import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


def _describe(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="simulate describe",
                                     description="Print every assumption of a scenario with its "
                                     "distribution, P5/P50/P95 and source.")
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    try:
        scenario = _load(args.scenario, [], [])
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


def _optimize(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="simulate optimize",
        description="Search the scenario's levers for the settings on the cost-dependence-risk "
        "frontier (all on the same draws), and the choice that is robust across its variants.")
    parser.add_argument("scenario", type=Path, help="scenario YAML file with a 'levers' section")
    parser.add_argument("--budget", type=_positive_int, default=200,
                        help="lever settings to evaluate at most (default 200): the whole grid "
                        "when it fits, else a Latin hypercube on it and the neighbours of its "
                        "frontier (one objective: differential evolution)")
    parser.add_argument("--trials", type=_trial_count, help="trials per setting (default: the "
                        "scenario's 'trials')")
    parser.add_argument("--seed", type=_seed, help="random seed (default: the scenario's)")
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
    parser.add_argument("--workers", type=_workers, help="local processes (default: one per "
                        "core); results do not depend on it")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    args = parser.parse_args(argv)
    from simulator.analysis.lever_evaluation import with_statistics
    from simulator.analysis.robustness import variants_of

    try:
        scenario = _load(args.scenario, args.set, [], quiet=args.quiet)
        if scenario.levers is None:
            raise ScenarioError(str(args.scenario), [Issue(
                "levers", "the scenario has no 'levers' section to search",
                hint="add one; scenarios/base.yaml has an example")])
        paths = (variants_of(args.scenario) if args.variants is None
                 else [str(p) for p in args.variants])
        variants = {}
        for path in paths:
            variant = _load(Path(path), args.set, [], quiet=args.quiet)
            if variant.levers is not None:
                variants[variant.name] = variant
        if args.objective or args.constraint:
            scenario = with_statistics(scenario, args.objective, args.constraint,
                                           source=f"{args.scenario} with --objective/--constraint")
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out or Path("runs") / f"{scenario.name}-optimize"
    folder = _prepare_output(out, args)
    if isinstance(folder, int):
        return folder
    try:
        return _optimize_run(args, scenario, variants, folder)
    except KeyboardInterrupt as exc:
        folder.discard()
        print(_interrupted(folder), file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    finally:
        folder.discard()


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
    except OutputFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write outputs to {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except (NumericalError, SearchTooLargeError) as exc:
        print(f"error: {args.scenario}: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        ev = search.evaluation
        print(format_optimize(search.table, ev.objectives, scenario.levers, method=search.method,
                              trials=ev.trials, regret=regret, robust=robust))
        print(f"\nwrote {len(files)} files to {out}/: " + ", ".join(f.name for f in files))
    return 0


def _explore(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="simulate explore",
        description="Explore a scenario interactively in a local web page: move an assumption "
                    "and see spend, strategies and claims change (pip install '.[explore]').")
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--address", default="127.0.0.1", help="interface to listen on "
                        "(default 127.0.0.1: this machine only)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    parser.add_argument("--trials", type=_trial_count, help="trials per update (default: the "
                        "scenario's 'trials')")
    parser.add_argument("--seed", type=_seed, help="random seed (default: the scenario's)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    try:
        scenario = _load(args.scenario, [], [])
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


SUBCOMMANDS = {"validate": _validate, "schema": _schema, "describe": _describe,
               "optimize": _optimize, "explore": _explore}


if __name__ == "__main__":
    sys.exit(main())
