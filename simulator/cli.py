"""The ``simulate`` command: a thin layer over the public API.

``simulate SCENARIO.yaml [--trials N] [--seed S] [--out DIR] [--quiet]``

Exit codes: 0 success, 2 bad input (scenario or arguments), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import warnings
from pathlib import Path

from simulator.analysis import Analysis
from simulator.discovery import describe_box
from simulator.errors import ScenarioError
from simulator.plots import format_probability
from simulator.quantities import format_usd
from simulator.sampling import DESIGNS
from simulator.scenario import CorrelationRepairWarning


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
    parser.add_argument("--claim", action="append", default=[], metavar="TEXT",
                        help="a claim to test, e.g. 'cumulative_spend through 2030 >= 7T' "
                        "(repeatable; added to the scenario's claims)")
    parser.add_argument("--sampler", choices=DESIGNS, help="sampling design (default: the "
                        "scenario's sampling.design)")
    parser.add_argument("--sobol", type=_power_of_two, metavar="N",
                        help="also compute Sobol indices with N base samples (a power of two; "
                        "costs N x (inputs + 2) model runs)")
    parser.add_argument("--precision", type=_fraction, metavar="SE",
                        help="run in batches until every claim probability has a standard error "
                        "<= SE and every mean and median of cumulative spend and NPV a relative "
                        "standard error <= SE (e.g. 0.005), or --max-trials is reached")
    parser.add_argument("--max-trials", type=_positive_int, default=2_000_000,
                        help="trial limit for --precision (default 2,000,000)")
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


def format_summary(analysis: Analysis) -> str:
    """The terminal summary: per strategy, cumulative spend and NPV (mean, P5, P50, P95), the
    installed GW in the last year, the strategy comparison, claims and what drives them."""
    results = analysis.results
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
    if not analysis.claims.empty:
        lines += _format_claims(analysis, width)
    lines += _format_drivers(analysis)
    return "\n".join(lines)


def _format_claims(analysis: Analysis, width: int) -> list[str]:
    lines = []
    for claim in analysis.results.scenario.claims:
        rows = analysis.claims[analysis.claims["claim"] == claim.label]
        lines.append(f"Claim: {claim.label}")
        if claim.note:
            lines.append(textwrap.fill(" ".join(claim.note.split()), width=100,
                                       initial_indent="  note: ", subsequent_indent="        "))
        lines.append(f"  {'strategy':<{width}}{'P(claim)':>10}{'95% interval':>20}{'MC s.e.':>10}")
        for _, r in rows.iterrows():
            interval = f"[{format_probability(r['ci_low'])}, {format_probability(r['ci_high'])}]"
            lines.append(f"  {r['strategy']:<{width}}{format_probability(r['probability']):>10}"
                         f"{interval:>20}{format_probability(r['mc_se']):>10}"
                         + (f"  ({r['warning']})" if r["warning"] else ""))
        lines.append("")
    return lines


def _format_drivers(analysis: Analysis) -> list[str]:
    sens = analysis.sensitivity
    base = analysis.results.scenario.baseline_strategy
    metric, _ = analysis.sensitivity_metric
    top = sens[sens["strategy"] == base].head(5)
    what = str(top["metric"].iloc[0]).replace("_", " ")
    money = metric in ("cumulative_spend", "spend", "npv")
    fmt = format_usd if money else (lambda x: f"{x:.3g}")
    lines = [f"What moves {what} most ({base}; tornado, each input P10 -> P90, others at medians)"]
    for _, r in top.iterrows():
        lines.append(f"  {r['input']:<44} {fmt(r['at_low']):>9} -> {fmt(r['at_high']):<9}"
                     f" (rank corr. {r['spearman']:+.2f})")
    for label, box in analysis.boxes.items():
        ranges = describe_box(box, analysis.results)
        if ranges:
            lines.append(f"  '{label}' holds in {box.density:.0%} of trials where "
                         + " and ".join(ranges[:3]) + f" ({box.support:.0%} of all trials, "
                         f"{box.coverage:.0%} of those where it holds)")
    return [*lines, ""]


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
    from simulator.analysis import analyse
    from simulator.convergence import simulate_to_precision
    from simulator.engine import CHUNK_SIZE
    from simulator.writers import write_run

    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CorrelationRepairWarning)
            scenario = load_scenario(args.scenario)
            if args.claim:
                claims = [c.model_dump(exclude_none=True) for c in scenario.claims]
                scenario = scenario.override({"claims": claims + args.claim})
        for w in caught:
            print(f"warning: {args.scenario}: {w.message}", file=sys.stderr)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out or Path("runs") / scenario.name
    try:
        def run(trials: int | None):
            return simulate(scenario, trials=trials, seed=args.seed, design=args.sampler,
                            progress=not args.quiet)

        batches = None
        if args.precision:
            results, batches = simulate_to_precision(
                run, target=args.precision, start_trials=args.trials or scenario.trials,
                max_trials=args.max_trials, chunk_size=CHUNK_SIZE)
            if not batches[-1]["met"] and not args.quiet:
                print(f"warning: precision {args.precision} not reached within "
                      f"{args.max_trials:,} trials", file=sys.stderr)
        else:
            results = run(args.trials)
        analysis = analyse(results, sobol_n=args.sobol, batches=batches)
        files = write_run(analysis, out)
    except KeyboardInterrupt:
        print(f"\ninterrupted: nothing was written; {out} is unchanged", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"error: cannot write outputs to {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(format_summary(analysis))
        if batches:
            print("precision batches: " + ", ".join(f"{b['trials']:,}" for b in batches) + "\n")
        print(f"wrote {len(files)} files to {out}/: " + ", ".join(f.name for f in files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
