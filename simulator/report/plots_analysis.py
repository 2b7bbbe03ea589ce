"""Plots of a run's analysis: the S-curve of a claim's metric, the tornado and Sobol charts of
what moves an output, a swept quantity against the swept value, and cumulative cash need against
committed funding. Each function takes Results (or the analysis table it draws) and an optional
``ax`` and returns the ``ax``; none calls ``show()`` or ``savefig()`` (the writers do).

Only the S-curve reads per-trial values, from at most ``CURVE_TRIALS`` of them; the others draw
from tables. Shared colours, formatters and label placement are in
:mod:`simulator.report.plot_style`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

from simulator.report.plot_style import (
    MONEY_METRICS,
    format_probability,
    input_label,
    label_line_ends,
    legend_outside,
    log_axis,
    metric_label,
    new_axes,
    plain_number,
    rows_where,
    strategy_colour,
    strategy_lines,
    strategy_style,
    text_safe,
    usd_formatter,
)
from simulator.results.container import Results
from simulator.spec.quantities import format_usd
from simulator.stats.mc_error import percentile, quantile_of_sorted

#: Per-trial values an S-curve is drawn from at most (the first ones: a uniform random
#: subsample). 1,001 quantiles of 100,000 trials draw the same curve as a million.
CURVE_TRIALS = 100_000


#: Largest magnitude of a claim threshold drawn on an S-curve's axis (model outputs, float32,
#: stay below 3.4e38): tick locators step beyond the limits, by many decades on a wide log axis,
#: which overflows near the float limit (1.8e308).
AXIS_LIMIT = 1e100


def s_curve(results: Results, claim, *, ax: Axes | None = None,
            probabilities: pd.DataFrame | None = None) -> Axes:
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
    probabilities : DataFrame, optional
        The claim's probabilities as :func:`simulator.analysis.claims.evaluate_claims` gives
        them (rows of other claims are ignored), e.g. ``Analysis.claims``; default: evaluated
        here.

    Returns
    -------
    Axes
    """
    from simulator.analysis.claims import as_claim, evaluate_claims
    from simulator.results.metrics import claim_metric

    ax = new_axes(ax, (10, 4.5))
    claim = as_claim(claim)
    if probabilities is None or claim.label not in set(probabilities["claim"]):
        probabilities = evaluate_claims(results, [claim])
    table = probabilities[probabilities["claim"] == claim.label].set_index("strategy")
    values = claim_metric(results.head(CURVE_TRIALS), claim)
    money = claim.base_metric in MONEY_METRICS
    share = claim.base_metric in ("dependence_share", "unmet_demand")
    _claim_curves(ax, results, values, table)
    _claim_axis(ax, claim, values[np.isfinite(values)], money=money, share=share)
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
    legend_outside(ax, title="P = probability the claim\nholds [95% interval]",
                   title_fontsize="small")
    return ax


def _claim_curves(ax: Axes, results: Results, values: np.ndarray, table) -> None:
    """One S-curve per strategy, its probability of the claim (``table``, by strategy) in the
    legend."""
    for i, s in enumerate(results.strategies):
        v = values[i][np.isfinite(values[i])]
        if not v.size:  # undefined in every trial (a share of spend in a year without any)
            ax.plot([], [], color=strategy_colour(results.strategies, s),
                    ls=strategy_style(results.strategies, s), lw=2,
                    label=f"{s}\n  undefined in every trial")
            continue
        levels = np.linspace(0, 1, min(v.size, 1001))
        row = table.loc[s]
        # NumPy's quantiles, read off one sort (a partial sort per level costs seconds)
        ax.plot(quantile_of_sorted(np.sort(v), levels), levels, color=strategy_colour(results.strategies, s),
                ls=strategy_style(results.strategies, s), lw=2,
                label=f"{s}\n  P = {format_probability(row['probability'])} "
                      f"[{format_probability(row['ci_low'])}, "
                      f"{format_probability(row['ci_high'])}]")


def _claim_axis(ax: Axes, claim, finite: np.ndarray, *, money: bool, share: bool) -> None:
    """The S-curve's value axis (log where it spans decades) and the claim's threshold on it,
    or written beside it when the threshold lies beyond ``AXIS_LIMIT``."""
    # show the bulk and the threshold, not the one extreme trial in a million
    lo, hi = percentile(finite, [0.5, 99.5]) if finite.size else (0.0, 1.0)
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


def _value(x: float, unit: str) -> str:
    """An input's value in its unit, compactly: $12.8k, 68, 0.25, 12%."""
    if unit.startswith("USD") and unit != "USD/USD":  # a multiple of spend is a ratio
        return format_usd(x)
    a = abs(x)
    if a >= 1e4:
        return format_usd(x).replace("$", "")
    return plain_number(x)


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
    ax = new_axes(ax, (10, 0.45 * len(rows) + 2))
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
    ax.set_xlabel(f"{metric_label(metric)}{' [USD, nominal]' if money else ''}; "
                  f"vertical line: every input at its median ({text_safe(at_median)})")
    ax.set_title(f"What moves {metric_label(metric)} ({strategy}): one input at a time",
                 fontsize="medium", pad=22)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False,
              fontsize="small", borderaxespad=0.3)
    return ax


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
    ax = new_axes(ax, (10, 0.45 * len(rows) + 2))
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
    legend_outside(ax)
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
    ax = new_axes(ax, (8, 4))
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
        ax.errorbar(x, centre, yerr=err, color=strategy_colour(order, strategy),
                    ls=strategy_style(order, strategy), lw=1.8, marker="o", markersize=4, capsize=3,
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
    legend_outside(ax)
    return ax


def funding_chart(results: Results, *, ax: Axes | None = None) -> Axes:
    """Cumulative cash need per strategy against cumulative committed funding, by year:
    medians, one line per strategy (from ``results.paths()``). Where a strategy's line rises
    above the funding line, money beyond what is committed must be raised.

    Returns
    -------
    Axes
    """
    ax = new_axes(ax, (9, 4.5))
    years = results.years
    table = results.paths()
    need = rows_where(table, quantity="cash_need")
    values = {s: rows_where(need, strategy=s)["p50"].to_numpy() for s in results.strategies}
    ends = strategy_lines(ax, results, years, values)
    funding = rows_where(table, quantity="funding")["p50"].to_numpy()
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
