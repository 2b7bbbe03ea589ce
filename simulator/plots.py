"""Plots of simulation results. Each function takes Results and an optional ``ax`` and returns
the ``ax``; none calls ``show()`` or ``savefig()`` (the writers do)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from simulator.quantities import format_usd
from simulator.results import Results

usd_formatter = FuncFormatter(lambda x, _pos: format_usd(x) if x else "0")

#: Colours per spend category group, chosen to stay distinguishable in print and for most
#: colour-vision deficiencies (Okabe-Ito palette).
CATEGORY_COLOURS = {
    "servers_networking": "#56B4E9",
    "datacentre": "#E69F00",
    "energy": "#F0E442",
    "operations": "#999999",
}
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
    mean = results.spend[i].mean(axis=0, dtype=np.float64)  # (T, C)
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
    ax.legend(loc="upper left", frameon=False, fontsize="small")
    return ax
