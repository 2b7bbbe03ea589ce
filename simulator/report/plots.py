"""Plots of simulation results. Each function takes Results and an optional ``ax`` and returns
the ``ax``; none calls ``show()`` or ``savefig()`` (the writers do)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

from simulator.results.container import Results
from simulator.spec.quantities import format_usd

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


def _strategy_index(results: Results, strategy: str | None) -> int:
    if strategy is None:
        return 0
    try:
        return results.strategies.index(strategy)
    except ValueError:
        raise ValueError(f"unknown strategy {strategy!r}; strategies are "
                         f"{list(results.strategies)}") from None


def fan_chart(results: Results, *, strategy: str | None = None, ax: Axes | None = None) -> Axes:
    """Annual spend by year: median line with P25-P75 and P5-P95 bands.

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
    ax = ax or plt.figure(figsize=(7, 4)).gca()
    i = _strategy_index(results, strategy)
    q = np.percentile(results.annual[i], [5, 25, 50, 75, 95], axis=0)
    years = results.years
    ax.fill_between(years, q[0], q[4], color="#0072B2", alpha=0.18, lw=0, label="P5-P95")
    ax.fill_between(years, q[1], q[3], color="#0072B2", alpha=0.35, lw=0, label="P25-P75")
    ax.plot(years, q[2], color="#0072B2", lw=2, label="median")
    ax.plot(years, results.annual[i].mean(axis=0), color="#0072B2", lw=1, ls="--", label="mean")
    ax.yaxis.set_major_formatter(usd_formatter)
    ax.set_xlabel("year")
    ax.set_ylabel("spend per year [USD, nominal]")
    ax.set_title(f"Annual spend: {results.strategies[i]}")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", frameon=False)
    return ax


def category_breakdown(results: Results, *, strategy: str | None = None,
                       ax: Axes | None = None) -> Axes:
    """Mean annual spend by year, stacked by category.

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
    ax = ax or plt.figure(figsize=(7, 4)).gca()
    i = _strategy_index(results, strategy)
    mean = results.category_spend.mean()[i].T  # (T, C), exact
    bottom = np.zeros(len(results.years))
    n_sup = 0
    for j, cat in enumerate(results.categories):
        if cat.startswith("accelerators_"):
            colour = SUPPLIER_COLOURS[n_sup % len(SUPPLIER_COLOURS)]
            label = f"accelerators: {cat.removeprefix('accelerators_')}"
            n_sup += 1
        else:
            colour = CATEGORY_COLOURS.get(cat, "#777777")
            label = cat.replace("_", " ")
        if not mean[:, j].any():
            continue
        ax.bar(results.years, mean[:, j], bottom=bottom, color=colour, label=label, width=0.8,
               edgecolor="white", linewidth=0.5)
        bottom += mean[:, j]
    ax.yaxis.set_major_formatter(usd_formatter)
    ax.set_xlabel("year")
    ax.set_ylabel("mean spend per year [USD, nominal]")
    ax.set_title(f"Spend by category (mean): {results.strategies[i]}")
    ax.grid(axis="y", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # nothing drawn when nothing was spent
        ax.legend(loc="upper left", frameon=False, fontsize="small")
    return ax


STRATEGY_COLOURS = ["#000000", "#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9"]


def _colour(results: Results, strategy: str) -> str:
    return STRATEGY_COLOURS[results.strategies.index(strategy) % len(STRATEGY_COLOURS)]


def _metric(results: Results, metric: str) -> tuple[str, np.ndarray]:
    metrics = results.metrics()
    if metric not in metrics:
        raise ValueError(f"unknown metric {metric!r}; metrics are {list(metrics)}")
    return metrics[metric]


def strategy_distributions(results: Results, *, metric: str = "cumulative_spend",
                           ax: Axes | None = None) -> Axes:
    """Distribution of a metric per strategy, side by side: box P25-P75, whiskers P5-P95,
    line at the median, diamond at the mean.

    Parameters
    ----------
    results : Results
    metric : str
        A key of :meth:`Results.metrics`, e.g. ``"cumulative_spend"`` or ``"npv"``.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = ax or plt.figure(figsize=(7, 4)).gca()
    unit, values = _metric(results, metric)
    data = [v[~np.isnan(v)] for v in values]
    box = ax.boxplot(data, whis=(5, 95), showfliers=False, showmeans=True, widths=0.55,
                     patch_artist=True, tick_labels=list(results.strategies),
                     medianprops={"color": "black"},
                     meanprops={"marker": "D", "markerfacecolor": "white",
                                "markeredgecolor": "black", "markersize": 5})
    for patch, s in zip(box["boxes"], results.strategies, strict=True):
        patch.set_facecolor(_colour(results, s))
        patch.set_alpha(0.45)
    if unit == "USD" and all((d > 0).all() for d in data if d.size):
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda x, _p: ""))
    if unit == "USD":
        ax.yaxis.set_major_formatter(usd_formatter)
    ax.set_ylabel(f"{metric.replace('_', ' ')} [{unit}]")
    end = int(results.years[-1])
    ax.set_title(f"{metric.replace('_', ' ').capitalize()} {results.years[0]}-{end} per strategy"
                 if metric == "cumulative_spend" else f"{metric.replace('_', ' ')} per strategy")
    ax.grid(axis="y", alpha=0.3, which="both")
    ax.tick_params(axis="x", labelrotation=15)
    return ax


