"""The interactive explorer: controls and live views, in Jupyter or as a local web page.

Built on Panel (``pip install ".[explore]"``), which serves the same app to a notebook cell
and to a browser tab from a local Tornado server, with Bokeh figures whose data sources are
replaced in place on every change (no figure is rebuilt, nothing is rendered to an image on
the server). :mod:`simulator.report.explorer` holds the state and every number; this module only
lays out widgets and draws.

::

    simulate explore scenarios/base.yaml            # a local web page
    simulator.explore(scenario)                     # in a notebook cell
"""

from __future__ import annotations

import asyncio
import html
import time
from pathlib import Path
from typing import Any

from simulator.errors import ScenarioError
from simulator.report.explorer import (
    Explorer,
    Snapshot,
    editable_params,
    run_verdict,
)
from simulator.report.explorer_save import save_scenario
from simulator.report.explorer_widgets import (
    COLOURS,
    EXPLORER_CSS,
    claims_html,
    error_html,
    input_html,
    lease_text,
    load_panel,
    param_widget,
    read_widget_value,
    share_frame,
    short_number,
    table_from_frame,
    verdict_html,
)
from simulator.report.latest_only import LatestOnly
from simulator.report.plot_style import format_probability
from simulator.spec.scenario import Scenario


class ExplorerApp:
    """Widgets and Bokeh views over an :class:`Explorer`.

    Parameters
    ----------
    scenario : Scenario
    trials, seed : int, optional
        Default: the scenario's.
    save_folder : str or Path, optional
        Default folder of "Save as scenario" (default: the scenario file's folder).

    Attributes
    ----------
    layout : panel.viewable.Viewable
        The whole app (what a notebook cell shows and the server serves).
    explorer : Explorer
    scheduler : LatestOnly
    """

    def __init__(self, scenario: Scenario, *, trials: int | None = None,
                 seed: int | None = None, save_folder: str | Path | None = None) -> None:
        pn = load_panel()
        pn.extension("tabulator", raw_css=[EXPLORER_CSS], notifications=False)
        self.pn = pn
        self.explorer = Explorer(scenario, trials=trials, seed=seed)
        self.scheduler = LatestOnly(self._compute, self._draw, self._fail)
        self.draw_seconds = self.verdict_seconds = 0.0
        self.views_seconds = self.views_cpu_seconds = 0.0   # of the last change, in _changed
        self._verdict_of: Snapshot | None = None
        src = scenario.source_file
        folder = Path(save_folder) if save_folder else (Path(src).parent if src else Path.cwd())
        self._default_save = folder / f"{scenario.name}-explored.yaml"
        self._build_views()
        self._build_controls()
        snap = self.refresh()
        self._show_verdict(run_verdict(self.explorer.results, snap.claims), snap)
        self.layout = self._layout()

    # -- controls ------------------------------------------------------------------------------
    def _build_controls(self) -> None:
        pn, ex = self.pn, self.explorer
        sc = ex.original
        self.trials = pn.widgets.IntInput(label="trials", value=ex.trials, start=1, step=1000,
                                          width=120)
        self.seed = pn.widgets.IntInput(label="seed", value=ex.seed, start=0, width=120)
        for w in (self.trials, self.seed):
            w.param.watch(self._changed, "value")
        self.input_widgets: dict[str, dict[str, Any]] = {}
        self.input_info: dict[str, Any] = {}
        cards = []
        for control in ex.controls:
            params = editable_params(sc, control.path)
            widgets = {}
            for name, value in params.items():
                w = param_widget(pn, name, value)
                w.param.watch(self._changed, "value")
                widgets[name] = w
            self.input_widgets[control.path] = widgets
            info = pn.pane.HTML(input_html(sc, control), width=300, margin=(0, 5))
            self.input_info[control.path] = info
            unit = f" [{control.unit}]" if control.unit else ""
            cards.append(pn.Card(info, *widgets.values(), title=f"{control.path}{unit}",
                                 collapsed=False, width=320, margin=(2, 2)))
        self.input_cards = cards
        self.share_widgets = {}
        self.lease_widgets = {}
        strategy_cards = []
        for name, strategy in sc.strategies.items():
            frame = share_frame(strategy.shares)
            table = pn.widgets.Tabulator(frame, width=300, show_index=True, layout="fit_columns")
            table.param.watch(self._changed, "value")
            lease = pn.widgets.TextInput(label="lease share (one number, or {year: share})",
                                         value=lease_text(strategy.lease_share), width=300)
            lease.param.watch(self._changed, "value")
            self.share_widgets[name], self.lease_widgets[name] = table, lease
            strategy_cards.append(pn.Card(
                pn.pane.HTML(f"<small>{html.escape(strategy.description or '')}</small>",
                             width=300), table, lease, title=f"strategy {name}",
                collapsed=name != sc.baseline_strategy, width=320, margin=(2, 2)))
        self.strategy_cards = strategy_cards
        self.threshold_widgets = []
        for claim in sc.claims:
            w = pn.widgets.TextInput(label=f"{claim.label}: {claim.metric} {claim.op}",
                                     value=short_number(claim.threshold), width=300)
            w.param.watch(self._changed, "value")
            self.threshold_widgets.append(w)
        self.save_path = pn.widgets.TextInput(label="save as", value=str(self._default_save),
                                              width=300)
        self.save_button = pn.widgets.Button(label="Save as scenario", color="primary",
                                             width=150)
        self.save_button.on_click(self.save)
        self.save_message = pn.pane.HTML("", width=300)
        # what each control shows for the scenario as loaded: a control back at it is no edit
        self._original = {
            "params": {p: editable_params(sc, p) for p in self.input_widgets},
            "shares": {n: table_from_frame(share_frame(sc.strategies[n].shares))
                       for n in self.share_widgets},
            "lease": {n: read_widget_value(lease_text(sc.strategies[n].lease_share), "")
                      for n in self.lease_widgets}}

    def request(self) -> dict[str, Any]:
        """The state the widgets show: ``changes`` (key-path overrides), ``trials``, ``seed``.

        Raises
        ------
        ScenarioError
            For a value that cannot be read (e.g. text where a list is expected).
        """
        ex = self.explorer
        original = self._original
        changes: dict[str, Any] = {}
        for path, widgets in self.input_widgets.items():
            now = {name: read_widget_value(w.value, f"{path}.{name}") for name, w in widgets.items()}
            if now != original["params"][path]:
                changes.update(ex.input_change(path, now))
        for name, table in self.share_widgets.items():
            rows = table_from_frame(table.value)
            if rows != original["shares"][name]:
                changes.update(ex.shares_change(name, rows))
        for name, w in self.lease_widgets.items():
            value = read_widget_value(w.value, f"strategies.{name}.lease_share")
            if value != original["lease"][name]:
                table = value if isinstance(value, dict) else {"all": value}
                changes[f"strategies.{name}.lease_share"] = {str(k): v for k, v in table.items()}
        thresholds = {k: read_widget_value(w.value, f"claims[{k}].threshold")
                      for k, w in enumerate(self.threshold_widgets)
                      if w.value.strip() != short_number(ex.original.claims[k].threshold)}
        if thresholds:
            changes.update(ex.threshold_change(thresholds))
        return {"changes": changes, "trials": self.trials.value, "seed": self.seed.value}

    # -- updates -------------------------------------------------------------------------------
    async def _changed(self, *_events) -> None:
        t0, cpu0 = time.perf_counter(), time.process_time()
        try:
            request = self.request()
        except ScenarioError as exc:
            self._fail(exc)
            return
        run = self.scheduler.submit(request)
        if run is None:
            return   # the running update picks this request up
        await run
        self.views_seconds = time.perf_counter() - t0
        self.views_cpu_seconds = time.process_time() - cpu0
        await self._update_verdict()

    async def _update_verdict(self) -> None:
        """Compute the verdict of the results on screen and show it, unless newer results
        have started meanwhile (then their own update draws theirs)."""
        snap, results = self.explorer.snapshot, self.explorer.results
        if snap is None or self._verdict_of is snap:
            return
        t0 = time.perf_counter()
        try:
            verdict = await asyncio.get_running_loop().run_in_executor(
                None, run_verdict, results, snap.claims)
        except Exception as exc:  # the views stand without it
            self.verdict.object = f"<i>no verdict: {html.escape(str(exc))}</i>"
            return
        if self.explorer.snapshot is not snap or self.scheduler.busy:
            return   # stale
        self._show_verdict(verdict, snap)
        self.verdict_seconds = time.perf_counter() - t0

    def _show_verdict(self, verdict, snap: Snapshot) -> None:
        self.verdict.object = verdict_html(verdict)
        self.verdict.styles = {"opacity": "1"}
        self._verdict_of = snap

    def _compute(self, request: dict[str, Any]) -> Snapshot:
        # the request holds every edit, so edits since undone are dropped
        return self.explorer.apply(request["changes"], trials=request["trials"],
                                   seed=request["seed"], replace=True)

    def refresh(self, request: dict[str, Any] | None = None) -> Snapshot:
        """Re-simulate and redraw now, synchronously and without the scheduler: the widgets'
        state (:meth:`request`) or the current one.

        Raises
        ------
        ScenarioError
            For an invalid value; the last good results stay drawn.
        """
        snapshot = self._compute(request) if request is not None else \
            self.explorer.apply()
        self._draw(snapshot)
        return snapshot

    def _fail(self, exc: Exception) -> None:
        self.error.object = error_html(exc)
        self.error.visible = True

    def _draw(self, snap: Snapshot) -> None:
        t0 = time.perf_counter()
        pn = self.pn
        with pn.io.hold():
            self.error.visible = False
            self.error.object = ""
            self._draw_fan(snap)
            self._draw_cumulative(snap)
            self._draw_dependence(snap)
            self.claims.object = claims_html(snap)
            # the verdict follows the views (it costs more than they do): dimmed until then
            self.verdict.styles = {"opacity": "0.45"}
            controls = {c.path: c for c in self.explorer.controls}
            for path, info in self.input_info.items():   # P5/P50/P95 of the edited inputs
                info.object = input_html(self.explorer.scenario, controls[path])
            sec = snap.seconds
            self.status.object = (
                f"<span class='explorer-status'>{snap.trials:,} trials, seed {snap.seed}: "
                f"simulated in {sec.get('simulate', 0):.2f} s, summarised in "
                f"{sec.get('summarise', 0):.2f} s</span>")
        self.draw_seconds = time.perf_counter() - t0

    # -- views ---------------------------------------------------------------------------------
    def _build_views(self) -> None:
        pn = self.pn
        sc = self.explorer.original
        strategies = sc.strategy_names
        self.colours = {s: COLOURS[k % len(COLOURS)] for k, s in enumerate(strategies)}
        years = list(map(int, sc.years))
        opts = dict(height=280, sizing_mode="stretch_width", toolbar_location=None)
        self._build_fan(years, opts)
        self._build_cumulative(opts)
        self._build_paired(opts)
        self._build_share(years, opts)
        self.claims = pn.pane.HTML("", sizing_mode="stretch_width")
        self.verdict = pn.pane.HTML("", sizing_mode="stretch_width")
        self.status = pn.pane.HTML("", sizing_mode="stretch_width")
        self.error = pn.pane.HTML("", visible=False, sizing_mode="stretch_width",
                                  styles={"color": "#a00", "background": "#fee",
                                          "border": "1px solid #d88"})

    def _build_fan(self, years: list[int], opts: dict) -> None:
        from bokeh.models import ColumnDataSource, NumeralTickFormatter
        from bokeh.plotting import figure

        pn, sc, colours = self.pn, self.explorer.original, self.colours
        strategies, zeros = sc.strategy_names, [0.0] * len(years)
        self.fan_strategy = pn.widgets.Select(label="fan chart of", options=strategies,
                                              value=sc.baseline_strategy, width=180)
        self.fan_strategy.param.watch(lambda _e: self._draw_fan(self.explorer.snapshot),
                                      "value")
        self.fan_src = ColumnDataSource({"year": years, **{f"p{p}": zeros
                                                           for p in (5, 25, 50, 75, 95)}})
        self.median_src = ColumnDataSource({"xs": [years] * len(strategies),
                                            "ys": [zeros] * len(strategies),
                                            "strategy": strategies,
                                            "colour": [colours[s] for s in strategies]})
        fan = figure(title="Annual spend [$B, nominal, log scale]: P5-P95, P25-P75 and median",
                     y_axis_type="log", **opts)
        fan.varea("year", "p5", "p95", source=self.fan_src, fill_alpha=0.18, color="#1f77b4",
                  legend_label="P5-P95")
        fan.varea("year", "p25", "p75", source=self.fan_src, fill_alpha=0.35, color="#1f77b4",
                  legend_label="P25-P75")
        fan.line("year", "p50", source=self.fan_src, line_width=2.5, color="#1f77b4",
                 legend_label="median")
        fan.multi_line("xs", "ys", source=self.median_src, color="colour", line_width=1,
                       line_dash="dashed", legend_field="strategy")
        fan.legend.label_text_font_size = "10px"
        fan.add_layout(fan.legend[0], "right")   # beside the data, never over it
        fan.yaxis.formatter = NumeralTickFormatter(format="0,0")
        self.fan = fan


    def _build_cumulative(self, opts: dict) -> None:
        from bokeh.models import ColumnDataSource, FactorRange
        from bokeh.plotting import figure

        strategies, colours = self.explorer.original.strategy_names, self.colours
        ys = list(reversed(strategies))
        self.cum_src = ColumnDataSource({"strategy": strategies, **{
            k: [0.0] * len(strategies) for k in ("p5", "p25", "p50", "p75", "p95", "mean")},
            "colour": [colours[s] for s in strategies]})
        cum = figure(title="Cumulative spend over the horizon [$T]: P5-P95, P25-P75, median",
                     y_range=FactorRange(*ys), **{**opts, "height": 220})
        cum.segment("p5", "strategy", "p95", "strategy", source=self.cum_src, color="colour",
                    line_width=2)
        cum.hbar(y="strategy", left="p25", right="p75", height=0.4, source=self.cum_src,
                 color="colour", fill_alpha=0.5)
        cum.scatter("p50", "strategy", source=self.cum_src, size=9, color="black")
        self.cumulative_fig = cum


    def _build_paired(self, opts: dict) -> None:
        from bokeh.models import ColumnDataSource, FactorRange, LabelSet, Span
        from bokeh.plotting import figure

        sc, colours = self.explorer.original, self.colours
        strategies = sc.strategy_names
        others = [s for s in strategies if s != sc.baseline_strategy]
        self.paired_src = ColumnDataSource({"strategy": others, **{
            k: [0.0] * len(others) for k in ("p5", "p50", "p95")},
            "label": [""] * len(others), "colour": [colours[s] for s in others]})
        paired = figure(title=f"Each strategy minus {sc.baseline_strategy} on the same trials "
                        "[$B]: P5-P95, median", y_range=FactorRange(*reversed(others)),
                        **{**opts, "height": 220})
        paired.add_layout(Span(location=0, dimension="height", line_color="#444",
                               line_dash="dotted"))
        paired.segment("p5", "strategy", "p95", "strategy", source=self.paired_src,
                       color="colour", line_width=2)
        paired.scatter("p50", "strategy", source=self.paired_src, size=9, color="black")
        # P(cheaper) beside each strategy's name, where no data can hide it
        paired.add_layout(LabelSet(x=4, x_units="screen", y="strategy", text="label",
                                   source=self.paired_src, y_offset=6, text_font_size="11px",
                                   text_color="#333"))
        self.paired_fig = paired


    def _build_share(self, years: list[int], opts: dict) -> None:
        from bokeh.models import ColumnDataSource
        from bokeh.plotting import figure

        sc, colours = self.explorer.original, self.colours
        strategies, zeros = sc.strategy_names, [0.0] * len(years)
        dep = sc.dependence_supplier
        self.dep_src = ColumnDataSource({"xs": [years] * len(strategies),
                                         "ys": [zeros] * len(strategies),
                                         "strategy": strategies,
                                         "colour": [colours[s] for s in strategies]})
        share = figure(title=f"{dep.capitalize()} share of each year's accelerator spend "
                       "[%], median", y_range=(0, 105), **opts)
        share.multi_line("xs", "ys", source=self.dep_src, color="colour", line_width=2,
                         legend_field="strategy")
        share.legend.label_text_font_size = "10px"
        share.add_layout(share.legend[0], "right")
        self.share_fig = share


    def _draw_fan(self, snap: Snapshot | None) -> None:
        if snap is None:
            return
        i = snap.strategies.index(self.fan_strategy.value)
        b = snap.fan / 1e9
        data = {"year": list(map(int, snap.years))}
        for k, p in enumerate((5, 25, 50, 75, 95)):
            data[f"p{p}"] = b[k, i].tolist()
        self.fan_src.data = data
        self.median_src.data = {**self.median_src.data,
                                "ys": [b[2, s].tolist() for s in range(len(snap.strategies))]}

    def _draw_cumulative(self, snap: Snapshot) -> None:
        c = snap.cumulative
        self.cum_src.data = {**self.cum_src.data, **{
            k: (c[k] / 1e12).tolist() for k in ("p5", "p25", "p50", "p75", "p95", "mean")}}
        p = snap.paired
        labels = [f"cheaper in {format_probability(x)}" for x in p["p_cheaper"]]
        self.paired_src.data = {**self.paired_src.data,
                                "p5": (p["diff_p5"] / 1e9).tolist(),
                                "p50": (p["diff_p50"] / 1e9).tolist(),
                                "p95": (p["diff_p95"] / 1e9).tolist(), "label": labels}

    def _draw_dependence(self, snap: Snapshot) -> None:
        self.dep_src.data = {**self.dep_src.data, "ys": list(snap.dependence[1] * 100)}

    # -- saving --------------------------------------------------------------------------------
    def save(self, _event=None) -> Path | None:
        """Write the edits as a scenario file (:func:`save_scenario`) named in the "save as"
        box; the file written, or None with the reason shown beside the button."""
        try:
            path = save_scenario(self.explorer, self.save_path.value)
        except (ValueError, OSError) as exc:
            self.save_message.object = f"<span style='color:#a00'>not saved: " \
                                       f"{html.escape(str(exc))}</span>"
            return None
        self.save_message.object = (f"<span class='saved'>saved {html.escape(str(path))}; run "
                                    f"<code>simulate {html.escape(str(path))}</code></span>")
        return path

    def _layout(self):
        pn = self.pn
        sc = self.explorer.original
        title = html.escape(sc.title or sc.name)
        controls = pn.Column(
            pn.pane.HTML("<b>Run</b>"), pn.Row(self.trials, self.seed),
            pn.pane.HTML("<b>Inputs that move the answer most</b> (tornado of the baseline's "
                         "cumulative spend)", width=320),
            *self.input_cards,
            pn.pane.HTML("<b>Strategies</b>: shares of purchases by year (each row sums to "
                         "1)", width=320),
            *self.strategy_cards,
            pn.pane.HTML("<b>Claim thresholds</b>"), *self.threshold_widgets,
            self.save_path, self.save_button, self.save_message,
            width=340, scroll=True, height=900)
        views = pn.Column(
            pn.pane.HTML(f"<h2 style='margin:4px 0'>{title}</h2>"), self.status, self.error,
            self.verdict, self.claims, pn.Row(self.fan_strategy), self.fan,
            pn.Row(self.cumulative_fig, self.paired_fig, sizing_mode="stretch_width"),
            self.share_fig, sizing_mode="stretch_width")
        return pn.Row(controls, views, sizing_mode="stretch_width")

    def servable(self):
        """The layout (for ``panel serve`` scripts)."""
        return self.layout
