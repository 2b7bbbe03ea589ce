"""The main ``simulate SCENARIO.yaml`` path: the backend and optional packages checked first,
then one run (simulate, analyse, write the report and files) or a sweep of one assumption
over several values on the same draws, each into its checked output folder, with the exit
code for every kind of failure."""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import replace

from simulator import interrupts
from simulator.cli.arguments import load_with_options, run_overrides, sweep_values
from simulator.cli.outputs import FAILURES, default_output, failure_exit, write_into
from simulator.cli.preload import Preload
from simulator.errors import ScenarioError
from simulator.io.inheritance import subject_notice
from simulator.report.run_folder import OutputFolder
from simulator.spec.scenario import Scenario


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


def _single_run_options(args: argparse.Namespace) -> list[str]:
    """Options of a single run given with ``--sweep``, which would otherwise be ignored."""
    if not args.sweep:
        return []
    return [opt for opt, on in (("--parquet", args.parquet), ("--sobol", args.sobol),
                                ("--precision", args.precision)) if on]


def simulate_command(args: argparse.Namespace, argv: list[str]) -> int:
    if (problem := _backend_problem(args)) is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if ignored := _single_run_options(args):
        print(f"error: {', '.join(ignored)} {'applies' if len(ignored) == 1 else 'apply'} to a "
              "single run, not to --sweep (a sweep writes sweep.csv and sweep.png); run the "
              "value you want on its own with --set KEY=VALUE", file=sys.stderr)
        return 2
    if missing := _missing_extras(args):
        for problem in missing:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        scenario = load_with_options(args.scenario, args.set, args.claim, quiet=args.quiet)
        sweep_spec = sweep_values(args.sweep) if args.sweep else None
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    overrides = run_overrides(args)
    if not args.quiet and (notice := subject_notice(args.scenario)):
        print(f"note: {notice}", file=sys.stderr)
    if sweep_spec is not None:
        return _run_sweep(args, scenario, *sweep_spec, overrides=overrides)
    out = args.out or default_output(scenario.name, overrides)
    return write_into(out, args, lambda f: _run(args, argv, scenario, overrides, f))


#: Modules a run needs once its simulation is done, most of a second of imports (pandas,
#: matplotlib): see :mod:`simulator.cli.preload`. Then what the libraries load on first use:
#: the figure process is forked from this one, and would load them again. Pillow's first save
#: imports its five common image formats (``preinit``); the first ``savefig`` matplotlib's
#: renderer; the first CSV pandas' writer; and a table sent between the processes pyarrow's
#: pandas support.
AFTER_SIMULATION = ("simulator.analysis.overview", "simulator.report.verdict",
                    "simulator.report.figure_files", "simulator.report.writers",
                    "matplotlib.backends.backend_agg", "PIL.Image:preinit",
                    "pandas.io.formats.csvs", "pyarrow.pandas_compat")


def _run(args: argparse.Namespace, argv: list[str], scenario: Scenario, overrides: list[str],
         folder: OutputFolder) -> int:
    interrupts.checkpoint("loaded")
    from simulator.run import engine, plan

    out = folder.path
    try:
        def run(trials: int | None):
            return engine.simulate(scenario, trials=trials, seed=args.seed, design=args.sampler,
                            workers=args.workers, backend=args.backend,
                            scheduler=args.scheduler, progress=not args.quiet)

        batches = None
        if args.precision:
            from simulator.analysis.convergence import simulate_to_precision

            results, batches = simulate_to_precision(
                run, target=args.precision, start_trials=args.trials or scenario.trials,
                max_trials=args.max_trials, chunk_size=plan.CHUNK_SIZE)
            if not batches[-1]["met"] and not args.quiet:
                print(f"warning: precision {args.precision} not reached within "
                      f"{args.max_trials:,} trials", file=sys.stderr)
        else:
            # what comes after the simulation is imported while its workers run, if it has
            # any (a run of a few chunks simulates in this process, faster than a pool)
            with Preload(AFTER_SIMULATION) as preload:
                results = run(args.trials)
            preload.wait()
        from simulator.analysis.overview import analyse
        from simulator.report.figure_files import start_figures
        from simulator.report.verdict import build_verdict
        from simulator.report.writers import write_run

        # the exact options, so that a rerun reproduces the run (same seed, same numbers)
        results = replace(results, provenance={**results.provenance, "command": {
            "argv": argv, "rerun": shlex.join(["simulate", *argv]), "overrides": overrides}})
        # the figures that need only the results are drawn while the results are analysed
        early = start_figures(results)
        try:
            analysis = analyse(results, sobol_n=args.sobol, batches=batches,
                               workers=args.workers, progress=not args.quiet)
            if early is not None:  # the summary tables, computed there meanwhile
                results.adopt_tables(early.tables())
            verdict = build_verdict(analysis)  # once, for the terminal and the report
        except BaseException:
            if early is not None:
                early.close()
            raise
        files = write_run(analysis, folder, parquet=args.parquet, verdict=verdict, early=early)
    except FAILURES as exc:
        return failure_exit(exc, args, out)
    interrupts.checkpoint("done")
    if not args.quiet:
        from simulator.report.text import format_summary

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
    return write_into(out, args, lambda f: _sweep(args, scenario, key, values, f, overrides=overrides))


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
    except FAILURES as exc:
        return failure_exit(exc, args, folder.path)
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