def paired_difference(results: Results, *, metric: str = "cumulative_spend",
                      baseline: str | None = None, ax: Axes | None = None) -> Axes:
    """Per strategy, the distribution of its difference from the baseline on the same trials
    (bar P25-P75, line P5-P95, dot at the median), with P(cheaper) written beside it.

    Returns
    -------
    Axes
    """
    ax = ax or plt.figure(figsize=(7, 4)).gca()
    unit, values = _metric(results, metric)
    base = baseline or results.scenario.baseline_strategy
    b = results.strategies.index(base)
    others = [s for s in results.strategies if s != base]
    for row, s in enumerate(others):
        i = results.strategies.index(s)
        diff = values[i] - values[b]
        diff = diff[~np.isnan(diff)]
        p5, p25, p50, p75, p95 = np.percentile(diff, [5, 25, 50, 75, 95])
        c = _colour(results, s)
        ax.plot([p5, p95], [row, row], color=c, lw=1.5)
        ax.plot([p25, p75], [row, row], color=c, lw=9, alpha=0.6, solid_capstyle="butt")
        ax.plot([p50], [row], "o", color="white", markeredgecolor=c, markersize=7)
        p_cheaper = np.mean(values[i] < values[b])
        ax.annotate(f"P(lower) = {p_cheaper:.0%}" if unit != "USD" else
                    f"P(cheaper) = {p_cheaper:.0%}", (1.0, row), xycoords=("axes fraction", "data"),
                    xytext=(-4, 7), textcoords="offset points", ha="right", fontsize="small",
                    fontweight="bold", color=c)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(others)), others)
    ax.set_ylim(-0.6, len(others) - 0.4)
    ax.invert_yaxis()
    if unit == "USD":
        ax.xaxis.set_major_formatter(usd_formatter)
    ax.set_xlabel(f"{metric.replace('_', ' ')}: strategy minus {base} [{unit}]  "
                  "(left of 0 = cheaper)")
    ax.set_title(f"Paired difference vs {base} (same draws): P5-P95, P25-P75, median")
    ax.grid(axis="x", alpha=0.3)
    return ax


