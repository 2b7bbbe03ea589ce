"""Plot functions: the contract (the Axes given comes back, no pyplot figure is opened) and what
makes a figure readable (money on log axes without scientific notation, names with units,
labels that do not overlap, shares as percentages)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from simulator.analysis.overview import analyse
from simulator.analysis.sensitivity import sobol_analysis
from simulator.io.loading import load_scenario
from simulator.report import plot_style, plots, plots_analysis
from simulator.report.figure_files import write_figures
from simulator.run.engine import simulate

matplotlib.use("Agg")
BASE = Path(__file__).resolve().parents[2] / "scenarios" / "base.yaml"


@pytest.fixture(scope="module")
def analysis():
    return analyse(simulate(load_scenario(BASE), trials=3000, seed=3, workers=1))


@pytest.fixture(scope="module")
def sobol(analysis):
    return sobol_analysis(analysis.results.scenario, n_base=64, seed=1, workers=1,
                          n_bootstrap=20)


def _calls(analysis, sobol):
    """Every public plot function with arguments, as (name, call(ax))."""
    results = analysis.results
    claim = results.scenario.claims[0]
    sweep = pd.DataFrame({
        "value": [1, 1, 2, 2], "strategy": ["a", "b", "a", "b"],
        "quantity": "cumulative_spend", "unit": "USD", "mean": [2e12, 2.1e12, 3e12, 3.2e12],
        "p5": [1e12, 1.1e12, 1.5e12, 1.6e12], "p50": [2e12, 2e12, 3e12, 3e12],
        "p95": [4e12, 4.2e12, 6e12, 6.1e12]})
    return [
        ("fan_chart", lambda ax: plots.fan_chart(results, ax=ax)),
        ("category_breakdown", lambda ax: plots.category_breakdown(results, ax=ax)),
        ("strategy_distributions", lambda ax: plots.strategy_distributions(results, ax=ax)),
        ("paired_difference", lambda ax: plots.paired_difference(results, ax=ax)),
        ("dependence_over_time", lambda ax: plots.dependence_over_time(results, ax=ax)),
        ("cumulative_paths", lambda ax: plots.cumulative_paths(results, ax=ax)),
        ("s_curve", lambda ax: plots_analysis.s_curve(results, claim, ax=ax)),
        ("tornado_chart", lambda ax: plots_analysis.tornado_chart(analysis.sensitivity, ax=ax)),
        ("sobol_bars", lambda ax: plots_analysis.sobol_bars(sobol, output="cumulative spend", ax=ax)),
        ("sweep_chart", lambda ax: plots_analysis.sweep_chart(sweep, ax=ax)),
        ("funding_chart", lambda ax: plots_analysis.funding_chart(results, ax=ax)),
    ]


def test_every_plot_returns_the_axes_it_was_given_and_opens_no_pyplot_figure(analysis, sobol):
    plt.close("all")
    names = []
    for name, call in _calls(analysis, sobol):
        ax = Figure().subplots()
        assert call(ax) is ax, name
        assert plt.get_fignums() == [], f"{name} opened a pyplot figure"
        names.append(name)
    public = {n for module in (plots, plots_analysis) for n in dir(module)
              if callable(getattr(module, n)) and not n.startswith("_")
              and getattr(getattr(module, n), "__module__", "") == module.__name__
              and "ax" in getattr(module, n).__code__.co_varnames}
    assert public == set(names)


def _tick_texts(axis) -> list[str]:
    """Labels of the major ticks inside the view (older Matplotlib also labels ticks beyond it)."""
    axis.axes.figure.canvas.draw()
    lo, hi = sorted(axis.get_view_interval())
    at = 1 if axis.axis_name == "y" else 0  # a label's position along its axis is its tick's
    return [t.get_text() for t in axis.get_ticklabels()
            if t.get_visible() and t.get_text() and lo <= t.get_position()[at] <= hi]


def test_money_on_a_log_axis_is_labelled_at_1_2_5_without_scientific_notation(analysis):
    ax = plots.strategy_distributions(analysis.results, ax=Figure().subplots())
    assert ax.get_yscale() == "log"
    labels = _tick_texts(ax.yaxis)
    assert len(labels) >= 3
    assert all(t.startswith("$") and "e" not in t for t in labels), labels
    assert any(t.startswith("$2") or t.startswith("$5") for t in labels), labels
    assert "whiskers: P5-P95" in ax.get_title()


def test_shares_on_a_share_claim_axis_are_percentages(analysis):
    claim = "nvidia_share in 2030 < 0.5"
    ax = plots_analysis.s_curve(analysis.results, claim, ax=Figure().subplots())
    assert all(t.endswith("%") for t in _tick_texts(ax.xaxis))
    assert ax.get_xlabel().endswith("[%]")
    # the legend sits to the right of the data, outside the axes
    legend = ax.get_legend()
    assert legend is not None and legend.get_bbox_to_anchor().x0 >= ax.bbox.x1 - 1


def test_s_curve_reads_the_analysis_probabilities_as_it_would_compute_them(analysis):
    claim = analysis.results.scenario.claims[0]
    legends = []
    for probabilities in (None, analysis.claims):
        ax = plots_analysis.s_curve(analysis.results, claim, ax=Figure().subplots(),
                                    probabilities=probabilities)
        legends.append([t.get_text() for t in ax.get_legend().get_texts()])
    assert legends[0] == legends[1]
    assert all("P = " in text for text in legends[0])


def test_input_labels_are_words_with_units():
    assert plot_style.input_label("suppliers.nvidia.price_per_unit", "USD/unit") == \
        "nvidia: price per unit [USD/unit]"
    assert plot_style.input_label("datacentre.cost_per_mw", "USD/MW") == \
        "data centre: cost per MW [USD/MW]"
    assert plot_style.input_label("demand.growth.decay", "-") == "demand growth: decay"


def test_tornado_names_inputs_with_their_units_and_shows_dollars_as_dollars(analysis):
    units = {"suppliers.nvidia.price_per_unit": "USD/unit"}
    ax = plots_analysis.tornado_chart(analysis.sensitivity, units=units, ax=Figure().subplots())
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    price = [t for t in labels if t.startswith("nvidia: price per unit [USD/unit]")]
    assert len(price) == 1
    # two dollar signs would be read as a formula: they are escaped
    assert r"\$" in price[0] and "$" not in price[0].replace(r"\$", "")


def test_sobol_figure_is_named_for_its_output_and_explains_negative_estimates(sobol):
    table = sobol.copy()
    table.loc[table.index[0], "S1"] = -0.05
    strategy = table["strategy"].iloc[0]
    ax = plots_analysis.sobol_bars(table, strategy=strategy, output="cumulative spend through 2030",
                          ax=Figure().subplots())
    assert "cumulative spend through 2030" in ax.get_title()
    assert "below 0 are sampling noise" in ax.get_xlabel()
    assert "95%" in " ".join(t.get_text() for t in ax.get_legend().get_texts())


def test_line_end_labels_do_not_overlap_even_when_lines_coincide():
    ax = Figure().subplots()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ends = [(1.0, 1.0, "a", "k"), (1.0, 1.0, "b", "k"), (1.0, 0.99, "c", "k"),
            (1.0, 0.2, "d", "k")]
    plot_style.label_line_ends(ax, ends, gap=0.05)
    placed = sorted(t.xyann[1] for t in ax.texts)
    assert len(placed) == 4
    assert np.all(np.diff(placed) >= 0.05 - 1e-12)
    assert placed[-1] <= 1.0


@pytest.mark.parametrize(("x", "text"), [(21950.0, "21,950"), (0.5, "0.5"), (1.25e-3, "0.00125"),
                                         (150.0, "150"), (0.0, "0"), (3e6, "3,000,000")])
def test_plain_numbers_never_use_scientific_notation(x, text):
    assert plot_style.plain_number(x) == text


def test_summary_tables_are_computed_once_and_callers_cannot_change_them(analysis):
    results = analysis.results
    first = results.summary()
    first.loc[:, "mean"] = -1.0
    again = results.summary()
    assert (again["mean"] != -1.0).all()
    assert again.equals(results.summary())


def test_figures_drawn_in_two_processes_equal_those_drawn_in_one(analysis, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    a = write_figures(analysis, one, workers=1)
    b = write_figures(analysis, two, workers=2)
    assert [p.name for p in a] == [p.name for p in b]
    for p, q in zip(a, b, strict=True):
        assert p.read_bytes() == q.read_bytes(), p.name


def test_terminal_summarises_sobol_indices_and_writes_no_scientific_notation(analysis, sobol):
    import dataclasses
    import re

    from simulator.report.text import format_sobol, format_summary

    table = sobol.copy()
    base = analysis.results.scenario.baseline_strategy
    table.loc[table.index[table["strategy"] == base][0], "S1"] = -0.01
    with_sobol = dataclasses.replace(analysis, sobol=table)
    lines = format_sobol(with_sobol)
    assert lines[0].startswith("Sobol indices of cumulative spend through 2030")
    top = table[table["strategy"] == base].nlargest(1, "ST")["input"].iloc[0]
    assert lines[2].split()[0] == top
    assert any("below 0 is sampling noise" in line for line in lines)
    text = format_summary(with_sobol)
    assert "\n".join(lines) in text
    assert not re.search(r"\d[eE][+-]\d", text), "scientific notation in the terminal"
    assert format_sobol(dataclasses.replace(analysis, sobol=None)) == []


def test_figures_started_before_the_analysis_equal_those_drawn_after(analysis, tmp_path):
    from simulator.report.figure_files import RESULTS_FIGURES, start_figures

    after, early_dir = tmp_path / "after", tmp_path / "early"
    after.mkdir()
    early_dir.mkdir()
    expected = write_figures(analysis, after, workers=1)
    early = start_figures(analysis.results)
    if early is None:
        pytest.skip("figures are drawn early only where processes fork, on two cores or more")
    assert set(early.names) == set(RESULTS_FIGURES) & {p.name for p in expected}
    got = write_figures(analysis, early_dir, early=early)
    assert [p.name for p in got] == [p.name for p in expected]
    for p, q in zip(expected, got, strict=True):
        assert p.read_bytes() == q.read_bytes(), p.name
    assert not early._folder.exists()


def test_closing_early_figures_stops_their_process_and_leaves_nothing(analysis):
    from simulator.report.figure_files import start_figures

    early = start_figures(analysis.results)
    if early is None:
        pytest.skip("figures are drawn early only where processes fork, on two cores or more")
    early.close()
    assert not early._process.is_alive()
    assert not early._folder.exists()


def test_tables_from_the_early_process_equal_those_computed_here(analysis):
    from simulator.report.figure_files import result_tables, start_figures

    early = start_figures(analysis.results)
    if early is None:
        pytest.skip("figures are drawn early only where processes fork, on two cores or more")
    try:
        got = early.tables()
    finally:
        early.close()
    fresh = dataclasses.replace(analysis.results)  # a Results with nothing computed yet
    result_tables(fresh)
    want = fresh.computed_tables()
    assert set(got) == set(want) and len(want) >= 5
    for key, table in want.items():
        pd.testing.assert_frame_equal(got[key], table, check_exact=True)
    assert early.tables() == {}  # received once


def test_a_head_shares_the_per_trial_values_already_computed(analysis):
    results = analysis.results
    n, year = results.n_trials // 3, int(results.years[len(results.years) // 2])
    whole_cumulative = results.cumulative(year)
    whole_gap = results.funding_gap(year)
    head = results.head(n)
    shared = head.cumulative(year)
    assert np.shares_memory(shared, whole_cumulative)
    fresh = dataclasses.replace(head)  # nothing computed: computed from the head's own arrays
    assert np.array_equal(shared, fresh.cumulative(year))
    for a, b in zip(head.funding_gap(year), fresh.funding_gap(year), strict=True):
        assert np.array_equal(a, b)
    assert np.shares_memory(head.funding_gap(year)[0], whole_gap[0])
