"""The frontier figure and the plain-words summary of a lever search.

:func:`frontier_chart` takes the table of :func:`simulator.analysis.frontier.frontier_table` and an
optional ``ax`` and returns the ``ax``; :func:`format_optimize` turns a search, its regret
table and the robust choice into the text the ``simulate optimize`` command prints.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.spec.levers import Levers, Statistic


def describe(row: pd.Series, levers: Levers | None) -> str:
    """A candidate in words: ``in-house 60% and amd 30% of purchases by 2028`` or
    ``hybrid (a strategy of the scenario)``."""
    if row.get("current", False) or levers is None:
        return f"{row['candidate']} (a strategy of the scenario)"
    shares, year, extra = [], None, []
    for name, lever in levers.vary.items():
        v = row[name]
        if lever.kind == "share":
            shares.append(f"{lever.supplier} {v:.0%}")
        elif lever.kind == "target_year":
            year = int(v)
        elif lever.kind == "lease_share":
            extra.append(f"{v:.0%} of new capacity leased")
        else:
            extra.append(f"{lever.supplier} program from {int(v)}")
    year = year if year is not None else levers.template.target_year
    moving = [s for s in shares if not s.endswith(" 0%")]
    if moving:
        text = " and ".join(moving) + f" of purchases by {year}"
    else:
        text = f"all purchases from {levers.template.remainder}"
    return ", ".join([text, *extra])


def _scale(values: np.ndarray, unit: str) -> tuple[np.ndarray, str]:
    if unit == "USD":
        return np.asarray(values) / 1e12, "[$T]"
    if unit in ("fraction", "probability"):
        return np.asarray(values) * 100, "[%]"
    return np.asarray(values), f"[{unit}]"


def frontier_chart(table: pd.DataFrame, objectives: list[Statistic], *, ax=None,
                   dependence_label: str | None = None):
    """Cost against dependence for every candidate, coloured by tail risk.

    Parameters
    ----------
    table : DataFrame
        From :func:`simulator.analysis.frontier.frontier_table`.
    objectives : list of Statistic
        The first is plotted on x; the second (if any) on y; the third (if any) colours the
        points.
    ax : matplotlib Axes, optional
    dependence_label : str, optional
        Label of the y axis (default: the second objective's text).

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    x_stat = objectives[0]
    y_stat = objectives[1] if len(objectives) > 1 else objectives[0]
    x, x_unit = _scale(table[x_stat.text].to_numpy(), x_stat.unit)
    y, y_unit = _scale(table[y_stat.text].to_numpy(), y_stat.unit)
    feasible = table["feasible"].to_numpy()
    front = table["on_frontier"].to_numpy()
    current = table["current"].to_numpy()
    colour_kw = {"color": "tab:blue"}
    if len(objectives) > 2:
        c, c_unit = _scale(table[objectives[2].text].to_numpy(), objectives[2].unit)
        colour_kw = {"c": c, "cmap": "viridis_r", "vmin": np.nanmin(c), "vmax": np.nanmax(c)}
    lever = feasible & ~current
    kw = {k: (v[lever] if k == "c" else v) for k, v in colour_kw.items()}
    sc = ax.scatter(x[lever], y[lever], s=18, alpha=0.75, linewidths=0, **kw,
                    label="lever settings")
    if (~feasible).any():
        ax.scatter(x[~feasible], y[~feasible], s=18, marker="x", color="0.6",
                   label="fails a constraint")
    order = np.argsort(x[front])
    ax.plot(x[front][order], y[front][order], color="black", lw=1, zorder=3)
    kw = {k: (v[front] if k == "c" else v) for k, v in colour_kw.items()}
    ax.scatter(x[front], y[front], s=60, edgecolors="black", linewidths=1.2, zorder=4, **kw,
               label="frontier")
    kw = {k: (v[current] if k == "c" else v) for k, v in colour_kw.items()}
    ax.scatter(x[current], y[current], s=110, marker="*", edgecolors="crimson",
               linewidths=1.2, zorder=5, **kw, label="strategies of the scenario")
    for xi, yi, name in zip(x[current], y[current], table["candidate"][current], strict=True):
        ax.annotate(name, (xi, yi), textcoords="offset points", xytext=(6, 4), fontsize=8,
                    color="crimson")
    if len(objectives) > 2:
        bar = ax.figure.colorbar(sc, ax=ax)
        bar.set_label(f"{objectives[2].text} {c_unit} (tail risk)")
    ax.set_xlabel(f"{x_stat.text} {x_unit}")
    ax.set_ylabel(f"{dependence_label or y_stat.text} {y_unit}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return ax


def _value(v: float, unit: str) -> str:
    if unit == "USD":
        return f"${v / 1e12:,.2f}T" if abs(v) >= 1e12 else f"${v / 1e9:,.1f}B"
    if unit in ("fraction", "probability"):
        return f"{v:.1%}"
    return f"{v:,.3g} {unit}"


def _name(table: pd.DataFrame, candidate: str, levers: Levers | None) -> str:
    rows = table[table["candidate"] == candidate]
    return describe(rows.iloc[0], levers) if len(rows) else candidate


def _confidence(p: float) -> str:
    return "99.9%" if p > 0.999 else f"{p:.1%}"


def format_optimize(table: pd.DataFrame, objectives: list[Statistic], levers: Levers | None, *,
                    method: str, trials: int, regret: pd.DataFrame | None = None,
                    robust: tuple[str, str] | None = None, limit: int = 12) -> str:
    """The search's answer in plain words.

    Parameters
    ----------
    table : DataFrame
        Sorted frontier first (:func:`simulator.analysis.optimize.optimize`).
    objectives : list of Statistic
    levers : Levers or None
    method : str
        How the settings were chosen.
    trials : int
    regret : DataFrame, optional
        :func:`simulator.analysis.robustness.regret_table`.
    robust : (str, str), optional
        :func:`simulator.analysis.robustness.robust_choice`.
    limit : int
        Frontier rows shown at most.

    Returns
    -------
    str
    """
    n_set = int((~table["current"]).sum())
    lines = [f"Searched {n_set} lever settings ({method}) and {int(table['current'].sum())} "
             f"strategies of the scenario, all on the same {trials:,} trials."]
    feasible = int(table["feasible"].sum())
    lines.append(f"{feasible} of {len(table)} meet every constraint.")
    front = table[table["on_frontier"]]
    if front.empty:
        lines.append("No candidate meets every constraint: there is no frontier.")
        return "\n".join(lines)
    lines.append("")
    baseline = table.loc[table["current"] & (table.get("vs_baseline", np.nan) == 0),
                         "candidate"] if "vs_baseline" in table else pd.Series(dtype=str)
    base_name = baseline.iloc[0] if len(baseline) else None
    first = objectives[0]
    n_front = len(front)
    lines.append(f"On the frontier ({n_front} setting{'s' if n_front != 1 else ''}; no other "
                 f"is better in {' and '.join(s.text for s in objectives)} at once):")
    for _, row in front.head(limit).iterrows():
        vals = "; ".join(f"{s.text} {_value(row[s.text], s.unit)} "
                         f"(+/- {_value(row[s.text + '_se'], s.unit)})" for s in objectives)
        lines.append(f"  - {describe(row, levers)}: {vals}")
        if base_name is not None and row["candidate"] != base_name:
            diff, se = row["vs_baseline"], row["vs_baseline_se"]
            word = "below" if diff < 0 else "above"
            lines.append(f"    {first.text} {_value(abs(diff), first.unit)} {word} {base_name}'s "
                         f"(+/- {_value(se, first.unit)}, paired on the same trials)")
    if len(front) > limit:
        lines.append(f"  ... and {len(front) - limit} more in frontier.csv")
    current = table[table["current"]]
    if not current.empty:
        lines.append("")
        lines.append("The scenario's own strategies:")
        for _, row in current.iterrows():
            where = "on the frontier" if row["on_frontier"] else (
                "fails a constraint" if not row["feasible"] else
                f"beaten in every objective by {_name(table, row['dominated_by'], levers)} "
                f"(with at least {_confidence(row['p_dominated'])} confidence, paired)")
            vals = "; ".join(f"{s.text} {_value(row[s.text], s.unit)}" for s in objectives)
            lines.append(f"  - {row['candidate']}: {vals}; {where}")
    if robust is not None and regret is not None:
        name, reason = robust
        n_scen = regret.loc[regret["scenario"] != "all", "scenario"].nunique()
        row = table[table["candidate"] == name].iloc[0]
        lines.append("")
        lines.append(f"Robust across {n_scen} scenario{'s' if n_scen != 1 else ''}: "
                     f"{describe(row, levers)}, because "
                     f"{reason}.")
    return "\n".join(lines)
