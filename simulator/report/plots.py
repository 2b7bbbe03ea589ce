"""Plots of simulation results. Each function takes Results (or a table) and an optional ``ax``
and returns the ``ax``; none calls ``show()`` or ``savefig()`` (the writers do).

The figures draw from the summary tables a run computes anyway (``Results.yearly()``,
``summary()``, ``comparison()``, ``indicators()``, ``paths()``: each computed once per Results),
not from the per-trial arrays, so a figure costs the same at a thousand trials as at a million.
Only the S-curve reads per-trial values, from at most ``CURVE_TRIALS`` of them.

Conventions that keep them readable: money on log axes is labelled at 1, 2 and 5 of each
decade; legends and labels sit outside the data; shares are drawn as percentages; strategies
keep one colour and one line style across every figure, and lines end in a direct label, so
lines that coincide stay tellable apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator, PercentFormatter

from simulator.results.container import Results
from simulator.spec.quantities import format_number, format_usd

usd_formatter = FuncFormatter(lambda x, _pos: format_usd(x) if x else "0")

#: Colours per spend category group, chosen to stay distinguishable in print and for most
#: colour-vision deficiencies (Okabe-Ito palette).
CATEGORY_COLOURS = {
    "servers_networking": "#56B4E9",
    "datacentre": "#E69F00",
    "energy": "#F0E442",
    "operations": "#999999",
    "lease_payments": "#CC79A7",
    "inhouse_program": "#444444",
}
#: Metrics measured in USD (axes get money formatting and, for distributions, a log scale).
MONEY_METRICS = ("cumulative_spend", "spend", "npv", "funding_gap")
SUPPLIER_COLOURS = ["#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
STRATEGY_COLOURS = ["#000000", "#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9"]
#: One line style per strategy, with its colour: lines that lie on top of each other (two
#: strategies at a 100% share, say) still show both.
STRATEGY_STYLES = ["-", (0, (5, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)), (0, (3, 1, 1, 1, 1, 1)),
                   (0, (8, 3)), (0, (2, 3))]
#: Per-trial values an S-curve is drawn from at most (the first ones: a uniform random
#: subsample). 1,001 quantiles of 100,000 trials draw the same curve as a million.
CURVE_TRIALS = 100_000
#: What a box plot's parts mean, written under its title.
NOTE_BOX = "box: P25-P75, whiskers: P5-P95, line: median, diamond: mean"


def text_safe(text: str) -> str:
    """Text shown as written: matplotlib reads a pair of ``$`` as a formula ("$12k to $20k")."""
    return text.replace("$", r"\$")


def _strategy_index(results: Results, strategy: str | None) -> int:
    if strategy is None:
        return 0
    try:
        return results.strategies.index(strategy)
    except ValueError:
        raise ValueError(f"unknown strategy {strategy!r}; strategies are "
                         f"{list(results.strategies)}") from None


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    return ax if ax is not None else plt.figure(figsize=figsize).gca()


def _colour(strategies: Sequence[str], strategy: str) -> str:
    return STRATEGY_COLOURS[list(strategies).index(strategy) % len(STRATEGY_COLOURS)]


def _style(strategies: Sequence[str], strategy: str):
    return STRATEGY_STYLES[list(strategies).index(strategy) % len(STRATEGY_STYLES)]


def plain_number(x: float, _pos=None) -> str:
    """A count or quantity for an axis or a table, never in scientific notation:
    ``25000 -> '25,000'``, ``0.5 -> '0.5'``, ``1.25e-3 -> '0.00125'``."""
    return format_number(x)


def log_axis(axis: Axis, *, money: bool) -> None:
    """Log scale labelled at 1, 2 and 5 of each decade ($500B, $1T, $2T, $5T, ...), money as
    USD and other quantities as plain numbers; no minor ticks (the labelled ones are dense
    enough to read a value off)."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_minor_locator(LogLocator(base=10, subs=(3.0, 4.0, 6.0, 7.0, 8.0, 9.0)))
    axis.set_major_formatter(usd_formatter if money else FuncFormatter(plain_number))
    axis.set_minor_locator(NullLocator())


