"""A run's report as one self-contained HTML file: ``report.html``.

Everything is inside the file: the figures are PNG data URIs, the style is one ``<style>``
block, there are no scripts, web fonts or links to anything outside the page, so the report
can be emailed or archived and opens the same anywhere. It is built from the
:class:`~simulator.analyse.analysis.Analysis` of the run and the PNG files the writers produced (each
figure is rendered once, by :func:`simulator.report.writers.write_figures`).

Sections: the scenario's title, scope and the options that changed the run, the verdict
(:mod:`simulator.report.verdict`: each claim's answer, the cheapest strategy, dependence, funding and
what moves the answer), the summary per strategy, the strategy comparison, funding (when the
scenario has revenue), claims (probability, 95% interval, warnings, notes on scope), what must
be true (the inputs that separate trials where a claim holds, and its PRIM box), sensitivity
(the top of the tornado table), every figure, the tables the run wrote as CSV, and last the
provenance (command, seed, trials, design, file hashes, versions, wall time).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterable, Sequence
from html import escape
from pathlib import Path
from string import Template

import pandas as pd

from simulator.analyse.analysis import Analysis
from simulator.report.plots import format_probability
from simulator.report.verdict import Verdict, build_verdict
from simulator.spec.quantities import format_usd

#: Name of the report file in a run's output folder.
REPORT_NAME = "report.html"
#: Rows of the tornado table shown, and input rows shown per claim in "what must be true".
TOP_SENSITIVITY, TOP_DRIVERS = 10, 6

_CSS = """
body { margin: 0; background: #f6f6f3; color: #1d1d1b;
       font: 15px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 26px; line-height: 1.25; margin: 8px 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 8px; border-top: 2px solid #1d1d1b; }
h3 { font-size: 16px; margin: 22px 0 6px; }
p { margin: 6px 0 10px; }
.sub { color: #5a5a55; margin-top: 0; }
.scope { background: #f1f4f8; border-left: 4px solid #3b6ea5; padding: 8px 12px; }
.verdict { background: #f7f5ec; border: 1px solid #d9d3b8; padding: 6px 16px 8px; margin: 14px 0; }
.verdict h2 { border-top: none; margin: 6px 0 4px; padding-top: 0; }
.verdict ul { margin: 4px 0; padding-left: 20px; }
.verdict li { margin: 3px 0; }
.overrides { color: #8a4b00; }
.note { color: #5a5a55; font-size: 14px; }
.warn { color: #8a4b00; }
nav { font-size: 14px; margin: 12px 0 4px; }
nav a { color: #3b6ea5; margin-right: 12px; text-decoration: none; white-space: nowrap; }
.tw { overflow-x: auto; margin: 8px 0 14px; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { padding: 4px 9px; border-bottom: 1px solid #e2e2dc; text-align: left;
         vertical-align: top; }
th { background: #f1f1ec; font-weight: 600; border-bottom: 1px solid #b9b9b0; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.first td { border-top: 2px solid #9a9a90; }
table.kv th { background: none; border-bottom: 1px solid #e2e2dc; font-weight: 600;
              white-space: nowrap; }
td.mono { font-family: Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
figure { margin: 18px 0 26px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e2e2dc; }
figcaption { font-size: 13px; color: #5a5a55; margin-top: 4px; }
footer { margin-top: 36px; font-size: 12.5px; color: #5a5a55; }
"""

_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$css</style>
</head>
<body>
<main>
$body
<footer>Written by the <code>simulate</code> command of ai-infra-simulator.$footer</footer>
</main>
</body>
</html>
""")

#: Readable names of the headline metrics.
_METRIC_NAMES = {
    "cumulative_spend": "Cumulative spend",
    "npv": "NPV of spend",
    "installed_gw": "Installed IT power",
    "unmet_demand": "Unmet demand",
    "work_in_progress": "Paid for capacity serving after the horizon",
    "inhouse_net_saving": "In-house net saving",
    "inhouse_breakeven_year": "In-house breakeven year",
    "inhouse_breaks_even": "In-house breaks even",
    "cash_spend": "Cash spend",
    "economic_cost": "Economic cost",
    "committed_lease_payments": "Lease payments owed after the horizon",
    "cash_need_peak": "Peak cumulative cash need",
    "funding_gap": "Funding gap",
    "gap_year": "Year the funding gap opens",
    "p_funded": "Committed funding suffices",
}


def write_report(analysis: Analysis, folder: str | Path, figures: Iterable[str | Path] = (),
                 *, verdict: Verdict | None = None) -> Path:
    """Write ``report.html`` into ``folder``, listing the CSV tables already written there.

    Parameters
    ----------
    analysis : Analysis
        From :func:`simulator.analyse.analysis.analyse`.
    folder : str or Path
        An existing folder (normally the run's output folder while it is being written).
    figures : iterable of str or Path
        PNG files to embed, in order (normally every figure the run wrote).
    verdict : Verdict, optional
        Default: :func:`simulator.report.verdict.build_verdict` of the analysis.

    Returns
    -------
    Path
        The report file.
    """
    path = Path(folder) / REPORT_NAME
    images = [(Path(f).name, Path(f).read_bytes()) for f in figures]
    tables = sorted(p.name for p in Path(folder).glob("*.csv"))
    path.write_text(render_report(analysis, images, tables=tables, verdict=verdict),
                    encoding="utf-8")
    return path


def render_report(analysis: Analysis, figures: Sequence[tuple[str, bytes]] = (), *,
                  tables: Sequence[str] = (), verdict: Verdict | None = None) -> str:
    """The report as an HTML document.

    Parameters
    ----------
    analysis : Analysis
    figures : sequence of (str, bytes)
        File name and PNG bytes of each figure, in order.
    tables : sequence of str
        Names of the CSV files the run wrote, described in a section of their own.
    verdict : Verdict, optional
        Default: :func:`simulator.report.verdict.build_verdict` of the analysis.

    Returns
    -------
    str
        A complete, self-contained HTML document.
    """
    results = analysis.results
    sc = results.scenario
    verdict = build_verdict(analysis) if verdict is None else verdict
    sections = [("summary", "Summary per strategy", _summary(analysis))]
    if len(results.strategies) > 1:
        sections.append(("comparison", "Strategies compared", _comparison(analysis)))
    if getattr(sc, "revenue", None) is not None and hasattr(results, "funding_table"):
        sections.append(("funding", "Funding", _funding(analysis)))
    sections += [
        ("claims", "Claims", _claims(analysis)),
        ("what-must-be-true", "What must be true", _what_must_be_true(analysis)),
        ("sensitivity", "Sensitivity", _sensitivity(analysis)),
        ("figures", "Figures", _figures(figures)),
    ]
    if tables:
        sections.append(("tables", "Tables written with this report", _tables(tables)))
    sections.append(("provenance", "Provenance", _provenance(analysis)))
    start, end = int(results.years[0]), int(results.years[-1])
    head = [f"<h1>{escape(sc.title or sc.name)}</h1>",
            f'<p class="sub">Scenario <b>{escape(sc.name)}</b>, {start}-{end}, '
            f"{len(results.strategies)} sourcing strateg{'y' if len(results.strategies) == 1 else 'ies'}, "
            f"{results.n_trials:,} trials. Money in nominal USD.</p>",
            *_overrides(results.provenance),
            f'<p class="scope"><b>Scope.</b> {_text(sc.scope)}</p>',
            _verdict(verdict)]
    if sc.description:
        head.append(f"<p>{_text(sc.description)}</p>")
    head.append("<nav>" + "".join(f'<a href="#{key}">{escape(title)}</a>'
                                  for key, title, _ in sections) + "</nav>")
    body = "\n".join([*head, *(f'<section id="{key}">\n<h2>{escape(title)}</h2>\n{content}\n'
                               "</section>" for key, title, content in sections)])
    footer = (" The tables it lists were written as CSV files at full precision in the same "
              "folder as this page; this page holds every number it shows, and works on its own."
              if tables else "")
    return _PAGE.substitute(title=escape(f"{sc.title or sc.name}: simulation report"),
                            css=_CSS, body=body, footer=footer)


# -- sections ------------------------------------------------------------------------------------

def _verdict(verdict: Verdict) -> str:
    items = "".join(f"<li><b>{escape(f.lead)}</b>: {escape(f.text[len(f.lead) + 2:])}</li>"
                    if f.lead else f"<li>{escape(f.text)}</li>" for f in verdict.findings)
    return (f'<section id="verdict" class="verdict"><h2>{escape(verdict.heading)}</h2>'
            f"<ul>{items}</ul></section>")


def _overrides(provenance: dict) -> list[str]:
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


def _tables(tables: Sequence[str]) -> str:
    rows = [[name, TABLE_DESCRIPTIONS.get(name, "")] for name in tables]
    return ("<p>The run wrote these tables next to this page, as CSV files with every number at "
            "full precision. They are separate files: if this page reached you on its own, they "
            "are in the run's output folder, or a rerun with the command under Provenance "
            "writes them again.</p>" + _table(["file", "contents"], rows))


def _provenance(analysis: Analysis) -> str:
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
        ("Trials", _int(prov.get("trials")), False),
    ]
    kept = prov.get("kept_trials")
    if kept is not None and kept != prov.get("trials"):
        rows.append(("Trials kept", f"{_int(kept)} (means and claims cover every trial; "
                     "percentiles the kept ones)", False))
    rows.append(("Sampling design", str(prov.get("design")), False))
    rows.append(("Chunk size", _int(prov.get("chunk_size")), False))
    if prov.get("workers") is not None:
        rows.append(("Workers", f"{prov['workers']} ({prov.get('backend', 'local')})", False))
    wall = prov.get("wall_seconds")
    rows.append(("Wall time", f"{wall:,.2f} s" if isinstance(wall, int | float) else "-", False))
    if analysis.batches:
        rows.append(("Precision batches", ", ".join(_int(b.get("trials")) for b in
                                                    analysis.batches), False))
    versions = prov.get("versions") or {}
    text = ", ".join(f"{k} {v}" for k, v in versions.items() if v)
    rows.append(("Versions", f"Python {prov.get('python', '?')}; {text}", False))
    mono_attr = ' class="mono"'
    cells = "".join(f"<tr><th>{escape(k)}</th><td{mono_attr if mono else ''}>"
                    f"{escape(v)}</td></tr>" for k, v, mono in rows)
    return f'<div class="tw"><table class="kv">{cells}</table></div>'


def _summary(analysis: Analysis) -> str:
    results = analysis.results
    table = results.summary()
    start, end = int(results.years[0]), int(results.years[-1])
    glance = _at_a_glance(table, results.strategies, start, end)
    rows, first = [], set()
    for metric, group in table.groupby("metric", sort=False):
        for k, (_, r) in enumerate(group.iterrows()):
            unit = r["unit"]
            fmt = _formatter(unit)
            label = _metric_label(str(metric), unit, end) if k == 0 else ""
            if k == 0:
                first.add(len(rows))
            rows.append([label, r["strategy"], fmt(r["mean"]),
                         *(fmt(r[f"p{p}"]) for p in (5, 25, 50, 75, 95))])
    note = ("<p class=\"note\">Cumulative spend and NPV cover the whole horizon; spend, installed "
            f"power and the breakeven year refer to {end} or the horizon's end; shares are means "
            "over trials. In-house rows appear for strategies that use an in-house chip.</p>")
    return glance + "<h3>Every headline metric</h3>" + _table(
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
            fmt = _formatter(r["unit"])
            row.append(f"{fmt(r['p50'])} ({fmt(r['p5'])} to {fmt(r['p95'])})")
        rows.append(row)
    return ("<p>Median, with the P5 to P95 range in brackets.</p>"
            + _table(["strategy", *(label for _, label in columns)], rows,
                     numeric=range(1, len(columns) + 1)))


def _comparison(analysis: Analysis) -> str:
    results = analysis.results
    base = results.scenario.baseline_strategy
    comp = results.comparison()
    end = int(results.years[-1])
    rows, first = [], set()
    for strategy, group in comp.groupby("strategy", sort=False):
        for k, (_, r) in enumerate(group.iterrows()):
            fmt = _formatter(r["unit"], signed=True)
            if k == 0:
                first.add(len(rows))
            rows.append([strategy if k == 0 else "", _metric_label(r["metric"], r["unit"], end),
                         fmt(r["diff_mean"]), fmt(r["diff_p5"]), fmt(r["diff_p50"]),
                         fmt(r["diff_p95"]), _prob(r["p_cheaper"])])
    intro = (f"<p>Each strategy minus <b>{escape(base)}</b>, trial by trial on the same draws. "
             "P(lower) is the share of trials where the strategy's value is lower: cheaper for "
             "money, less dependent or less unmet for shares.</p>")
    return intro + _table(["strategy", "metric", "mean diff", "P5", "P50", "P95", "P(lower)"],
                          rows, numeric=range(2, 7), first_rows=first)


def _funding(analysis: Analysis) -> str:
    results = analysis.results
    table = results.funding_table()
    rows, first = [], set()
    for metric, group in table.groupby("metric", sort=False):
        for k, (_, r) in enumerate(group.iterrows()):
            fmt = _formatter(r["unit"])
            if k == 0:
                first.add(len(rows))
            rows.append([_METRIC_NAMES.get(metric, metric) if k == 0 else "", r["strategy"],
                         fmt(r["mean"]), fmt(r["p5"]), fmt(r["p50"]), fmt(r["p95"])])
    note = ("<p class=\"note\">Cash need = infrastructure cash spend + interest - operating cash "
            "flow; the gap is the most that must be raised beyond committed funding.</p>")
    return _table(["metric", "strategy", "mean", "P5", "P50", "P95"], rows,
                  numeric=range(2, 6), first_rows=first) + note


def _claims(analysis: Analysis) -> str:
    results = analysis.results
    claims = results.scenario.claims
    if not claims or analysis.claims.empty:
        return ("<p>The scenario states no claims. Add some under <code>claims:</code> or with "
                "<code>--claim</code>, e.g. <code>--claim 'cumulative_spend through 2030 &gt;= "
                "7T'</code>.</p>")
    parts = [f'<p class="scope"><b>Read against the scope:</b> {_text(results.scenario.scope)}</p>',
             "<p>P(claim) is the share of trials in which the claim holds, with its 95% Wilson "
             "interval and Monte Carlo standard error.</p>"]
    table = analysis.claims
    for claim in claims:
        rows_c = table[table["claim"] == claim.label]
        parts.append(f"<h3>{escape(claim.label)}</h3>")
        if claim.note:
            parts.append(f'<p class="note">{_text(claim.note)}</p>')
        fmt = _formatter(_claim_unit(claim.metric))
        rows = []
        for _, r in rows_c.iterrows():
            interval = f"{_prob(r['ci_low'])} to {_prob(r['ci_high'])}"
            warning = str(r.get("warning") or "")
            rows.append([r["strategy"], _prob(r["probability"]), interval, _prob(r["mc_se"]),
                         f"{_int(r['trials_true'])} of {_int(r['trials'])}",
                         fmt(r["metric_p50"]), _Warn(warning)])
        parts.append(_table(["strategy", "P(claim)", "95% interval", "MC s.e.", "trials true",
                             "metric P50", "warning"], rows, numeric=range(1, 6),
                            css_class="claims"))
    return "\n".join(parts)


def _what_must_be_true(analysis: Analysis) -> str:
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
            rows.append([r["input"], _num(r["median_if_true"]),
                         f"{_num(r['p10_if_true'])} to {_num(r['p90_if_true'])}",
                         _num(r["median_if_false"]),
                         f"{_num(r['p10_if_false'])} to {_num(r['p90_if_false'])}",
                         f"{r['ks']:.2f}", in_box])
        parts.append(_table(["input", "median if true", "P10-P90 if true", "median if false",
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
        return f"{name}in {_num(lo)} to {_num(hi)}" if named else f"{_num(lo)} to {_num(hi)}"
    if low_cut:
        return f"{name}\u2265 {_num(lo)}"
    if high_cut:
        return f"{name}\u2264 {_num(hi)}"
    return ""


def _sensitivity(analysis: Analysis) -> str:
    sens = analysis.sensitivity
    base = analysis.results.scenario.baseline_strategy
    top = sens[sens["strategy"] == base].head(TOP_SENSITIVITY) if not sens.empty else sens
    if top.empty:
        return "<p>Every input is fixed: there is nothing to be sensitive to.</p>"
    metric, _ = analysis.sensitivity_metric
    what = str(top["metric"].iloc[0]).replace("_", " ")
    money = metric in ("cumulative_spend", "spend", "npv", "funding_gap")
    fmt = (lambda x: format_usd(x) if math.isfinite(x) else "-") if money else _num
    has_sobol = "ST" in top.columns and top["ST"].notna().any()
    headers = ["input", "input P10", "input P90", "output at P10", "output at P90", "swing",
               "rank corr."] + (["Sobol S1", "Sobol ST"] if has_sobol else [])
    rows = []
    for _, r in top.iterrows():
        row = [r["input"], _num(r["value_low"]), _num(r["value_high"]), fmt(r["at_low"]),
               fmt(r["at_high"]), fmt(r["swing"]), _signed_num(r.get("spearman"))]
        if has_sobol:
            row += [_num(r.get("S1"), 2), _num(r.get("ST"), 2)]
        rows.append(row)
    intro = (f"<p>What moves the output, <b>{escape(what)}</b>, most for <b>{escape(base)}</b>: "
             "each input set to its P10 and its P90 with the others at their medians (tornado; "
             f"all at medians: {fmt(top['base'].iloc[0])}), and the rank correlation between "
             f"input and output over all trials. Top {len(rows)} of "
             f"{int((sens['strategy'] == base).sum())} inputs.</p>")
    return intro + _table(headers, rows, numeric=range(1, len(headers)))


def _figures(figures: Sequence[tuple[str, bytes]]) -> str:
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


# -- formatting ----------------------------------------------------------------------------------

class _Warn(str):
    """A table cell shown as a warning."""


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], *,
           numeric: Iterable[int] = (), first_rows: Iterable[int] = (),
           css_class: str | None = None) -> str:
    """An HTML table; every cell is escaped."""
    numeric, first_rows = set(numeric), set(first_rows)

    def cell(tag: str, k: int, value: object) -> str:
        classes = ["n"] if k in numeric else []
        if isinstance(value, _Warn) and value:
            classes.append("warn")
        attr = f' class="{" ".join(classes)}"' if classes else ""
        return f"<{tag}{attr}>{escape(str(value))}</{tag}>"

    head = "<tr>" + "".join(cell("th", k, h) for k, h in enumerate(headers)) + "</tr>"
    body = "".join(("<tr class=\"first\">" if i in first_rows and i else "<tr>")
                   + "".join(cell("td", k, v) for k, v in enumerate(row)) + "</tr>"
                   for i, row in enumerate(rows))
    attr = f' class="{css_class}"' if css_class else ""
    return f'<div class="tw"><table{attr}><thead>{head}</thead><tbody>{body}</tbody></table></div>'


def _text(text: str | None) -> str:
    """Escaped prose with YAML's folded line breaks joined."""
    return escape(" ".join(str(text or "").split()))


def _nan(x: object) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _num(x: object, digits: int = 3) -> str:
    """A value in its input's own unit: 3 significant digits, 12.8k, 10.4M, 1.5B, 7T."""
    if _nan(x):
        return "-"
    x = float(x)  # type: ignore[arg-type]
    if not math.isfinite(x):
        return "inf" if x > 0 else "-inf"
    for at, div, suffix in ((1e12, 1e12, "T"), (1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(x) >= at:
            return f"{x / div:.{digits}g}{suffix}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if x != 0 and abs(x) < 1e-3:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def _signed_num(x: object) -> str:
    return "-" if _nan(x) else f"{float(x):+.2f}"  # type: ignore[arg-type]


def _int(x: object) -> str:
    return "-" if _nan(x) else f"{int(x):,}"  # type: ignore[call-overload]


def _prob(x: object) -> str:
    return "-" if _nan(x) else format_probability(float(x))  # type: ignore[arg-type]


def _formatter(unit: str, *, signed: bool = False) -> Callable[[object], str]:
    """How to show a value of this unit: money as $1.2T, GW with one decimal, shares as %."""

    def usd(x: object) -> str:
        if _nan(x):
            return "-"
        x = float(x)  # type: ignore[arg-type]
        if not math.isfinite(x):
            return "inf" if x > 0 else "-inf"
        text = format_usd(x)
        return f"+{text}" if signed and x > 0 else text

    def gw(x: object) -> str:
        return "-" if _nan(x) else f"{float(x):{'+' if signed else ''},.1f} GW"  # type: ignore[arg-type]

    def share(x: object) -> str:
        if _nan(x):
            return "-"
        x = float(x)  # type: ignore[arg-type]
        return f"{100 * x:+.1f} pp" if signed else f"{x:.1%}"

    def year(x: object) -> str:
        if _nan(x):
            return "-"
        x = float(x)  # type: ignore[arg-type]
        if not math.isfinite(x):
            return "not by the end"
        return f"{x:+.1f} yr" if signed else str(round(x))

    return {"USD": usd, "GW": gw, "fraction": share, "probability": _prob,
            "year": year}.get(unit, lambda x: _num(x))


def _metric_label(metric: str, unit: str, end: int) -> str:
    if metric.startswith("spend_"):
        return f"Spend in {metric.removeprefix('spend_')}"
    if metric.endswith("_share"):
        return f"{metric.removesuffix('_share').capitalize()} share of chip spend"
    name = _METRIC_NAMES.get(metric, metric.replace("_", " ").capitalize())
    if metric == "installed_gw":
        return f"{name} in {end}"
    return name


def _claim_unit(metric: str) -> str:
    if metric in ("installed_gw",):
        return "GW"
    if metric.endswith("_share") or metric in ("unmet_demand", "dependence_share"):
        return "fraction"
    return "USD"