def dependence_over_time(results: Results, *, ax: Axes | None = None) -> Axes:
    """Share of accelerator spend going to the dependence supplier (``dependence_on``, e.g.
    Nvidia) by year: mean line and P5-P95 band per strategy.

    Returns
    -------
    Axes
    """
    ax = ax or plt.figure(figsize=(7, 4)).gca()
    supplier = results.scenario.dependence_supplier
    share = results.dependence_share
    for i, s in enumerate(results.strategies):
        a = share[i]
        ok = ~np.isnan(a).all(axis=0)
        if not ok.any():  # nothing bought in any year: no share to draw
            continue
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(a[:, ok], axis=0)
            lo, hi = np.nanpercentile(a[:, ok], [5, 95], axis=0)
        c = _colour(results, s)
        ax.fill_between(results.years[ok], lo, hi, color=c, alpha=0.12, lw=0)
        ax.plot(results.years[ok], mean, color=c, lw=2, label=s)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("year")
    ax.set_ylabel(f"{supplier} share of accelerator spend")
    ax.set_title(f"Dependence on {supplier}: mean and P5-P95")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize="small", loc="lower left")
    return ax


def cumulative_paths(results: Results, *, ax: Axes | None = None) -> Axes:
    """Cumulative spend by year per strategy: median line and P25-P75 band.

    Returns
    -------
    Axes
    """
    ax = ax or plt.figure(figsize=(7, 4)).gca()
    cum = np.cumsum(results.annual, axis=2)
    for i, s in enumerate(results.strategies):
        q25, q50, q75 = np.percentile(cum[i], [25, 50, 75], axis=0)
        c = _colour(results, s)
        ax.fill_between(results.years, q25, q75, color=c, alpha=0.12, lw=0)
        ax.plot(results.years, q50, color=c, lw=2, label=s)
    ax.yaxis.set_major_formatter(usd_formatter)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("year")
    ax.set_ylabel("cumulative spend [USD, nominal]")
    ax.set_title("Cumulative spend: median and P25-P75")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize="small", loc="upper left")
    return ax