def label_line_ends(ax: Axes, ends: Sequence[tuple[float, float, str, str]], *,
                    gap: float = 0.055) -> None:
    """Name lines at their right end, just outside the axes, spaced so names do not overlap.

    Parameters
    ----------
    ax : Axes
        With its final limits set.
    ends : sequence of (x, y, text, colour)
        Each line's last point [data units] and its name.
    gap : float
        Least vertical distance between two names [axes fraction].
    """
    if not ends:
        return
    to_axes = ax.transAxes.inverted()
    ys = [to_axes.transform(ax.transData.transform((x, y)))[1] for x, y, _, _ in ends]
    order = np.argsort(ys)
    placed = np.clip(np.asarray(ys, dtype=float)[order], 0.0, 1.0)
    for k in range(1, len(placed)):  # push up, then back down from the top
        placed[k] = max(placed[k], placed[k - 1] + gap)
    overflow = placed[-1] - 1.0
    if overflow > 0:
        placed -= min(overflow, placed[0])
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - gap)
    for k, idx in enumerate(order):
        _, _, text, colour = ends[idx]
        ax.annotate(text, xy=(1.0, ys[idx]), xycoords="axes fraction",
                    xytext=(1.015, placed[k]), textcoords="axes fraction", va="center",
                    ha="left", fontsize="small", color=colour, annotation_clip=False,
                    arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.6,
                                "shrinkA": 0, "shrinkB": 0})


