"""The sections of ``report.html``, each HTML built from a run's analysis; every cell and every
piece of prose is escaped."""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

import pandas as pd

from simulator.analysis.overview import Analysis
from simulator.report.formatting import (
    METRIC_NAMES,
    claim_unit,
    format_count,
    format_number,
    format_prob,
    format_signed,
    metric_label,
    value_formatter,
)
from simulator.report.verdict import Verdict
from simulator.spec.quantities import format_usd

#: Rows of the tornado table shown, and input rows shown per claim in "what must be true".
TOP_SENSITIVITY, TOP_DRIVERS = 10, 6

# -- sections ------------------------------------------------------------------------------------

def verdict_section(verdict: Verdict) -> str:
    items = "".join(f"<li><b>{escape(f.lead)}</b>: {escape(f.text[len(f.lead) + 2:])}</li>"
                    if f.lead else f"<li>{escape(f.text)}</li>" for f in verdict.findings)
    return (f'<section id="verdict" class="verdict"><h2>{escape(verdict.heading)}</h2>'
            f"<ul>{items}</ul></section>")


def overrides_section(provenance: dict) -> list[str]:
    """A line naming the command-line options that changed the run, if any."""
    command = provenance.get("command") or {}
    options = command.get("overrides") or []
    if not options:
        return []
    return [f'<p class="overrides"><b>Changed from the scenario file by the command line:</b> '
            f"<code>{escape(' '.join(options))}</code></p>"]


#: What each CSV table of a run holds.
TABLE_DESCRIPTIONS = {
    "summary.csv": "every headline metric per strategy: mean, percentiles and their Monte Carlo "
                   "standard errors",
    "yearly.csv": "spend per strategy, year and category: mean, percentiles, standard errors",
    "indicators.csv": "installed GW, demand, unmet share and the dependence share, by strategy "
                      "and year",
    "comparison.csv": "each strategy against the baseline on the same draws: paired differences "
                      "and P(lower)",
    "claims.csv": "each claim's probability per strategy, 95% interval, trials true",
    "what_must_be_true.csv": "per claim, each input where it holds against where it does not, "
                             "and the PRIM box",
    "funding.csv": "cash spend, economic cost, peak cash need, funding gap and P(funded)",
    "sensitivity.csv": "tornado swings, rank correlations and (with --sobol) Sobol indices",
}


def tables_section(tables: Sequence[str]) -> str:
    rows = [[name, TABLE_DESCRIPTIONS.get(name, "")] for name in tables]
    return ("<p>The run wrote these tables next to this page, as CSV files with every number at "
            "full precision. They are separate files: if this page reached you on its own, they "
            "are in the run's output folder, or a rerun with the command under Provenance "
            "writes them again.</p>" + html_table(["file", "contents"], rows))


def provenance_section(analysis: Analysis) -> str:
    prov = analysis.results.provenance
    command = prov.get("command") or {}
    rows: list[tuple[str, str, bool]] = []
    if command.get("rerun"):
        rows.append(("Command", str(command["rerun"]), True))
    if command.get("overrides"):
        rows.append(("Overrides", " ".join(command["overrides"]), True))
    rows += [
        ("Scenario file", str(prov.get("scenario_file") or "(not from a file)"), False),
        ("File SHA-256", str(prov.get("scenario_file_sha256") or "-"), True),
        ("Content SHA-256", str(prov.get("scenario_content_sha256") or "-"), True),
        ("Seed", str(prov.get("seed")), False),
        ("Trials", format_count(prov.get("trials")), False),
    ]
    kept = prov.get("kept_trials")
    if kept is not None and kept != prov.get("trials"):
        rows.append(("Trials kept", f"{format_count(kept)} (means and claims cover every trial; "
                     "percentiles the kept ones)", False))
    rows.append(("Sampling design", str(prov.get("design")), False))
    rows.append(("Chunk size", format_count(prov.get("chunk_size")), False))
    if prov.get("workers") is not None:
        rows.append(("Workers", f"{prov['workers']} ({prov.get('backend', 'local')})", False))
    wall = prov.get("wall_seconds")
    rows.append(("Wall time", f"{wall:,.2f} s" if isinstance(wall, int | float) else "-", False))
    if analysis.batches:
        rows.append(("Precision batches", ", ".join(format_count(b.get("trials")) for b in
                                                    analysis.batches), False))
    versions = prov.get("versions") or {}
    text = ", ".join(f"{k} {v}" for k, v in versions.items() if v)
    rows.append(("Versions", f"Python {prov.get('python', '?')}; {text}", False))
    mono_attr = ' class="mono"'
    cells = "".join(f"<tr><th>{escape(k)}</th><td{mono_attr if mono else ''}>"
                    f"{escape(v)}</td></tr>" for k, v, mono in rows)
    return f'<div class="tw"><table class="kv">{cells}</table></div>'


