"""A run's report as one self-contained HTML file: ``report.html``.

Everything is inside the file: the figures are PNG data URIs, the style is one ``<style>``
block, there are no scripts, web fonts or links to anything outside the page, so the report
can be emailed or archived and opens the same anywhere. It is built from the
:class:`~simulator.analysis.overview.Analysis` of the run and the PNG files the writers produced (each
figure is rendered once, by :func:`simulator.report.figure_files.write_figures`).

Sections: the scenario's title, scope and the options that changed the run, the verdict
(:mod:`simulator.report.verdict`: each claim's answer, the cheapest strategy, dependence, funding and
what moves the answer), the summary per strategy, the strategy comparison, funding (when the
scenario has revenue), claims (probability, 95% interval, warnings, notes on scope), what must
be true (the inputs that separate trials where a claim holds, and its PRIM box), sensitivity
(the top of the tornado table), every figure, the tables the run wrote as CSV, and last the
provenance (command, seed, trials, design, file hashes, versions, wall time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from string import Template

from simulator.analysis.overview import Analysis
from simulator.report.html_sections import (
    claims_section,
    comparison_section,
    figures_section,
    funding_section,
    html_text,
    overrides_section,
    provenance_section,
    sensitivity_section,
    summary_section,
    tables_section,
    verdict_section,
    what_must_be_true_section,
)
from simulator.report.verdict import Verdict, build_verdict

#: Name of the report file in a run's output folder.
REPORT_NAME = "report.html"

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


def write_report(analysis: Analysis, folder: str | Path, figures: Iterable[str | Path] = (),
                 *, verdict: Verdict | None = None) -> Path:
    """Write ``report.html`` into ``folder``, listing the CSV tables already written there.

    Parameters
    ----------
    analysis : Analysis
        From :func:`simulator.analysis.overview.analyse`.
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
    sections = [("summary", "Summary per strategy", summary_section(analysis))]
    if len(results.strategies) > 1:
        sections.append(("comparison", "Strategies compared", comparison_section(analysis)))
    if getattr(sc, "revenue", None) is not None and hasattr(results, "funding_table"):
        sections.append(("funding", "Funding", funding_section(analysis)))
    sections += [
        ("claims", "Claims", claims_section(analysis)),
        ("what-must-be-true", "What must be true", what_must_be_true_section(analysis)),
        ("sensitivity", "Sensitivity", sensitivity_section(analysis)),
        ("figures", "Figures", figures_section(figures)),
    ]
    if tables:
        sections.append(("tables", "Tables written with this report", tables_section(tables)))
    sections.append(("provenance", "Provenance", provenance_section(analysis)))
    start, end = int(results.years[0]), int(results.years[-1])
    head = [f"<h1>{escape(sc.title or sc.name)}</h1>",
            f'<p class="sub">Scenario <b>{escape(sc.name)}</b>, {start}-{end}, '
            f"{len(results.strategies)} sourcing strateg{'y' if len(results.strategies) == 1 else 'ies'}, "
            f"{results.n_trials:,} trials. Money in nominal USD.</p>",
            *overrides_section(results.provenance),
            f'<p class="scope"><b>Scope.</b> {html_text(sc.scope)}</p>',
            verdict_section(verdict)]
    if sc.description:
        head.append(f"<p>{html_text(sc.description)}</p>")
    head.append("<nav>" + "".join(f'<a href="#{key}">{escape(title)}</a>'
                                  for key, title, _ in sections) + "</nav>")
    body = "\n".join([*head, *(f'<section id="{key}">\n<h2>{escape(title)}</h2>\n{content}\n'
                               "</section>" for key, title, content in sections)])
    footer = (" The tables it lists were written as CSV files at full precision in the same "
              "folder as this page; this page holds every number it shows, and works on its own."
              if tables else "")
    return _PAGE.substitute(title=escape(f"{sc.title or sc.name}: simulation report"),
                            css=_CSS, body=body, footer=footer)