def _legend_outside(ax: Axes, **kwargs) -> None:
    """Legend to the right of the axes, outside the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small",
              borderaxespad=0.0, **kwargs)


def _rows(table: pd.DataFrame, **where) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    return table[mask]


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
    ax = _new_axes(ax, (8, 4))
    i = _strategy_index(results, strategy)
    rows = _rows(results.yearly(), strategy=results.strategies[i], category="total")
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
    _legend_outside(ax)
    return ax


def _category_label(category: str) -> str:
    if category.startswith("accelerators_"):
        return f"accelerators: {category.removeprefix('accelerators_')}"
    return " ".join(_WORDS.get(w, w) for w in category.split("_")).replace("centre", "centres")


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
    ax = _new_axes(ax, (8, 4))
    i = _strategy_index(results, strategy)
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
        _legend_outside(ax, handles=handles[::-1])
    return ax


def _metric_label(metric: str) -> str:
    return metric.replace("_", " ")


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
    ax = _new_axes(ax, (8, 4.5))
    summary = results.summary()
    rows = _rows(summary, metric=metric)
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
        patch.set_facecolor(_colour(results.strategies, s))
        patch.set_alpha(0.45)
    if unit == "USD" and (rows["p5"] > 0).all():
        ax.set_yscale("log")
        log_axis(ax.yaxis, money=True)
    elif unit == "USD":
        ax.yaxis.set_major_formatter(usd_formatter)
    elif unit in ("fraction", "probability"):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(f"{_metric_label(metric)} [{'%' if unit == 'fraction' else unit}]")
    end = int(results.years[-1])
    what = (f"{_metric_label(metric).capitalize()} {results.years[0]}-{end}"
            if metric == "cumulative_spend" else _metric_label(metric).capitalize())
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
    ax = _new_axes(ax, (8, 4))
    base = baseline or results.scenario.baseline_strategy
    comparison = results.comparison(base)
    rows = _rows(comparison, metric=metric)
    if rows.empty and metric not in set(comparison["metric"]):
        raise ValueError(f"unknown metric {metric!r}; metrics are "
                         f"{list(dict.fromkeys(comparison['metric']))}")
    unit = str(rows["unit"].iloc[0]) if len(rows) else "USD"
    others = list(rows["strategy"])
    for row, r in enumerate(rows.itertuples()):
        c = _colour(results.strategies, r.strategy)
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
    ax.set_xlabel(f"{_metric_label(metric)}: strategy minus {base} [{unit}]  "
                  f"(left of 0 = {lower})")
    ax.set_title(f"Paired difference vs {base}, same draws\n"
                 "line: P5-P95, circle: median, diamond: mean", fontsize="medium")
    ax.grid(axis="x", alpha=0.3)
    return ax


def _strategy_lines(ax: Axes, results: Results, years: np.ndarray,
                    values: Mapping[str, np.ndarray]) -> list[tuple[float, float, str, str]]:
    """One line per strategy in its colour and style; returns the line ends for labels."""
    ends = []
    for s, y in values.items():
        ok = np.isfinite(y)
        if not ok.any():
            continue
        c = _colour(results.strategies, s)
        ax.plot(years[ok], y[ok], color=c, ls=_style(results.strategies, s), lw=2, label=s)
        last = np.flatnonzero(ok)[-1]
        ends.append((float(years[last]), float(y[last]), s, c))
    return ends


def dependence_over_time(results: Results, *, ax: Axes | None = None) -> Axes:
    """Share of accelerator spend going to the dependence supplier (``dependence_on``, e.g.
    Nvidia) by year: the mean over trials with purchases, one line per strategy (from
    ``results.indicators()``).

    Returns
    -------
    Axes
    """
    ax = _new_axes(ax, (8, 4))
    supplier = results.scenario.dependence_supplier
    table = _rows(results.indicators(), indicator=f"{supplier}_share")
    values = {s: _rows(table, strategy=s)["mean"].to_numpy(dtype=float)
              for s in results.strategies}
    ends = _strategy_lines(ax, results, results.years, values)
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
    ax = _new_axes(ax, (8, 4))
    table = _rows(results.paths(), quantity="cumulative_spend")
    values = {s: _rows(table, strategy=s)["p50"].to_numpy() for s in results.strategies}
    ends = _strategy_lines(ax, results, results.years, values)
    ax.yaxis.set_major_formatter(usd_formatter)
    ax.set_ylim(bottom=0)
    ax.set_xlim(results.years[0] - 0.3, results.years[-1] + 0.3)
    ax.set_xlabel("year")
    ax.set_ylabel("cumulative spend [USD, nominal]")
    ax.set_title("Cumulative spend: median per strategy", fontsize="medium")
    ax.grid(alpha=0.3)
    label_line_ends(ax, ends)
    return ax


def s_curve(results: Results, claim, *, ax: Axes | None = None) -> Axes:
    """Cumulative distribution (S-curve) of a claim's metric per strategy, with the claim's
    threshold and its probability for each strategy marked.

    The curves use the first ``CURVE_TRIALS`` kept trials; the probabilities in the legend
    come from every trial.

    Parameters
    ----------
    results : Results
    claim : ClaimSpec or str
        E.g. ``"cumulative_spend through 2030 >= 7T"``.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    from simulator.analysis.claims import as_claim, evaluate_claims
    from simulator.results.metrics import claim_metric

    ax = _new_axes(ax, (10, 4.5))
    claim = as_claim(claim)
    table = evaluate_claims(results, [claim]).set_index("strategy")
    values = claim_metric(results.head(CURVE_TRIALS), claim)
    money = claim.base_metric in MONEY_METRICS
    share = claim.base_metric in ("dependence_share", "unmet_demand")
    finite = values[np.isfinite(values)]
    for i, s in enumerate(results.strategies):
        v = values[i][np.isfinite(values[i])]
        if not v.size:  # undefined in every trial (a share of spend in a year without any)
            ax.plot([], [], color=_colour(results.strategies, s),
                    ls=_style(results.strategies, s), lw=2,
                    label=f"{s}\n  undefined in every trial")
            continue
        levels = np.linspace(0, 1, min(v.size, 1001))
        row = table.loc[s]
        ax.plot(np.quantile(v, levels), levels, color=_colour(results.strategies, s),
                ls=_style(results.strategies, s), lw=2,
                label=f"{s}\n  P = {format_probability(row['probability'])} "
                      f"[{format_probability(row['ci_low'])}, "
                      f"{format_probability(row['ci_high'])}]")
    # show the bulk and the threshold, not the one extreme trial in a million
    lo, hi = np.percentile(finite, [0.5, 99.5]) if finite.size else (0.0, 1.0)
    # a threshold near the float limit (1e308) would take the axis and its ticks past it
    on_axis = abs(claim.threshold) < AXIS_LIMIT
    if on_axis:
        lo, hi = min(lo, claim.threshold), max(hi, claim.threshold)
    # a log scale cannot show zero (a funding gap that never opens); then the scale is linear
    with np.errstate(over="ignore", invalid="ignore"):
        log = bool(lo > 0 and not share and (money or hi / lo > 20))
    if log:
        ax.set_xscale("log")
        log_axis(ax.xaxis, money=money)
        ax.set_xlim(lo / 1.15, hi * 1.15)
    else:
        pad = 0.05 * (hi - lo) if hi > lo else 0.05
        ax.set_xlim(lo - pad, hi + pad)
        if money:
            ax.xaxis.set_major_formatter(usd_formatter)
        elif share:
            ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        else:
            ax.xaxis.set_major_formatter(FuncFormatter(plain_number))
    shown = (format_usd(claim.threshold) if money else f"{claim.threshold:.0%}" if share
             else plain_number(claim.threshold))
    if on_axis:
        ax.axvline(claim.threshold, color="#D55E00", lw=1.5, ls="--")
        ax.annotate(text_safe(f"claim: {claim.op} {shown}"), (claim.threshold, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(0, 3),
                    textcoords="offset points", color="#D55E00", fontsize="small", ha="center",
                    va="bottom", annotation_clip=False)
    else:
        ax.annotate(text_safe(f"claim: {claim.op} {shown} (beyond the axis)"), (1.0, 1.0),
                    xycoords="axes fraction", xytext=(0, 3), textcoords="offset points",
                    color="#D55E00", fontsize="small", ha="right", va="bottom",
                    annotation_clip=False)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("share of trials at or below")
    what = claim.metric.replace("_", " ")
    when = "" if claim.year is None else (f" through {claim.year}"
                                          if claim.metric == "cumulative_spend" else f" in {claim.year}")
    unit = " [USD, nominal]" if money else " [%]" if share else (
        " [GW]" if claim.base_metric == "installed_gw" else "")
    ax.set_xlabel(f"{what}{when}{unit}")
    ax.set_title(text_safe(f"Claim: {claim.label}"), fontsize="medium", pad=14)
    ax.grid(alpha=0.3, which="major")
    _legend_outside(ax, title="P = probability the claim\nholds [95% interval]",
                    title_fontsize="small")
    return ax


#: Words of key paths written as a reader expects them.
_WORDS = {"kw": "kW", "mw": "MW", "mwh": "MWh", "gw": "GW", "pue": "PUE", "nre": "NRE",
          "datacentre": "data centre", "networking": "& networking", "usd": "USD"}


def input_label(path: str, unit: str = "") -> str:
    """A key path in words, with its unit: ``suppliers.nvidia.price_per_unit`` and ``USD/unit``
    give ``'nvidia: price per unit [USD/unit]'``."""
    parts = path.split(".")
    if parts[0] in ("suppliers", "strategies", "shocks") and len(parts) > 2:
        parts = parts[1:]
    words = [" ".join(_WORDS.get(w, w) for w in p.split("_")) for p in parts]
    name = words[-1] if len(words) == 1 else f"{' '.join(words[:-1])}: {words[-1]}"
    return f"{name} [{unit}]" if unit and unit != "-" else name


def _value(x: float, unit: str) -> str:
    """An input's value in its unit, compactly: $12.8k, 68, 0.25, 12%."""
    if unit.startswith("USD") and unit != "USD/USD":  # a multiple of spend is a ratio
        return format_usd(x)
    a = abs(x)
    if a >= 1e4:
        return format_usd(x).replace("$", "")
    return plain_number(x)


#: Largest magnitude of a claim threshold drawn on an S-curve's axis (model outputs, float32,
#: stay below 3.4e38): tick locators step beyond the limits, by many decades on a wide log axis,
#: which overflows near the float limit (1.8e308).
AXIS_LIMIT = 1e100


def tornado_chart(table, *, strategy: str | None = None, top: int = 12,
                  units: Mapping[str, str] | None = None, ax: Axes | None = None) -> Axes:
    """Tornado: the metric with each input at its low and high value, others at medians.

    Parameters
    ----------
    table : DataFrame
        From :func:`simulator.analysis.sensitivity.tornado` (or ``sensitivity_table``).
    strategy : str, optional
        Default: the first strategy in the table.
    top : int
        Number of inputs shown, by swing.
    units : mapping of str to str, optional
        Each input's unit by key path (e.g. from ``simulator.assumptions.assumptions_table``),
        written after its name.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    strategy = strategy or table["strategy"].iloc[0]
    rows = table[table["strategy"] == strategy].nlargest(top, "swing").iloc[::-1]
    ax = _new_axes(ax, (10, 0.45 * len(rows) + 2))
    units = units or {}
    base = float(rows["base"].iloc[0])
    y = np.arange(len(rows))
    ax.barh(y, rows["at_low"] - base, left=base, color="#0072B2", alpha=0.85,
            label="input at its P10 (low)")
    ax.barh(y, rows["at_high"] - base, left=base, color="#D55E00", alpha=0.85,
            label="input at its P90 (high)")
    labels = []
    for p, lo, hi in zip(rows["input"], rows["value_low"], rows["value_high"], strict=True):
        unit = units.get(p, "")
        labels.append(text_safe(f"{input_label(p, unit)}\n{_value(lo, unit)} to "
                                f"{_value(hi, unit)}"))
    ax.set_yticks(y, labels, fontsize="small")
    ax.axvline(base, color="black", lw=0.8)
    metric = str(rows["metric"].iloc[0])
    money = metric.split()[0] in MONEY_METRICS
    if money:
        ax.xaxis.set_major_formatter(usd_formatter)
    at_median = format_usd(base) if money else plain_number(base)
    ax.set_xlabel(f"{_metric_label(metric)}{' [USD, nominal]' if money else ''}; "
                  f"vertical line: every input at its median ({text_safe(at_median)})")
    ax.set_title(f"What moves {_metric_label(metric)} ({strategy}): one input at a time",
                 fontsize="medium", pad=22)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False,
              fontsize="small", borderaxespad=0.3)
    return ax


def format_probability(p: float) -> str:
    """A probability as a percentage with enough digits for small values: 0.0004 -> '0.04%'."""
    if not np.isfinite(p):
        return "n/a"
    if p == 0 or p == 1:
        return f"{p:.0%}"
    if min(p, 1 - p) < 0.001:
        return f"{p:.3%}"
    if min(p, 1 - p) < 0.01:
        return f"{p:.2%}"
    return f"{p:.1%}"


def sobol_bars(table, *, strategy: str | None = None, top: int = 12, output: str | None = None,
               units: Mapping[str, str] | None = None, ax: Axes | None = None) -> Axes:
    """First-order and total Sobol indices per input, with their 95% intervals.

    Parameters
    ----------
    table : DataFrame
        From :func:`simulator.analysis.sensitivity.sobol_analysis`.
    strategy : str, optional
    top : int
        Inputs shown, by total index.
    output : str, optional
        The output the indices decompose (e.g. ``"cumulative spend through 2030"``), for the
        title.
    units : mapping of str to str, optional
        Each input's unit by key path, written after its name.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    strategy = strategy or table["strategy"].iloc[0]
    rows = table[table["strategy"] == strategy].nlargest(top, "ST").iloc[::-1]
    ax = _new_axes(ax, (10, 0.45 * len(rows) + 2))
    units = units or {}
    y = np.arange(len(rows))
    ax.barh(y + 0.2, rows["S1"], height=0.4, xerr=rows["S1_conf"], color="#0072B2",
            label="first order S1: this input alone", error_kw={"lw": 0.8, "capsize": 2})
    ax.barh(y - 0.2, rows["ST"], height=0.4, xerr=rows["ST_conf"], color="#E69F00",
            label="total ST: with its interactions", error_kw={"lw": 0.8, "capsize": 2})
    ax.errorbar([], [], xerr=[], color="black", lw=0.8, capsize=2,
                label="error bar: 95% bootstrap interval")
    ax.set_yticks(y, [input_label(p, units.get(p, "")) for p in rows["input"]],
                  fontsize="small")
    ax.set_xlim(left=min(0, float((rows["S1"] - rows["S1_conf"].fillna(0)).min()) - 0.02))
    ax.axvline(0, color="black", lw=0.8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    note = ""
    if (rows[["S1", "ST"]] < 0).to_numpy().any():
        note = ("\nvalues below 0 are sampling noise around 0 (an index cannot be negative): "
                "raise --sobol for tighter estimates")
    ax.set_xlabel(f"share of the output's variance [%]{note}")
    ax.set_title(f"Sobol indices of {output or 'the output'} ({strategy})", fontsize="medium")
    ax.grid(axis="x", alpha=0.3)
    _legend_outside(ax)
    return ax


def sweep_chart(table, *, quantity: str = "cumulative_spend", path: str = "value",
                ax: Axes | None = None) -> Axes:
    """A swept quantity against the swept value per strategy: the median (or probability) as a
    line, the P5-P95 range (or 95% interval) as an error bar, strategies side by side.

    Parameters
    ----------
    table : DataFrame
        From :func:`simulator.analysis.sweeps.sweep`.
    quantity : str
        A ``quantity`` of the table, e.g. ``"cumulative_spend"`` or ``"P($7T through 2030)"``.
    path : str
        Name of the swept input, for the axis label.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = _new_axes(ax, (8, 4))
    rows = table[table["quantity"] == quantity]
    if rows.empty:
        raise ValueError(f"no quantity {quantity!r} in the sweep; quantities are "
                         f"{sorted(table['quantity'].unique())}")
    numeric = all(isinstance(v, int | float) for v in rows["value"])
    positions = {v: k for k, v in enumerate(dict.fromkeys(rows["value"]))}
    order = list(dict.fromkeys(table["strategy"]))  # colours match the other strategy plots
    xs = [float(v) for v in positions] if numeric else list(positions.values())
    step = float(np.min(np.diff(sorted(xs)))) if len(xs) > 1 else 1.0
    unit = rows["unit"].iloc[0]
    for k, (strategy, grp) in enumerate(rows.groupby("strategy", sort=False)):
        x = (grp["value"].to_numpy(dtype=float) if numeric
             else grp["value"].map(positions).to_numpy(dtype=float))
        x = x + (k - (len(order) - 1) / 2) * 0.06 * step  # side by side, not on top
        centre = (grp["mean"] if unit == "probability" else grp["p50"]).to_numpy(dtype=float)
        err = np.abs(np.vstack([centre - grp["p5"].to_numpy(dtype=float),
                                grp["p95"].to_numpy(dtype=float) - centre]))
        ax.errorbar(x, centre, yerr=err, color=_colour(order, strategy),
                    ls=_style(order, strategy), lw=1.8, marker="o", markersize=4, capsize=3,
                    elinewidth=1, label=strategy)
    if not numeric:
        ax.set_xticks(list(positions.values()), [str(v) for v in positions])
    if unit == "USD":
        if (rows[["p5", "p50"]].to_numpy() > 0).all():  # a log axis cannot show savings < 0
            ax.set_yscale("log")
            log_axis(ax.yaxis, money=True)
        else:
            ax.yaxis.set_major_formatter(usd_formatter)
    elif unit in ("probability", "fraction"):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(path)
    band = "95% interval" if unit == "probability" else "P5-P95"
    ax.set_ylabel("%" if unit in ("probability", "fraction") else unit)
    ax.set_title(f"{quantity}  (line: {'probability' if unit == 'probability' else 'median'}; "
                 f"error bar: {band})", fontsize="medium")
    ax.grid(alpha=0.3)
    _legend_outside(ax)
    return ax


def funding_chart(results: Results, *, ax: Axes | None = None) -> Axes:
    """Cumulative cash need per strategy against cumulative committed funding, by year:
    medians, one line per strategy (from ``results.paths()``). Where a strategy's line rises
    above the funding line, money beyond what is committed must be raised.

    Returns
    -------
    Axes
    """
    ax = _new_axes(ax, (9, 4.5))
    years = results.years
    table = results.paths()
    need = _rows(table, quantity="cash_need")
    values = {s: _rows(need, strategy=s)["p50"].to_numpy() for s in results.strategies}
    ends = _strategy_lines(ax, results, years, values)
    funding = _rows(table, quantity="funding")["p50"].to_numpy()
    ax.plot(years, funding, color="#777777", lw=3, alpha=0.8)
    ends.append((float(years[-1]), float(funding[-1]), "committed funding", "#555555"))
    ax.axhline(0, color="black", lw=0.6)
    ax.yaxis.set_major_formatter(usd_formatter)
    ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
    ax.set_xlabel("year")
    ax.set_ylabel("cumulative, median [USD, nominal]")
    ax.set_title("Cumulative cash need (infrastructure cash spend + interest - operating cash "
                 "flow)\nagainst committed funding (grey); medians", fontsize="medium")
    ax.grid(alpha=0.3)
    label_line_ends(ax, ends)
    return ax