def summary_section(analysis: Analysis) -> str:
    results = analysis.results
    table = results.summary()
    start, end = int(results.years[0]), int(results.years[-1])
    glance = _at_a_glance(table, results.strategies, start, end)
    rows, first = [], set()
    for metric, group in table.groupby("metric", sort=False):
        for k, (_, r) in enumerate(group.iterrows()):
            unit = r["unit"]
            fmt = value_formatter(unit)
            label = metric_label(str(metric), unit, end) if k == 0 else ""
            if k == 0:
                first.add(len(rows))
            rows.append([label, r["strategy"], fmt(r["mean"]),
                         *(fmt(r[f"p{p}"]) for p in (5, 25, 50, 75, 95))])
    note = ("<p class=\"note\">Cumulative spend and NPV cover the whole horizon; spend, installed "
            f"power and the breakeven year refer to {end} or the horizon's end; shares are means "
            "over trials. In-house rows appear for strategies that use an in-house chip.</p>")
    return glance + "<h3>Every headline metric</h3>" + html_table(
        ["metric", "strategy", "mean", "P5", "P25", "P50", "P75", "P95"], rows,
        numeric=range(2, 8), first_rows=first) + note


def _at_a_glance(table: pd.DataFrame, strategies: Sequence[str], start: int, end: int) -> str:
    """One row per strategy: cumulative spend, NPV and installed power (median and P5-P95)."""
    by = table.set_index(["metric", "strategy"])
    columns = [("cumulative_spend", f"cumulative spend {start}-{end}"),
               ("npv", f"NPV at {start}"), ("installed_gw", f"installed power {end}")]
    columns = [(m, label) for m, label in columns if m in by.index.get_level_values("metric")]
    rows = []
    for s in strategies:
        row = [s]
        for metric, _ in columns:
            if (metric, s) not in by.index:
                row.append("-")
                continue
            r = by.loc[(metric, s)]
            fmt = value_formatter(r["unit"])
            row.append(f"{fmt(r['p50'])} ({fmt(r['p5'])} to {fmt(r['p95'])})")
        rows.append(row)
    return ("<p>Median, with the P5 to P95 range in brackets.</p>"
            + html_table(["strategy", *(label for _, label in columns)], rows,
                     numeric=range(1, len(columns) + 1)))


def comparison_section(analysis: Analysis) -> str:
    results = analysis.results
    base = results.scenario.baseline_strategy
    comp = results.comparison()
    end = int(results.years[-1])
    rows, first = [], set()
    for strategy, group in comp.groupby("strategy", sort=False):
        for k, (_, r) in enumerate(group.iterrows()):
            fmt = value_formatter(r["unit"], signed=True)
            if k == 0:
                first.add(len(rows))
            rows.append([strategy if k == 0 else "", metric_label(r["metric"], r["unit"], end),
                         fmt(r["diff_mean"]), fmt(r["diff_p5"]), fmt(r["diff_p50"]),
                         fmt(r["diff_p95"]), format_prob(r["p_cheaper"])])
    intro = (f"<p>Each strategy minus <b>{escape(base)}</b>, trial by trial on the same draws. "
             "P(lower) is the share of trials where the strategy's value is lower: cheaper for "
             "money, less dependent or less unmet for shares.</p>")
    return intro + html_table(["strategy", "metric", "mean diff", "P5", "P50", "P95", "P(lower)"],
                          rows, numeric=range(2, 7), first_rows=first)


def funding_section(analysis: Analysis) -> str:
    results = analysis.results
    table = results.funding_table()
    rows, first = [], set()
    for metric, group in table.groupby("metric", sort=False):
        for k, (_, r) in enumerate(group.iterrows()):
            fmt = value_formatter(r["unit"])
            if k == 0:
                first.add(len(rows))
            rows.append([METRIC_NAMES.get(metric, metric) if k == 0 else "", r["strategy"],
                         fmt(r["mean"]), fmt(r["p5"]), fmt(r["p50"]), fmt(r["p95"])])
    note = ("<p class=\"note\">Cash need = infrastructure cash spend + interest - operating cash "
            "flow; the gap is the most that must be raised beyond committed funding.</p>")
    return html_table(["metric", "strategy", "mean", "P5", "P50", "P95"], rows,
                  numeric=range(2, 6), first_rows=first) + note


