"""How values are shown to a reader, one home for every report: money as $1.2T, power in GW,
shares as %, counts with thousands separators, missing values as a dash."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from simulator.report.plot_style import format_probability
from simulator.spec.quantities import format_usd

#: Readable names of the headline metrics.
METRIC_NAMES = {
    "cumulative_spend": "Cumulative spend",
    "npv": "NPV of spend",
    "installed_gw": "Installed IT power",
    "unmet_demand": "Unmet demand",
    "work_in_progress": "Paid for capacity serving after the horizon",
    "inhouse_net_saving": "In-house net saving",
    "inhouse_breakeven_year": "In-house breakeven year",
    "inhouse_breaks_even": "In-house breaks even",
    "cash_spend": "Cash spend",
    "economic_cost": "Economic cost",
    "committed_lease_payments": "Lease payments owed after the horizon",
    "cash_need_peak": "Peak cumulative cash need",
    "funding_gap": "Funding gap",
    "gap_year": "Year the funding gap opens",
    "p_funded": "Committed funding suffices",
}


def is_missing(x: object) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def format_number(x: object, digits: int = 3) -> str:
    """A value in its input's own unit: 3 significant digits, 12.8k, 10.4M, 1.5B, 7T."""
    if is_missing(x):
        return "-"
    x = float(x)  # type: ignore[arg-type]
    if not math.isfinite(x):
        return "inf" if x > 0 else "-inf"
    for at, div, suffix in ((1e12, 1e12, "T"), (1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(x) >= at:
            return f"{x / div:.{digits}g}{suffix}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if x != 0 and abs(x) < 1e-3:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def format_signed(x: object) -> str:
    return "-" if is_missing(x) else f"{float(x):+.2f}"  # type: ignore[arg-type]


def format_count(x: object) -> str:
    return "-" if is_missing(x) else f"{int(x):,}"  # type: ignore[call-overload]


def format_prob(x: object) -> str:
    return "-" if is_missing(x) else format_probability(float(x))  # type: ignore[arg-type]


def value_formatter(unit: str, *, signed: bool = False) -> Callable[[object], str]:
    """How to show a value of this unit: money as $1.2T, GW with one decimal, shares as %."""

    def usd(x: object) -> str:
        if is_missing(x):
            return "-"
        x = float(x)  # type: ignore[arg-type]
        if not math.isfinite(x):
            return "inf" if x > 0 else "-inf"
        text = format_usd(x)
        return f"+{text}" if signed and x > 0 else text

    def gw(x: object) -> str:
        return "-" if is_missing(x) else f"{float(x):{'+' if signed else ''},.1f} GW"  # type: ignore[arg-type]

    def share(x: object) -> str:
        if is_missing(x):
            return "-"
        x = float(x)  # type: ignore[arg-type]
        return f"{100 * x:+.1f} pp" if signed else f"{x:.1%}"

    def year(x: object) -> str:
        if is_missing(x):
            return "-"
        x = float(x)  # type: ignore[arg-type]
        if not math.isfinite(x):
            return "not by the end"
        return f"{x:+.1f} yr" if signed else str(round(x))

    return {"USD": usd, "GW": gw, "fraction": share, "probability": format_prob,
            "year": year}.get(unit, lambda x: format_number(x))


def metric_label(metric: str, unit: str, end: int) -> str:
    if metric.startswith("spend_"):
        return f"Spend in {metric.removeprefix('spend_')}"
    if metric.endswith("_share"):
        return f"{metric.removesuffix('_share').capitalize()} share of chip spend"
    name = METRIC_NAMES.get(metric, metric.replace("_", " ").capitalize())
    if metric == "installed_gw":
        return f"{name} in {end}"
    return name


def claim_unit(metric: str) -> str:
    if metric in ("installed_gw",):
        return "GW"
    if metric.endswith("_share") or metric in ("unmet_demand", "dependence_share"):
        return "fraction"
    return "USD"
