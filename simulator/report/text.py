"""The run summary printed in a terminal: plain text, 100 columns, numbers people can read."""

from __future__ import annotations

import textwrap

from simulator.analysis.discovery import describe_box
from simulator.analysis.overview import Analysis
from simulator.report.plot_style import format_probability
from simulator.report.verdict import Verdict, build_verdict
from simulator.results.breakdown import dependence_reasons
from simulator.spec.quantities import format_number, format_usd


def format_summary(analysis: Analysis, *, verdict: Verdict | None = None) -> str:
    """The terminal summary: the verdict first (``verdict``, by default
    :func:`simulator.report.verdict.build_verdict`), then per strategy cumulative spend and NPV
    (mean, P5, P50, P95), the installed GW in the last year, the strategy comparison, funding,
    claims and what drives them."""
    results = analysis.results
    sc = results.scenario
    start, end = int(results.years[0]), int(results.years[-1])
    table = results.summary().set_index(["metric", "strategy"])
    width = max(len(s) for s in results.strategies) + 2
    lines = [f"{sc.title or sc.name}",
             textwrap.fill(" ".join(sc.scope.split()), width=100, initial_indent="scope: ",
                           subsequent_indent="       "),
             f"{results.n_trials:,} trials, seed {results.provenance['seed']}, "
             f"{results.provenance['wall_seconds']:.2f} s", *format_options(results.provenance),
             "", (verdict or build_verdict(analysis)).to_text(width=100), ""]
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
    lines += format_funding(results)
    if not analysis.claims.empty:
        lines += _format_claims(analysis, width)
    lines += _format_drivers(analysis)
    lines += format_sobol(analysis)
    lines += _format_assumption_flags(analysis)
    return "\n".join(lines)


def format_options(provenance: dict) -> list[str]:
    """The command-line options that changed the run (``--set``, ``--claim``, ``--trials``,
    ...), as recorded in its provenance; nothing for a run of the scenario as it is."""
    options = (provenance.get("command") or {}).get("overrides") or []
    if not options:
        return []
    return textwrap.wrap("overrides: " + " ".join(options), width=100,
                         subsequent_indent="           ", break_on_hyphens=False)


def _format_assumption_flags(analysis: Analysis) -> list[str]:
    """One line per headline result that rests on an unsourced assumption."""
    flags = analysis.assumption_flags
    if flags.empty:
        return []
    lines = ["Resting on unsourced assumptions (source marked 'assumption:')"]
    for _, r in flags.iterrows():
        mark = "!" if r["flagged"] else " "
        lines.append(f" {mark} {r['result']}: {r['input']} ({r['effect']})")
    return [*lines, ""]


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
    if top.empty:
        return ["Every input is fixed: no sensitivity to report.", ""]
    what = str(top["metric"].iloc[0]).replace("_", " ")
    money = metric in ("cumulative_spend", "spend", "npv", "funding_gap")
    fmt = format_usd if money else format_number
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


def format_sobol(analysis: Analysis, top: int = 5) -> list[str]:
    """The inputs with the largest total Sobol index for the baseline strategy (with
    ``--sobol``): first-order and total indices as shares of the output's variance, with their
    95% intervals. Empty without a Sobol analysis."""
    sobol = analysis.sobol
    if sobol is None or sobol.empty:
        return []
    base = analysis.results.scenario.baseline_strategy
    rows = sobol[sobol["strategy"] == base].nlargest(top, "ST")
    metric, year = analysis.sensitivity_metric
    what = metric.replace("_", " ") + ("" if year is None else
                                       f" {'through' if metric == 'cumulative_spend' else 'in'} "
                                       f"{year}")

    def cell(value: float, conf: float) -> str:
        return f"{value:.1%}" + ("" if conf != conf else f" +/- {conf:.1%}")

    lines = [f"Sobol indices of {what} ({base}): share of its variance, with 95% intervals",
             f"  {'input':<44}{'first order (alone)':>22}{'total (with interactions)':>28}"]
    for r in rows.itertuples():
        lines.append(f"  {r.input:<44}{cell(r.S1, r.S1_conf):>22}{cell(r.ST, r.ST_conf):>28}")
    first = sobol.loc[sobol["strategy"] == base, "S1"].clip(lower=0).sum()
    lines.append(f"  first-order indices of all inputs sum to {first:.0%}: "
                 + (f"the other {1 - first:.0%} of the variance comes from interactions"
                    if first <= 1 else "above 100% by sampling noise, so interactions are small"))
    if (sobol.loc[sobol["strategy"] == base, ["S1", "ST"]] < 0).to_numpy().any():
        lines.append("  an estimate below 0 is sampling noise around 0 (an index cannot be "
                     "negative); a larger --sobol narrows the intervals")
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
              "  in-house program (the same units from the fallback - the strategy, all "
              "categories); breakeven: P(net saving >= 0 by the end)", ""]
    return lines + _format_reasons(results)