def claims_section(analysis: Analysis) -> str:
    results = analysis.results
    claims = results.scenario.claims
    if not claims or analysis.claims.empty:
        return ("<p>The scenario states no claims. Add some under <code>claims:</code> or with "
                "<code>--claim</code>, e.g. <code>--claim 'cumulative_spend through 2030 &gt;= "
                "7T'</code>.</p>")
    parts = [f'<p class="scope"><b>Read against the scope:</b> {html_text(results.scenario.scope)}</p>',
             "<p>P(claim) is the share of trials in which the claim holds, with its 95% Wilson "
             "interval and Monte Carlo standard error.</p>"]
    table = analysis.claims
    for claim in claims:
        rows_c = table[table["claim"] == claim.label]
        parts.append(f"<h3>{escape(claim.label)}</h3>")
        if claim.note:
            parts.append(f'<p class="note">{html_text(claim.note)}</p>')
        fmt = value_formatter(claim_unit(claim.metric))
        rows = []
        for _, r in rows_c.iterrows():
            interval = f"{format_prob(r['ci_low'])} to {format_prob(r['ci_high'])}"
            warning = str(r.get("warning") or "")
            rows.append([r["strategy"], format_prob(r["probability"]), interval, format_prob(r["mc_se"]),
                         f"{format_count(r['trials_true'])} of {format_count(r['trials'])}",
                         fmt(r["metric_p50"]), Warn(warning)])
        parts.append(html_table(["strategy", "P(claim)", "95% interval", "MC s.e.", "trials true",
                             "metric P50", "warning"], rows, numeric=range(1, 6),
                            css_class="claims"))
    return "\n".join(parts)


def what_must_be_true_section(analysis: Analysis) -> str:
    results = analysis.results
    drivers = analysis.drivers
    if drivers.empty:
        return ("<p>No claim has enough trials on both sides (at least 50 where it holds and 50 "
                "where it does not) to say which inputs decide it.</p>")
    base = results.scenario.baseline_strategy
    parts = [f"<p>For the baseline strategy <b>{escape(base)}</b>: each input's median and "
             "P10-P90 range among the trials where the claim holds and where it does not, ranked "
             "by the Kolmogorov-Smirnov distance between the two (0 = no difference, 1 = fully "
             "separated), and the PRIM box: the input ranges in which the claim is likely.</p>"]
    for label, group in drivers.groupby("claim", sort=False):
        parts.append(f"<h3>{escape(str(label))}</h3>")
        box = analysis.boxes.get(label)
        if box is not None:
            ranges = [text for path in box.limits
                      if (text := _box_range(box, results, path, named=True))]
            if ranges:
                parts.append(f"<p>Holds in <b>{box.density:.0%}</b> of the trials where "
                             + " and ".join(f"<code>{escape(r)}</code>" for r in ranges)
                             + f" ({box.support:.0%} of all trials, covering {box.coverage:.0%} "
                             "of those where it holds).</p>")
            else:
                parts.append("<p>No box of input ranges makes it clearly more likely.</p>")
        rows = []
        for _, r in group.head(TOP_DRIVERS).iterrows():
            in_box = _box_range(box, results, r["input"]) if box is not None else ""
            rows.append([r["input"], format_number(r["median_if_true"]),
                         f"{format_number(r['p10_if_true'])} to {format_number(r['p90_if_true'])}",
                         format_number(r["median_if_false"]),
                         f"{format_number(r['p10_if_false'])} to {format_number(r['p90_if_false'])}",
                         f"{r['ks']:.2f}", in_box])
        parts.append(html_table(["input", "median if true", "P10-P90 if true", "median if false",
                             "P10-P90 if false", "KS", "box range"], rows, numeric=range(1, 7)))
    return "\n".join(parts)


def _box_range(box, results, path: str, *, named: bool = False) -> str:
    """The box's restriction of one input: '>= 1.14', '<= 0.151', '0.0851 to 0.16', or ''
    when the box leaves it free (a side at the sample's minimum or maximum restricts nothing)."""
    if path not in box.limits or path not in results.inputs:
        return ""
    lo, hi = box.limits[path]
    x = results.inputs[path]
    low_cut, high_cut = lo > x.min(), hi < x.max()
    name = f"{path} " if named else ""
    if low_cut and high_cut:
        span = f"{format_number(lo)} to {format_number(hi)}"
        return f"{name}in {span}" if named else span
    if low_cut:
        return f"{name}\u2265 {format_number(lo)}"
    if high_cut:
        return f"{name}\u2264 {format_number(hi)}"
    return ""


