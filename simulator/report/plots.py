"""Plots of spending and of sourcing strategies: annual spend as a fan chart and by category,
each strategy's distribution of a metric, paired differences from the baseline, dependence on
one supplier over time and cumulative spend paths. Each function takes Results and an optional
``ax`` and returns the ``ax``; none calls ``show()`` or ``savefig()`` (the writers do).

The figures draw from the summary tables a run computes anyway (``Results.yearly()``,
``summary()``, ``comparison()``, ``indicators()``, ``paths()``: each computed once per Results),
not from the per-trial arrays, so a figure costs the same at a thousand trials as at a million.
Shared colours, formatters and label placement are in :mod:`simulator.report.plot_style`; the
S-curve, tornado, Sobol, sweep and funding charts in :mod:`simulator.report.plots_analysis`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from simulator.report.plot_style import (
    CATEGORY_COLOURS,
    KEY_WORDS,
    NOTE_BOX,
    SUPPLIER_COLOURS,
    format_probability,
    label_line_ends,
    legend_outside,
    log_axis,
    metric_label,
    new_axes,
    rows_where,
    strategy_colour,
    strategy_index,
    strategy_lines,
    usd_formatter,
)
from simulator.results.container import Results


def fan_chart(results: Results, *, strategy: str | None = None, ax: Axes | None = None) -> Axes:
    """Annual spend by year: median line with P25-P75 and P5-P95 bands, and the mean.

    Drawn from ``results.yearly()`` (the ``total`` category: exact percentiles over the kept
    trials, mean over every trial).

    Parameters
    ----------
    results : Results
    strategy : str, optional
        Strategy to draw; default the first.
    ax : Axes, optional
        Axes to draw on; default a new figure's.

    Returns
    -------
    Axes
    """
    ax = new_axes(ax, (8, 4))
    i = strategy_index(results, strategy)
    rows = rows_where(results.yearly(), strategy=results.strategies[i], category="total")
    years = rows["year"].to_numpy()
    ax.fill_between(years, rows["p5"], rows["p95"], color="#0072B2", alpha=0.18, lw=0,
                    label="P5-P95")
    ax.fill_between(years, rows["p25"], rows["p75"], color="#0072B2", alpha=0.35, lw=0,
                    label="P25-P75")
    ax.plot(years, rows["p50"], color="#0072B2", lw=2, label="median")
    ax.plot(years, rows["mean"], color="#0072B2", lw=1, ls="--", label="mean")
    ax.yaxis.set_major_formatter(usd_formatter)
    ax.set_xlabel("year")
    ax.set_ylabel("spend per year [USD, nominal]")
    ax.set_title(f"Annual spend: {results.strategies[i]}")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    legend_outside(ax)
    return ax


def _category_label(category: str) -> str:
    if category.startswith("accelerators_"):
        return f"accelerators: {category.removeprefix('accelerators_')}"
    return " ".join(KEY_WORDS.get(w, w) for w in category.split("_")).replace("centre", "centres")


def category_colours(categories: Sequence[str]) -> dict[str, str]:
    """Colour of each spend category: suppliers in turn, the rest by ``CATEGORY_COLOURS``."""
    out, n_sup = {}, 0
    for cat in categories:
        if cat.startswith("accelerators_"):
            out[cat] = SUPPLIER_COLOURS[n_sup % len(SUPPLIER_COLOURS)]
            n_sup += 1
        else:
            out[cat] = CATEGORY_COLOURS.get(cat, "#777777")
    return out


def category_breakdown(results: Results, *, strategy: str | None = None,
                       ax: Axes | None = None) -> Axes:
    """Mean annual spend by year, stacked by category (exact means over every trial, from the
    category histograms).

    Parameters
    ----------
    results : Results
    strategy : str, optional
        Strategy to draw; default the first.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = new_axes(ax, (8, 4))
    i = strategy_index(results, strategy)
    mean = results.category_spend.mean()[i].T  # (T, C), exact
    colours = category_colours(results.categories)
    bottom = np.zeros(len(results.years))
    # the legend lists the largest category first, as the stack shows it on top
    for j, cat in enumerate(results.categories):
        if not mean[:, j].any():
            continue
        # one collection of rectangles per category: a bar artist per year and category
        # costs a third of the figure's drawing time
        top = bottom + mean[:, j]
        verts = [[(x - 0.4, b), (x - 0.4, t), (x + 0.4, t), (x + 0.4, b)]
                 for x, b, t in zip(results.years, bottom, top, strict=True)]
        ax.add_collection(PolyCollection(verts, facecolors=colours[cat], edgecolors="white",
                                         linewidths=0.5, label=_category_label(cat)))
        bottom = top
    ax.autoscale_view()
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(usd_formatter)
    ax.set_xlabel("year")
    ax.set_ylabel("mean spend per year [USD, nominal]")
    ax.set_title(f"Spend by category (mean): {results.strategies[i]}")
    ax.grid(axis="y", alpha=0.3)
    handles = [Patch(facecolor=c.get_facecolor()[0], label=c.get_label())
               for c in ax.collections]
    if handles:  # nothing drawn when nothing was spent
        legend_outside(ax, handles=handles[::-1])
    return ax


