"""Shared style of the plots: colours and line styles per strategy and spend category, money
and number formatters for axes, log axes labelled at 1, 2 and 5 of each decade, labels placed
outside the data (legends to the right, line names at line ends), key paths written in words,
and the small table and axes helpers every plot module uses.

Strategies keep one colour and one line style across every figure, so lines that coincide stay
tellable apart; the palettes are Okabe-Ito, distinguishable in print and for most colour-vision
deficiencies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

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

#: What a box plot's parts mean, written under its title.
NOTE_BOX = "box: P25-P75, whiskers: P5-P95, line: median, diamond: mean"

#: Words of key paths written as a reader expects them.
KEY_WORDS = {"kw": "kW", "mw": "MW", "mwh": "MWh", "gw": "GW", "pue": "PUE", "nre": "NRE",
             "datacentre": "data centre", "networking": "& networking", "usd": "USD"}


def text_safe(text: str) -> str:
    """Text shown as written: matplotlib reads a pair of ``$`` as a formula ("$12k to $20k")."""
    return text.replace("$", r"\$")


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


def plain_number(x: float, _pos=None) -> str:
    """A count or quantity for an axis or a table, never in scientific notation:
    ``25000 -> '25,000'``, ``0.5 -> '0.5'``, ``1.25e-3 -> '0.00125'``."""
    return format_number(x)


def input_label(path: str, unit: str = "") -> str:
    """A key path in words, with its unit: ``suppliers.nvidia.price_per_unit`` and ``USD/unit``
    give ``'nvidia: price per unit [USD/unit]'``."""
    parts = path.split(".")
    if parts[0] in ("suppliers", "strategies", "shocks") and len(parts) > 2:
        parts = parts[1:]
    words = [" ".join(KEY_WORDS.get(w, w) for w in p.split("_")) for p in parts]
    name = words[-1] if len(words) == 1 else f"{' '.join(words[:-1])}: {words[-1]}"
    return f"{name} [{unit}]" if unit and unit != "-" else name


def metric_label(metric: str) -> str:
    """A metric's name in words: ``cumulative_spend -> 'cumulative spend'``."""
    return metric.replace("_", " ")


def strategy_index(results: Results, strategy: str | None) -> int:
    """Position of ``strategy`` in the results (the first when None); a clear error if unknown."""
    if strategy is None:
        return 0
    try:
        return results.strategies.index(strategy)
    except ValueError:
        raise ValueError(f"unknown strategy {strategy!r}; strategies are "
                         f"{list(results.strategies)}") from None


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """The Axes given, or a new pyplot figure's of ``figsize`` [inches] (pyplot is imported
    only then: the command and the writers draw on figures of their own)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize).gca()


def strategy_colour(strategies: Sequence[str], strategy: str) -> str:
    """A strategy's colour, by its position among ``strategies``: the same in every figure."""
    return STRATEGY_COLOURS[list(strategies).index(strategy) % len(STRATEGY_COLOURS)]


def strategy_style(strategies: Sequence[str], strategy: str):
    """A strategy's line style, by its position among ``strategies``: the same in every figure."""
    return STRATEGY_STYLES[list(strategies).index(strategy) % len(STRATEGY_STYLES)]


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


def legend_outside(ax: Axes, **kwargs) -> None:
    """Legend to the right of the axes, outside the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small",
              borderaxespad=0.0, **kwargs)


def rows_where(table: pd.DataFrame, **where) -> pd.DataFrame:
    """The rows of ``table`` whose columns equal the values given (``strategy=\"a\"``)."""
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    return table[mask]


def strategy_lines(ax: Axes, results: Results, years: np.ndarray,
                    values: Mapping[str, np.ndarray]) -> list[tuple[float, float, str, str]]:
    """One line per strategy in its colour and style; returns the line ends for labels."""
    ends = []
    for s, y in values.items():
        ok = np.isfinite(y)
        if not ok.any():
            continue
        c = strategy_colour(results.strategies, s)
        ax.plot(years[ok], y[ok], color=c, ls=strategy_style(results.strategies, s), lw=2, label=s)
        last = np.flatnonzero(ok)[-1]
        ends.append((float(years[last]), float(y[last]), s, c))
    return ends
