"""The explorer's building blocks outside the page class: loading Panel, the strategies'
line colours, the claims table and the input descriptions as HTML with their CSS, and the
conversions between a scenario's values and the widgets' (slider ranges and steps, the share
tables, the lease text, a widget's value read as YAML)."""

from __future__ import annotations

import html
from typing import Any

from simulator.errors import ScenarioError
from simulator.io.yaml_source import parse_yaml
from simulator.report.explorer import Snapshot, describe_input
from simulator.report.plots import format_probability
from simulator.spec.quantities import format_usd
from simulator.spec.scenario import Scenario

#: Line colours of the strategies, in scenario order (Bokeh's Category10).
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
_INSTALL = 'the explorer needs Panel: pip install ".[explore]"'


def load_panel():
    try:
        import panel as pn
    except ImportError:
        raise RuntimeError(_INSTALL) from None
    return pn


def short_number(x: float) -> str:
    a = abs(x)
    if a >= 1e4:
        return format_usd(x).replace("$", "")
    return f"{x:.3g}"


def claims_html(snapshot: Snapshot) -> str:
    """The claims table: each claim's probability per strategy with its 95% interval.

    Each probability cell carries ``data-claim`` (the claim's position), ``data-strategy`` and
    ``data-probability`` (the unrounded value), so that tests read what is shown.
    """
    table = snapshot.claims
    if table.empty:
        return "<p>No claims in this scenario.</p>"
    head = "".join(f"<th>{html.escape(s)}</th>" for s in snapshot.strategies)
    rows = []
    for k, (claim, group) in enumerate(table.groupby("claim", sort=False)):
        cells = []
        for row in group.itertuples():
            cells.append(
                f"<td><span class='claim-p' data-claim='{k}' "
                f"data-strategy='{html.escape(row.strategy)}' "
                f"data-probability='{row.probability!r}'>{format_probability(row.probability)}"
                f"</span><br><small>[{format_probability(row.ci_low)} to "
                f"{format_probability(row.ci_high)}]</small></td>")
        rows.append(f"<tr><th class='claim-name'>{html.escape(str(claim))}</th>"
                    f"{''.join(cells)}</tr>")
    return ("<table class='claims'><thead><tr><th>P(claim) [95% interval]</th>" + head +
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


EXPLORER_CSS = """
table.claims {border-collapse: collapse; font-size: 13px;}
table.claims th, table.claims td {border-bottom: 1px solid #ddd; padding: 3px 8px;
  text-align: right; vertical-align: top;}
table.claims th.claim-name {text-align: left; font-weight: normal; max-width: 260px;}
table.claims .claim-p {font-weight: bold;}
"""


def verdict_html(verdict) -> str:
    """A run's verdict: its heading and its findings, each finding's lead in bold."""
    items = []
    for finding in verdict.findings:
        lead = finding.lead
        rest = finding.text[len(lead):] if lead else finding.text
        items.append(f"<li>{'<b>' + html.escape(lead) + '</b>' if lead else ''}"
                     f"{html.escape(rest)}</li>")
    return (f"<div class='verdict'><b>{html.escape(verdict.heading)}</b>"
            f"<ul style='margin:4px 0'>{''.join(items)}</ul></div>")


def error_html(exc: Exception) -> str:
    """Why the last change was refused, above the views that still show the last valid
    results."""
    message = f"error: {exc}" if isinstance(exc, ScenarioError) else \
        f"error: {type(exc).__name__}: {exc}"
    return (f"<pre class='explorer-error' style='white-space:pre-wrap;"
            f"margin:4px'>{html.escape(message)}</pre><small>&nbsp;The views "
            "below show the last valid results.</small>")


def input_html(scenario: Scenario, control) -> str:
    """An input's distribution, its P5, P50 and P95, and its source, under its control."""
    d = describe_input(scenario, control.path)
    source = html.escape(d["source"] or "(no source given)")
    short = source if len(source) <= 160 else source[:157] + "..."
    return (f"<div style='font-size:12px'>{html.escape(d['distribution'])}<br>"
            f"<b>P5</b> {short_number(d['p5'])} &nbsp; "
            f"<b>P50</b> {short_number(d['p50'])} &nbsp; "
            f"<b>P95</b> {short_number(d['p95'])}<br>"
            f"<span title='{source}' style='color:#555'>source: {short}</span></div>")


def read_widget_value(text: Any, path: str) -> Any:
    """A widget's value in YAML form ('7T', '[3, 4, 5]', '{2025: 0.8}'), as ``--set`` reads;
    a slider's number without the browser's binary noise (1.52, not 1.5200000000000002), so
    that the value shown is the value simulated."""
    if isinstance(text, float):
        return float(f"{text:.12g}")
    if not isinstance(text, str):
        return text
    value, _ = parse_yaml(text, f"explorer {path}")
    return value


def param_widget(pn, name: str, value: Any):
    """The widget of one parameter of an input's distribution: a text box for a list (read as
    YAML), else a slider around the value that also takes a typed number."""
    if isinstance(value, list):
        return pn.widgets.TextInput(label=name, value=str(value), width=280)
    lo, hi = slider_range(float(value))
    return pn.widgets.EditableFloatSlider(label=name, value=float(value), start=lo, end=hi,
                                          step=slider_step(lo, hi), width=280,
                                          format="0[.]000")


def slider_range(value: float) -> tuple[float, float]:
    if value == 0:
        return 0.0, 1.0
    if value > 0:
        return 0.0, float(f"{value * 2.5:.2g}")
    return float(f"{value * 2.5:.2g}"), float(f"{-value * 2.5:.2g}")


def slider_step(lo: float, hi: float) -> float:
    span = hi - lo
    return float(f"{span / 200:.1g}") if span > 0 else 0.01


def share_frame(shares: dict):
    import pandas as pd

    suppliers = list(dict.fromkeys(s for row in shares.values() for s in row))
    frame = pd.DataFrame([{s: float(row.get(s, 0.0)) for s in suppliers}
                          for row in shares.values()],
                         index=[str(k) for k in shares])
    frame.index.name = "year"
    return frame


def table_from_frame(frame) -> dict[str, dict[str, float]]:
    return {str(k): {s: float(v) for s, v in row.items()} for k, row in frame.iterrows()}


def lease_text(lease: dict) -> str:
    if set(lease) == {"all"}:
        return f"{lease['all']:g}"
    return "{" + ", ".join(f"{k}: {v:g}" for k, v in lease.items()) + "}"