def strategy_distributions(results: Results, *, metric: str = "cumulative_spend",
                           ax: Axes | None = None) -> Axes:
    """Distribution of a metric per strategy, side by side: box P25-P75, whiskers P5-P95,
    line at the median, diamond at the mean (from ``results.summary()``).

    Parameters
    ----------
    results : Results
    metric : str
        A metric of :meth:`Results.summary`, e.g. ``"cumulative_spend"`` or ``"npv"``.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = new_axes(ax, (8, 4.5))
    summary = results.summary()
    rows = rows_where(summary, metric=metric)
    if rows.empty:
        raise ValueError(f"unknown metric {metric!r}; metrics are "
                         f"{list(dict.fromkeys(summary['metric']))}")
    unit = str(rows["unit"].iloc[0])
    stats = [{"label": r.strategy, "whislo": r.p5, "q1": r.p25, "med": r.p50, "q3": r.p75,
              "whishi": r.p95, "mean": r.mean, "fliers": []} for r in rows.itertuples()]
    box = ax.bxp(stats, showmeans=True, widths=0.55, patch_artist=True,
                 medianprops={"color": "black"},
                 meanprops={"marker": "D", "markerfacecolor": "white",
                            "markeredgecolor": "black", "markersize": 5})
    for patch, s in zip(box["boxes"], rows["strategy"], strict=True):
        patch.set_facecolor(strategy_colour(results.strategies, s))
        patch.set_alpha(0.45)
    if unit == "USD" and (rows["p5"] > 0).all():
        ax.set_yscale("log")
        log_axis(ax.yaxis, money=True)
    elif unit == "USD":
        ax.yaxis.set_major_formatter(usd_formatter)
    elif unit in ("fraction", "probability"):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(f"{metric_label(metric)} [{'%' if unit == 'fraction' else unit}]")
    end = int(results.years[-1])
    what = (f"{metric_label(metric).capitalize()} {results.years[0]}-{end}"
            if metric == "cumulative_spend" else metric_label(metric).capitalize())
    ax.set_title(f"{what} per strategy\n{NOTE_BOX}", fontsize="medium")
    ax.grid(axis="y", alpha=0.3, which="major")
    ax.tick_params(axis="x", labelrotation=15)
    return ax


def paired_difference(results: Results, *, metric: str = "cumulative_spend",
                      baseline: str | None = None, ax: Axes | None = None) -> Axes:
    """Per strategy, the distribution of its difference from the baseline on the same trials
    (line P5-P95 with end caps, dot at the median, diamond at the mean), with the probability
    of being lower written beside it (from ``results.comparison()``).

    Returns
    -------
    Axes
    """
    ax = new_axes(ax, (8, 4))
    base = baseline or results.scenario.baseline_strategy
    comparison = results.comparison(base)
    rows = rows_where(comparison, metric=metric)
    if rows.empty and metric not in set(comparison["metric"]):
        raise ValueError(f"unknown metric {metric!r}; metrics are "
                         f"{list(dict.fromkeys(comparison['metric']))}")
    unit = str(rows["unit"].iloc[0]) if len(rows) else "USD"
    others = list(rows["strategy"])
    for row, r in enumerate(rows.itertuples()):
        c = strategy_colour(results.strategies, r.strategy)
        ax.plot([r.diff_p5, r.diff_p95], [row, row], color=c, lw=1.8, marker="|",
                markersize=12, markeredgewidth=1.8)
        ax.plot([r.diff_p50], [row], "o", color="white", markeredgecolor=c, markersize=8,
                markeredgewidth=2)
        ax.plot([r.diff_mean], [row], "D", color=c, markersize=5)
        ax.annotate(format_probability(r.p_cheaper), (1.02, row),
                    xycoords=("axes fraction", "data"), va="center", ha="left",
                    fontsize="small", fontweight="bold", color=c, annotation_clip=False)
    lower = "cheaper" if unit == "USD" else "lower"
    ax.annotate(f"P({lower})", (1.02, 1.0), xycoords="axes fraction", va="bottom", ha="left",
                fontsize="small", annotation_clip=False)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(others)), others)
    ax.set_ylim(-0.6, len(others) - 0.4)
    ax.invert_yaxis()
    if unit == "USD":
        ax.xaxis.set_major_formatter(usd_formatter)
    elif unit == "fraction":
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"{metric_label(metric)}: strategy minus {base} [{unit}]  "
                  f"(left of 0 = {lower})")
    ax.set_title(f"Paired difference vs {base}, same draws\n"
                 "line: P5-P95, circle: median, diamond: mean", fontsize="medium")
    ax.grid(axis="x", alpha=0.3)
    return ax


def dependence_over_time(results: Results, *, ax: Axes | None = None) -> Axes:
    """Share of accelerator spend going to the dependence supplier (``dependence_on``, e.g.
    Nvidia) by year: the mean over trials with purchases, one line per strategy (from
    ``results.indicators()``).

    Returns
    -------
    Axes
    """
    ax = new_axes(ax, (8, 4))
    supplier = results.scenario.dependence_supplier
    table = rows_where(results.indicators(), indicator=f"{supplier}_share")
    values = {s: rows_where(table, strategy=s)["mean"].to_numpy(dtype=float)
              for s in results.strategies}
    ends = strategy_lines(ax, results, results.years, values)
    ax.set_ylim(0, 1.05)
    ax.set_xlim(results.years[0] - 0.3, results.years[-1] + 0.3)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("year")
    ax.set_ylabel(f"{supplier} share of accelerator spend [%]")
    ax.set_title(f"Dependence on {supplier}: mean share of the year's chip spend",
                 fontsize="medium")
    ax.grid(alpha=0.3)
    label_line_ends(ax, ends)
    return ax


def cumulative_paths(results: Results, *, ax: Axes | None = None) -> Axes:
    """Cumulative spend by year per strategy: the median, one line per strategy (from
    ``results.paths()``; the spread is in :func:`fan_chart`).

    Returns
    -------
    Axes
    """
    ax = new_axes(ax, (8, 4))
    table = rows_where(results.paths(), quantity="cumulative_spend")
    values = {s: rows_where(table, strategy=s)["p50"].to_numpy() for s in results.strategies}
    ends = strategy_lines(ax, results, results.years, values)
    ax.yaxis.set_major_formatter(usd_formatter)
    ax.set_ylim(bottom=0)
    ax.set_xlim(results.years[0] - 0.3, results.years[-1] + 0.3)
    ax.set_xlabel("year")
    ax.set_ylabel("cumulative spend [USD, nominal]")
    ax.set_title("Cumulative spend: median per strategy", fontsize="medium")
    ax.grid(alpha=0.3)
    label_line_ends(ax, ends)
    return ax