def s_curve(results: Results, claim, *, ax: Axes | None = None) -> Axes:
    """Cumulative distribution (S-curve) of a claim's metric per strategy, with the claim's
    threshold and its probability for each strategy marked.

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
    from simulator.analyse.claims import as_claim, evaluate_claims
    from simulator.results.metrics import claim_metric

    ax = ax or plt.figure(figsize=(7, 4)).gca()
    claim = as_claim(claim)
    values = claim_metric(results, claim)
    table = evaluate_claims(results, [claim]).set_index("strategy")
    money = claim.base_metric in MONEY_METRICS
    finite = values[~np.isnan(values)]
    for i, s in enumerate(results.strategies):
        v = values[i][~np.isnan(values[i])]
        # 1,001 quantiles draw the same curve as every trial, far faster
        levels = np.linspace(0, 1, min(v.size, 1001))
        c = _colour(results, s)
        row = table.loc[s]
        ax.plot(np.quantile(v, levels), levels, color=c, lw=2,
                label=f"{s}: P = {format_probability(row['probability'])} "
                      f"[{format_probability(row['ci_low'])}, "
                      f"{format_probability(row['ci_high'])}]")
    # show the bulk and the threshold, not the one extreme trial in a million
    lo, hi = np.percentile(finite, [0.5, 99.5]) if finite.size else (0.0, 1.0)
    lo, hi = min(lo, claim.threshold), max(hi, claim.threshold)
    # a log scale cannot show zero (a funding gap that never opens); then the scale is linear
    log = lo > 0 and (money or hi / lo > 20)
    ax.set_xlim(lo / 1.15 if log else lo - 0.05 * (hi - lo), hi * 1.15 if log else hi + 0.05 * (hi - lo))
    ax.axvline(claim.threshold, color="#D55E00", lw=1.5, ls="--")
    ax.annotate(f"claim: {claim.op} {format_usd(claim.threshold) if money else claim.threshold:}",
                (claim.threshold, 0.02), xytext=(4, 0), textcoords="offset points",
                color="#D55E00", fontsize="small", rotation=90, va="bottom")
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda x, _p: ""))
    if money:
        ax.xaxis.set_major_formatter(usd_formatter)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("share of trials at or below")
    what = claim.metric.replace("_", " ")
    when = "" if claim.year is None else (f" through {claim.year}"
                                          if claim.metric == "cumulative_spend" else f" in {claim.year}")
    ax.set_xlabel(f"{what}{when}" + (" [USD, nominal]" if money else ""))
    ax.set_title(f"Claim: {claim.label}  (P = probability the claim holds, 95% interval)",
                 fontsize="medium")
    ax.grid(alpha=0.3, which="major")
    ax.legend(frameon=False, fontsize="small", loc="upper left")
    return ax


def tornado_chart(table, *, strategy: str | None = None, top: int = 12,
                  ax: Axes | None = None) -> Axes:
    """Tornado: the metric with each input at its low and high value, others at medians.

    Parameters
    ----------
    table : DataFrame
        From :func:`simulator.analyse.sensitivity.tornado` (or ``sensitivity_table``).
    strategy : str, optional
        Default: the first strategy in the table.
    top : int
        Number of inputs shown, by swing.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    strategy = strategy or table["strategy"].iloc[0]
    rows = table[table["strategy"] == strategy].nlargest(top, "swing").iloc[::-1]
    ax = ax or plt.figure(figsize=(8, 0.45 * len(rows) + 1.5)).gca()
    base = float(rows["base"].iloc[0])
    y = np.arange(len(rows))
    ax.barh(y, rows["at_low"] - base, left=base, color="#0072B2", alpha=0.8,
            label="input at its P10")
    ax.barh(y, rows["at_high"] - base, left=base, color="#D55E00", alpha=0.8,
            label="input at its P90")
    labels = [f"{p}  ({_short(lo)} to {_short(hi)})" for p, lo, hi in
              zip(rows["input"], rows["value_low"], rows["value_high"], strict=True)]
    ax.set_yticks(y, labels, fontsize="small")
    ax.axvline(base, color="black", lw=0.8)
    metric = str(rows["metric"].iloc[0])
    if metric.split()[0] in MONEY_METRICS:
        ax.xaxis.set_major_formatter(usd_formatter)
    ax.set_xlabel(f"{metric.replace('_', ' ')}; line = all inputs at their medians")
    ax.set_title(f"Tornado ({strategy}): which assumptions move the answer")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(frameon=False, fontsize="small", loc="lower right")
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


def _short(x: float) -> str:
    a = abs(x)
    if a >= 1e3:
        return format_usd(x).replace("$", "") if a >= 1e4 else f"{x:,.0f}"
    return f"{x:.3g}"