def _format_reasons(results) -> list[str]:
    """Why the dependence supplier's units stay: for strategies where other suppliers fell
    short, its units by reason and the binding constraint."""
    table = dependence_reasons(results)
    blocked = table[(table["reason"] != "planned") & (table["share"] > 0.005)]
    if blocked.empty:
        return []
    dep = results.scenario.dependence_supplier
    lines = [f"Why {dep}'s units stay (share of its units over the horizon)",
             f"  {'strategy':<16}{'planned':>9}{'cap':>7}{'delay':>7}{'failure':>9}  binding"]
    for s in dict.fromkeys(blocked["strategy"]):
        rows = table[table["strategy"] == s].set_index("reason")
        binding = rows.index[rows["binding"]][0]
        lines.append(f"  {s:<16}" + "".join(f"{rows.loc[r, 'share']:>{w}.0%}" for r, w in
                                         (("planned", 9), ("cap", 7), ("delay", 7),
                                          ("failure", 9))) + f"  {binding}")
    return [*lines, "  planned: the strategy's own shares; cap, delay, failure: as the fallback "
            "when another supplier's capacity (or a shock), slip or failure kept it short", ""]


def format_sweep(table, path: str, quantities: list[str]) -> str:
    """A sweep's chosen quantities per value and strategy, as text."""
    lines = [f"Sweep of {path} (same draws for every value)", ""]
    for quantity in quantities:
        rows = table[table["quantity"] == quantity]
        unit = rows["unit"].iloc[0]
        lines.append(f"{quantity} [{unit}]" + ("" if unit == "probability" else ": median (P5-P95)"))
        strategies = list(dict.fromkeys(rows["strategy"]))
        width = max(len(s) for s in strategies) + 2
        lines.append(f"  {'value':>12}  " + "".join(f"{s:>{max(width, 24)}}" for s in strategies))
        for value, grp in rows.groupby("value", sort=False):
            cells = []
            for s in strategies:
                r = grp[grp["strategy"] == s].iloc[0]
                if unit == "probability":
                    cells.append(format_probability(r["mean"]))
                elif unit == "USD":
                    cells.append(f"{format_usd(r['p50'])} ({format_usd(r['p5'])}-"
                                 f"{format_usd(r['p95'])})")
                else:
                    cells.append(f"{format_number(r['p50'])} ({format_number(r['p5'])}-"
                                 f"{format_number(r['p95'])})")
            lines.append(f"  {value!s:>12}  " + "".join(f"{c:>{max(width, 24)}}" for c in cells))
        lines.append("")
    return "\n".join(lines)


def format_funding(results) -> list[str]:
    """Funding view per strategy: what must be raised beyond committed money, and how likely
    committed money suffices."""
    if results.scenario.revenue is None:
        return []
    table = results.funding_table().set_index(["metric", "strategy"])
    width = max(len(s) for s in results.strategies) + 2
    end = int(results.years[-1])
    lines = [f"Funding through {end} (cash need = infrastructure cash spend + interest - "
             "operating cash flow)",
             f"  {'strategy':<{width}}{'peak need P50':>15}{'gap P50':>11}{'gap P95':>11}"
             f"{'P(funded)':>11}{'gap opens P50':>15}{'lease owed P50':>16}"]
    for s in results.strategies:
        def get(metric, col, s=s):
            return table.loc[(metric, s), col]
        year = get("gap_year", "p50")
        lines.append(f"  {s:<{width}}{format_usd(get('cash_need_peak', 'p50')):>15}"
                     f"{format_usd(get('funding_gap', 'p50')):>11}"
                     f"{format_usd(get('funding_gap', 'p95')):>11}"
                     f"{format_probability(get('p_funded', 'mean')):>11}"
                     f"{'never' if year == float('inf') else int(year):>15}"
                     f"{format_usd(get('committed_lease_payments', 'p50')):>16}")
    return [*lines, "  gap: the most that must be raised beyond committed funding; P(funded): "
            "committed funding covers every year", ""]
