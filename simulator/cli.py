"""The ``simulate`` command: a thin layer over the public API.

``simulate SCENARIO.yaml [--trials N] [--seed S] [--out DIR] [--quiet]``

Exit codes: 0 success, 2 bad input (scenario or arguments), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from simulator.errors import ScenarioError
from simulator.quantities import format_usd


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
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
        epilog="Example: simulate scenarios/base.yaml --trials 50000 --out runs/base",
    )
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument("--trials", type=_positive_int, help="number of trials (default: the "
                        "scenario's 'trials')")
    parser.add_argument("--seed", type=_seed, help="random seed (default: the scenario's 'seed')")
    parser.add_argument("--out", type=Path, help="output folder (default: runs/<scenario name>)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    return parser


def format_summary(results) -> str:
    """The terminal summary: per strategy, cumulative spend and NPV (mean, P5, P50, P95) and the
    installed GW in the last year."""
    sc = results.scenario
    start, end = int(results.years[0]), int(results.years[-1])
    table = results.summary().set_index(["metric", "strategy"])
    width = max(len(s) for s in results.strategies) + 2
    lines = [f"{sc.title or sc.name}",
             textwrap.fill(" ".join(sc.scope.split()), width=100, initial_indent="scope: ",
                           subsequent_indent="       "),
             f"{results.n_trials:,} trials, seed {results.provenance['seed']}, "
             f"{results.provenance['wall_seconds']:.2f} s", ""]
    blocks = [("cumulative_spend", f"Cumulative spend {start}-{end} [USD, nominal]", format_usd),
              ("npv", f"NPV of spend at {start} [USD]", format_usd),
              ("installed_gw", f"Installed IT power in {end} [GW]", lambda x: f"{x:,.1f}")]
    for metric, title, fmt in blocks:
        lines.append(title)
        lines.append(f"  {'strategy':<{width}}{'mean':>10}{'P5':>10}{'P50':>10}{'P95':>10}")
        for s in results.strategies:
            row = table.loc[(metric, s)]
            lines.append(f"  {s:<{width}}" + "".join(f"{fmt(row[c]):>10}"
                                                   for c in ("mean", "p5", "p50", "p95")))
        lines.append("")
    if len(results.strategies) > 1:
        lines += _format_comparison(results, table, width)
    return "\n".join(lines)


def _format_comparison(results, table, width: int) -> list[str]:
    dep = results.scenario.dependence_supplier
    base = results.scenario.baseline_strategy
    comp = results.comparison().set_index(["metric", "strategy"])
    lines = [f"Strategies against {base} (paired, same draws)",
             f"  {'strategy':<{width}}{'spend diff P50':>16}{'P(cheaper)':>12}"
             f"{dep + ' share':>14}{'unmet':>8}{'in-house net':>14}{'breakeven':>11}"]
    metrics = set(table.index.get_level_values("metric"))
    for s in results.strategies:
        if s == base:
            diff, p = "", ""
        else:
            row = comp.loc[("cumulative_spend", s)]
            diff, p = format_usd(row["diff_p50"]), f"{row['p_cheaper']:.0%}"
        share = f"{table.loc[(f'{dep}_share', s), 'mean']:.0%}"
        unmet = f"{table.loc[('unmet_demand', s), 'mean']:.1%}"
        net = even = "-"
        if "inhouse_net_saving" in metrics and ("inhouse_net_saving", s) in table.index:
            net = format_usd(table.loc[("inhouse_net_saving", s), "p50"])
            even = f"{table.loc[('inhouse_breaks_even', s), 'mean']:.0%}"
        lines.append(f"  {s:<{width}}{diff:>16}{p:>12}{share:>14}{unmet:>8}{net:>14}{even:>11}")
    lines += [f"  spend diff: median of (strategy - {base}) cumulative spend; {dep} share: mean "
              "share of accelerator spend;",
              "  unmet: mean share of required compute-years not in service; in-house net: "
              "median net saving of the",
              "  in-house program (merchant spend avoided - own chips - program); breakeven: "
              "P(net saving >= 0 by the end)", ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``simulate`` command; returns the exit code."""
    from simulator import load_scenario, simulate
    from simulator.writers import write_run

    args = build_parser().parse_args(argv)
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out or Path("runs") / scenario.name
    try:
        results = simulate(scenario, trials=args.trials, seed=args.seed,
                           progress=not args.quiet)
        files = write_run(results, out)
    except KeyboardInterrupt:
        print(f"\ninterrupted: nothing was written; {out} is unchanged", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"error: cannot write outputs to {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(format_summary(results))
        print(f"wrote {len(files)} files to {out}/: " + ", ".join(f.name for f in files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