def sobol_bars(table, *, strategy: str | None = None, top: int = 12,
               ax: Axes | None = None) -> Axes:
    """First-order and total Sobol indices per input, with their 95% intervals.

    Parameters
    ----------
    table : DataFrame
        From :func:`simulator.analyse.sensitivity.sobol_analysis`.
    strategy : str, optional
    top : int
        Inputs shown, by total index.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    strategy = strategy or table["strategy"].iloc[0]
    rows = table[table["strategy"] == strategy].nlargest(top, "ST").iloc[::-1]
    ax = ax or plt.figure(figsize=(8, 0.45 * len(rows) + 1.5)).gca()
    y = np.arange(len(rows))
    ax.barh(y + 0.2, rows["S1"], height=0.4, xerr=rows["S1_conf"], color="#0072B2",
            label="first order S1", error_kw={"lw": 0.8})
    ax.barh(y - 0.2, rows["ST"], height=0.4, xerr=rows["ST_conf"], color="#E69F00",
            label="total ST", error_kw={"lw": 0.8})
    ax.set_yticks(y, rows["input"], fontsize="small")
    ax.set_xlim(left=min(0, float(rows["S1"].min()) - 0.02))
    ax.set_xlabel("share of output variance")
    ax.set_title(f"Sobol indices ({strategy})")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(frameon=False, fontsize="small", loc="lower right")
    return ax


def sweep_chart(table, *, quantity: str = "cumulative_spend", path: str = "value",
                ax: Axes | None = None) -> Axes:
    """A swept quantity against the swept value: median (or probability) and P5-P95 band per
    strategy.

    Parameters
    ----------
    table : DataFrame
        From :func:`simulator.analyse.sweeps.sweep`.
    quantity : str
        A ``quantity`` of the table, e.g. ``"cumulative_spend"`` or ``"P($7T through 2030)"``.
    path : str
        Name of the swept input, for the axis label.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = ax or plt.figure(figsize=(7, 4)).gca()
    rows = table[table["quantity"] == quantity]
    if rows.empty:
        raise ValueError(f"no quantity {quantity!r} in the sweep; quantities are "
                         f"{sorted(table['quantity'].unique())}")
    numeric = all(isinstance(v, int | float) for v in rows["value"])
    positions = {v: k for k, v in enumerate(dict.fromkeys(rows["value"]))}
    order = list(dict.fromkeys(table["strategy"]))  # colours match the other strategy plots
    for strategy, grp in rows.groupby("strategy", sort=False):
        x = grp["value"].to_numpy() if numeric else grp["value"].map(positions).to_numpy()
        colour = STRATEGY_COLOURS[order.index(strategy) % len(STRATEGY_COLOURS)]
        centre = grp["mean"] if grp["unit"].iloc[0] == "probability" else grp["p50"]
        ax.fill_between(x, grp["p5"], grp["p95"], color=colour, alpha=0.12, lw=0)
        ax.plot(x, centre, "o-", color=colour, lw=2, label=strategy)
    if not numeric:
        ax.set_xticks(list(positions.values()), [str(v) for v in positions])
    unit = rows["unit"].iloc[0]
    if unit == "USD":
        if (rows[["p5", "p50"]].to_numpy() > 0).all():  # a log axis cannot show savings < 0
            ax.set_yscale("log")
        ax.yaxis.set_major_formatter(usd_formatter)
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda x, _p: ""))
    elif unit in ("probability", "fraction"):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(path)
    band = "95% interval" if unit == "probability" else "P5-P95"
    ax.set_ylabel(unit)
    ax.set_title(f"{quantity}  (line: {'probability' if unit == 'probability' else 'median'}; "
                 f"band: {band})", fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize="small")
    return ax


def funding_chart(results: Results, *, ax: Axes | None = None) -> Axes:
    """Cumulative cash need per strategy against cumulative committed funding, by year:
    medians with P25-P75 bands. Where a strategy's line rises above the funding line, money
    beyond what is committed must be raised.

    Returns
    -------
    Axes
    """
    ax = ax or plt.figure(figsize=(8, 4.5)).gca()
    years = results.years
    for i, s in enumerate(results.strategies):
        q25, q50, q75 = np.percentile(results.cash_need(i), [25, 50, 75], axis=0)
        c = _colour(results, s)
        ax.fill_between(years, q25, q75, color=c, alpha=0.12, lw=0)
        ax.plot(years, q50, color=c, lw=2, label=f"cash need: {s}")
    f25, f50, f75 = np.percentile(results.funding, [25, 50, 75], axis=0)
    ax.fill_between(years, f25, f75, color="#777777", alpha=0.25, lw=0)
    ax.plot(years, f50, color="black", lw=2, ls="--", label="committed funding")
    ax.axhline(0, color="black", lw=0.6)
    ax.yaxis.set_major_formatter(usd_formatter)
    ax.set_xlabel("year")
    ax.set_ylabel("cumulative [USD, nominal]")
    ax.set_title("Cumulative cash need (infrastructure cash spend - operating cash flow) vs "
                 "committed funding; median and P25-P75", fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize="small", loc="upper left")
    return ax