def sensitivity_section(analysis: Analysis) -> str:
    sens = analysis.sensitivity
    base = analysis.results.scenario.baseline_strategy
    top = sens[sens["strategy"] == base].head(TOP_SENSITIVITY) if not sens.empty else sens
    if top.empty:
        return "<p>Every input is fixed: there is nothing to be sensitive to.</p>"
    metric, _ = analysis.sensitivity_metric
    what = str(top["metric"].iloc[0]).replace("_", " ")
    money = metric in ("cumulative_spend", "spend", "npv", "funding_gap")
    fmt = (lambda x: format_usd(x) if math.isfinite(x) else "-") if money else format_number
    has_sobol = "ST" in top.columns and top["ST"].notna().any()
    headers = ["input", "input P10", "input P90", "output at P10", "output at P90", "swing",
               "rank corr."] + (["Sobol S1", "Sobol ST"] if has_sobol else [])
    rows = []
    for _, r in top.iterrows():
        row = [r["input"], format_number(r["value_low"]), format_number(r["value_high"]), fmt(r["at_low"]),
               fmt(r["at_high"]), fmt(r["swing"]), format_signed(r.get("spearman"))]
        if has_sobol:
            row += [format_number(r.get("S1"), 2), format_number(r.get("ST"), 2)]
        rows.append(row)
    intro = (f"<p>What moves the output, <b>{escape(what)}</b>, most for <b>{escape(base)}</b>: "
             "each input set to its P10 and its P90 with the others at their medians (tornado; "
             f"all at medians: {fmt(top['base'].iloc[0])}), and the rank correlation between "
             f"input and output over all trials. Top {len(rows)} of "
             f"{int((sens['strategy'] == base).sum())} inputs.</p>")
    return intro + html_table(headers, rows, numeric=range(1, len(headers)))


def figures_section(figures: Sequence[tuple[str, bytes]]) -> str:
    if not figures:
        return "<p>This run wrote no figures.</p>"
    parts = []
    for name, data in figures:
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        caption = _FIGURE_CAPTIONS.get(name, "")
        parts.append(f'<figure id="fig-{escape(Path(name).stem)}"><img src="{uri}" '
                     f'alt="{escape(name)}"><figcaption><b>{escape(name)}</b>'
                     f"{': ' + escape(caption) if caption else ''}</figcaption></figure>")
    return "\n".join(parts)


_FIGURE_CAPTIONS = {
    "fan_chart.png": "annual spend per strategy: median, P25-P75 and P5-P95 bands",
    "spend_by_category.png": "mean annual spend per strategy, stacked by category",
    "strategies.png": "the strategies on the same draws: distributions, paired differences, "
                      "cumulative paths and dependence over time",
    "s_curve.png": "each claim's metric as a cumulative distribution, with the claim's threshold",
    "funding.png": "cumulative cash need against committed funding",
    "tornado.png": "one-at-a-time swings of the most influential inputs (baseline strategy)",
    "sobol.png": "Sobol sensitivity indices (baseline strategy)",
}


class Warn(str):
    """A table cell shown as a warning."""


def html_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *,
           numeric: Iterable[int] = (), first_rows: Iterable[int] = (),
           css_class: str | None = None) -> str:
    """An HTML table; every cell is escaped."""
    numeric, first_rows = set(numeric), set(first_rows)

    def cell(tag: str, k: int, value: object) -> str:
        classes = ["n"] if k in numeric else []
        if isinstance(value, Warn) and value:
            classes.append("warn")
        attr = f' class="{" ".join(classes)}"' if classes else ""
        return f"<{tag}{attr}>{escape(str(value))}</{tag}>"

    head = "<tr>" + "".join(cell("th", k, h) for k, h in enumerate(headers)) + "</tr>"
    body = "".join(("<tr class=\"first\">" if i in first_rows and i else "<tr>")
                   + "".join(cell("td", k, v) for k, v in enumerate(row)) + "</tr>"
                   for i, row in enumerate(rows))
    attr = f' class="{css_class}"' if css_class else ""
    return f'<div class="tw"><table{attr}><thead>{head}</thead><tbody>{body}</tbody></table></div>'


def html_text(text: str | None) -> str:
    """Escaped prose with YAML's folded line breaks joined."""
    return escape(" ".join(str(text or "").split()))
