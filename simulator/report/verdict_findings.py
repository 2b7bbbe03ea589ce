"""The findings a verdict is made of, each from a run's tables: a claim's answer, the cheapest
strategy and why, the dependence, the funding gap, the inputs that drive the answer. Wording
comes from the templates here; every number from the tables."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulator.analysis.claims import MIN_TAIL_TRIALS
from simulator.report.plot_style import format_probability
from simulator.spec.quantities import format_usd

#: Metrics whose values are money [USD], power [GW] and shares [-], for formatting.
MONEY_METRICS = ("cumulative_spend", "spend", "npv", "funding_gap")
SHARE_METRICS = ("dependence_share", "unmet_demand")

#: Plain words for a probability (upper bounds, exclusive), after the IPCC's calibrated
#: language; exactly 0 and 1 are said separately ("in no trial", "in every trial").
LIKELIHOOD_WORDS = ((0.01, "almost never"), (0.10, "very unlikely"), (0.33, "unlikely"),
                    (0.66, "about as likely as not"), (0.90, "likely"), (0.99, "very likely"),
                    (1.0, "almost certain"))

#: Inputs listed as what moves the answer most.
TOP_DRIVERS = 3

#: Trials behind the rank correlations that name the funding gap's driver: their standard
#: error is about 1/sqrt(n), 0.007 here, ample to rank inputs whose correlations differ by 0.1.
DRIVER_TRIALS = 20_000


@dataclass(frozen=True)
class Finding:
    """One point of a verdict.

    Attributes
    ----------
    topic : str
        ``"claim"``, ``"cheapest"``, ``"dependence"``, ``"funding"`` or ``"drivers"``.
    text : str
        One or two plain sentences.
    numbers : dict
        The values the text quotes, unrounded (probabilities as fractions, money in USD),
        and the names it refers to (``"strategy"``, ``"claim"``, ``"input"``, ...).
    """

    topic: str
    text: str
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def lead(self) -> str:
        """What the finding is about: the text before its first ': ' (a claim's label,
        "Cheapest on average", ...), for display in bold; '' when there is none."""
        head, sep, _ = self.text.partition(": ")
        return head if sep and len(head) <= 80 else ""




# -- claims --------------------------------------------------------------------------------------

def likelihood(p: float) -> str:
    """A probability in plain words: ``0.0002 -> 'almost never'``, ``0.4 -> 'about as likely
    as not'``; exactly 0 and 1 are ``'in no trial'`` and ``'in every trial'``."""
    if not math.isfinite(p):
        return "undefined"
    if p <= 0:
        return "in no trial"
    if p >= 1:
        return "in every trial"
    return next(word for bound, word in LIKELIHOOD_WORDS if p < bound)


def claim_finding(label: str, rows: pd.DataFrame, note: str) -> Finding:
    rows = rows.reset_index(drop=True)
    n = rows["trials"].astype(int)
    k = rows["trials_true"].astype(int)
    const = _constant_metric(rows)
    fixed = {r["strategy"] for i, r in rows.iterrows() if const[i] and k[i] in (0, n[i])}
    numbers: dict[str, Any] = {"claim": label, "probabilities": dict(zip(
        rows["strategy"], rows["probability"].astype(float), strict=True))}
    parts = []
    free = rows[~rows["strategy"].isin(fixed)]
    if len(free):
        parts.append(_claim_probability(free, every=len(free) == len(rows), numbers=numbers))
    impossible = sorted(s for s in fixed if int(rows.loc[rows["strategy"] == s,
                                                         "trials_true"].iloc[0]) == 0)
    certain = sorted(fixed - set(impossible))
    for names, what in ((impossible, "cannot hold"), (certain, "holds by construction")):
        if names:
            metric = str(rows["metric"].iloc[0]) if "metric" in rows else ""
            fmt = _formatter(metric)
            values = [fmt(float(rows.loc[rows["strategy"] == s, "metric_min"].iloc[0]))
                      for s in names]
            said = values[0] if len(set(values)) == 1 else _join(values) + " respectively"
            name = metric.replace("_", " ") or "value"
            parts.append(f"it {what} under {_join(names)} (its {name} is {said} in every "
                         "trial)")
            numbers["cannot_hold" if what == "cannot hold" else "holds_by_construction"] = names
    text = f"{label}: " + "; ".join(parts) + "."
    if (see := _see_also(note)):
        text += f" {see}"
    return Finding("claim", text, numbers)


def _claim_probability(rows: pd.DataFrame, *, every: bool, numbers: dict[str, Any]) -> str:
    """The probability part of a claim's finding, over strategies whose outcome is not fixed
    by construction."""
    k, n = rows["trials_true"].astype(int), rows["trials"].astype(int)
    p = rows["probability"].astype(float)
    who = "for every strategy" if every else f"under {_join(list(rows['strategy']))}"
    if len(rows) == 1:
        who = f"under {rows['strategy'].iloc[0]}"
    if (k == n).all() and (n == n.iloc[0]).all():
        low = float(rows["ci_low"].min())
        numbers.update(trials=int(n.iloc[0]), ci_low=low)
        return (f"holds in every one of the {int(n.iloc[0]):,} trials {who} (95% "
                f"interval: at least {format_probability(low)})")
    if (k == 0).all() and (n == n.iloc[0]).all():
        high = float(rows["ci_high"].max())
        numbers.update(trials=int(n.iloc[0]), ci_high=high)
        return (f"held in none of the {int(n.iloc[0]):,} trials {who} (95% interval: "
                f"at most {format_probability(high)})")
    if (k == k.iloc[0]).all() and (n == n.iloc[0]).all():
        r = rows.iloc[0]
        rough = _rough(int(r["trials_true"]), int(r["trials"]))
        numbers.update(probability=float(r["probability"]), trials_true=int(r["trials_true"]),
                       trials=int(r["trials"]), ci_low=float(r["ci_low"]),
                       ci_high=float(r["ci_high"]))
        return (f"{likelihood(float(r['probability']))}, {format_probability(r['probability'])} "
                f"({int(r['trials_true']):,} of {int(r['trials']):,} trials; 95% interval "
                f"{format_probability(r['ci_low'])} to {format_probability(r['ci_high'])}) "
                f"{who}{rough}")
    lo, hi = rows.loc[p.idxmin()], rows.loc[p.idxmax()]
    p_lo, p_hi = float(lo["probability"]), float(hi["probability"])
    words = likelihood(p_lo), "certain" if p_hi >= 1 else likelihood(p_hi)
    numbers.update(lowest=(lo["strategy"], p_lo), highest=(hi["strategy"], p_hi))
    if p_lo <= 0 and p_hi >= 1:
        said = "it depends on the strategy"
    elif words[0] == words[1] or p_lo <= 0:
        said = words[1]  # from 0%, the top's word says it: "very unlikely, from 0% to 3.0%"
    else:
        said = f"{words[0]} to {words[1]}"
    rare = [min(int(a), int(b) - int(a)) for a, b in zip(k, n, strict=True)]
    rough = ""
    low_side = [int(a) < int(b) - int(a) for a, b in zip(k, n, strict=True)]
    if 0 < max(rare) < MIN_TAIL_TRIALS and len(set(low_side)) == 1:
        rough = (f"; a rough estimate from {min(rare)} to {max(rare)} of {int(n.max()):,} "
                 f"trials {'where it holds' if (k < n - k).all() else 'where it fails'}")
    return (f"{said}, from {format_probability(lo['probability'])} ({lo['strategy']}) to "
            f"{format_probability(hi['probability'])} ({hi['strategy']}) depending on the "
            f"strategy{rough}")


def _rough(k: int, n: int) -> str:
    """A caution for an estimate that rests on a handful of trials on its rarer side."""
    rare = min(k, n - k)
    return "" if rare >= MIN_TAIL_TRIALS else ": a rough estimate"


def _constant_metric(rows: pd.DataFrame) -> list[bool]:
    if "metric_min" not in rows or "metric_max" not in rows:
        return [False] * len(rows)
    return [bool(np.isfinite(a) and a == b) for a, b in
            zip(rows["metric_min"].astype(float), rows["metric_max"].astype(float), strict=True)]




def subject_of(scope: str) -> str:
    """"one company's own AI infrastructure" from a scope's opening words, when they are short
    enough to name a subject ('' otherwise)."""
    head = re.split(r"[(:;,.]", scope, maxsplit=1)[0].strip()
    if not head or len(head) > 60:
        return ""
    return head[0].lower() + head[1:]


def _see_also(note: str) -> str:
    """The sentence of a claim's note that points at another scenario file, if any."""
    for sentence in re.split(r"(?<=[.;])\s+", " ".join(note.split())):
        if re.search(r"\b[\w./-]+\.ya?ml\b", sentence):
            sentence = sentence.rstrip(";. ")
            return sentence[0].upper() + sentence[1:] + "."
    return ""


# -- strategies ----------------------------------------------------------------------------------

def strategy_means(summary: pd.DataFrame | None, metric: str) -> dict[str, float]:
    if summary is None or summary.empty:
        return {}
    rows = summary[summary["metric"] == metric]
    return {str(s): float(m) for s, m in zip(rows["strategy"], rows["mean"], strict=True)
            if math.isfinite(float(m))}


def _row(table: pd.DataFrame | None, **match) -> pd.Series | None:
    if table is None or table.empty:
        return None
    hit = table
    for key, value in match.items():
        hit = hit[hit[key] == value]
    return None if hit.empty else hit.iloc[0]


def _cheaper(p: float, other: str) -> str:
    if p >= 1:
        return f"cheaper than {other} in every trial"
    if p <= 0:
        return f"never cheaper than {other}"
    return f"cheaper than {other} in {format_probability(p)} of trials"


def cheapest_finding(cheapest: str, means: dict[str, float], summary: pd.DataFrame,
                      comparisons: pd.DataFrame | None, categories: pd.DataFrame | None,
                      baseline: str | None, start: int | None, end: int | None) -> Finding:
    ranked = sorted(means, key=means.get)
    runner_up = ranked[1]
    span = f" {start}-{end}" if start is not None and end is not None else ""
    med = _row(summary, metric="cumulative_spend", strategy=cheapest)
    numbers: dict[str, Any] = {"strategy": cheapest, "mean": means[cheapest],
                               "runner_up": runner_up}
    text = (f"Cheapest on average: {cheapest}, mean cumulative spend{span} {format_usd(means[cheapest])}"
            + (f" (median {format_usd(med['p50'])})" if med is not None else ""))
    sure = []
    if baseline is not None and baseline != cheapest:
        row = _row(comparisons, metric="cumulative_spend", strategy=cheapest, baseline=baseline)
        if row is not None:
            numbers.update(p_cheaper_than_baseline=float(row["p_cheaper"]),
                           diff_mean_vs_baseline=float(row["diff_mean"]))
            text += f", {format_usd(-float(row['diff_mean']))} less than {baseline} on average"
            sure.append(_cheaper(float(row["p_cheaper"]), baseline))
    elif baseline == cheapest:
        text += " (the baseline)"
    if runner_up != baseline or baseline == cheapest:
        row = _row(comparisons, metric="cumulative_spend", strategy=cheapest, baseline=runner_up)
        if row is not None:
            numbers["p_cheaper_than_runner_up"] = float(row["p_cheaper"])
            p = float(row["p_cheaper"])
            sure.append(_cheaper(p, f"the runner-up {runner_up}")
                        + (" (no clear winner between the two)" if p < 0.6 else ""))
    if sure:
        text += "; on the same draws it is " + " and ".join(sure)
    text += "."
    versus = baseline if baseline is not None and baseline != cheapest else runner_up
    why = _why_cheaper(categories, cheapest, versus)
    if why:
        text += " " + why[0]
        numbers["category_differences"] = why[1]
    return Finding("cheapest", text, numbers)


def _why_cheaper(categories: pd.DataFrame | None, strategy: str, other: str
                 ) -> tuple[str, dict[str, float]] | None:
    """Which spend categories make the difference between two strategies (means over the
    horizon): the largest saving and the largest offsetting cost."""
    if categories is None or categories.empty:
        return None
    a = categories[categories["strategy"] == strategy].set_index("category")["mean"]
    b = categories[categories["strategy"] == other].set_index("category")["mean"]
    diff = a.sub(b, fill_value=0.0)
    total = float(diff.sum())
    if not diff.size or total >= 0:
        return None
    every = {str(c): float(v) for c, v in diff.items()}
    diff = diff[diff.abs() >= 0.05 * abs(total)]  # categories that matter to the difference
    saving, cost = diff[diff < 0].sort_values(), diff[diff > 0].sort_values(ascending=False)
    if saving.empty:
        return None
    text = (f"Against {other}, the saving is in {_category(saving.index[0])} "
            f"({format_usd(float(saving.iloc[0]))} on average)")
    if len(saving) > 1:
        text += f" and {_category(saving.index[1])} ({format_usd(float(saving.iloc[1]))})"
    if not cost.empty:
        text += (f", partly offset by {_category(cost.index[0])} "
                 f"(+{format_usd(float(cost.iloc[0]))})")
    return text + ".", every


def _category(name: str) -> str:
    if name.startswith("accelerators_"):
        return f"chips from {name.removeprefix('accelerators_')}"
    return {"servers_networking": "servers and networking", "datacentre": "data centres",
            "lease_payments": "lease payments", "inhouse_program": "the in-house program"
            }.get(name, name.replace("_", " "))


def dependence_finding(dep: dict[str, float], supplier: str, cheapest: str | None,
                        baseline: str | None, reasons: Mapping[str, str], start: int | None,
                        end: int | None) -> Finding:
    span = f" {start}-{end}" if start is not None and end is not None else ""
    name = supplier.capitalize() if supplier.islower() else supplier
    lowest = min(dep, key=dep.get)
    # highest first; strategies with the same rounded share are named together
    groups: dict[str, list[str]] = {}
    for s in sorted(dep, key=dep.get, reverse=True):
        tags = [t for t, on in (("the cheapest", s == cheapest), ("the lowest", s == lowest))
                if on and len(dep) > 1]
        groups.setdefault(f"{dep[s]:.0%}", []).append(
            s + (f" ({' and '.join(tags)})" if tags else ""))
    text = (f"{name}'s share of chip spend{span}: "
            + "; ".join(f"{share} under {_join(names)}" for share, names in groups.items())
            + ".")
    numbers: dict[str, Any] = {"shares": dict(dep), "lowest": lowest}
    shown = [s for s in dep if s in reasons]
    if shown:
        text += " Why it stays there: " + "; ".join(f"{s}: {reasons[s]}" for s in shown) + "."
        numbers["reasons"] = {s: reasons[s] for s in shown}
    return Finding("dependence", text, numbers)


# -- funding -------------------------------------------------------------------------------------

def funding_finding(funding: pd.DataFrame, drivers: pd.DataFrame | None,
                     baseline: str | None, end: int | None) -> Finding:
    strategies = list(dict.fromkeys(funding["strategy"]))
    who = baseline if baseline in strategies else strategies[0]
    gap = _row(funding, metric="funding_gap", strategy=who)
    funded = _row(funding, metric="p_funded", strategy=who)
    medians = funding[funding["metric"] == "funding_gap"].set_index("strategy")["p50"]
    through = f" through {end}" if end is not None else ""
    numbers: dict[str, Any] = {"strategy": who, "gap_p50": float(gap["p50"]),
                               "gap_p5": float(gap["p5"]), "gap_p95": float(gap["p95"])}
    if float(gap["p95"]) <= 0:
        text = (f"Funding{through}: committed funding covers the cash need in every trial "
                f"under {who} (no gap to raise).")
    else:
        text = (f"Funding gap{through}: median {format_usd(float(gap['p50']))} under {who} "
                f"(the most to raise beyond committed funding; P5-P95 "
                f"{format_usd(float(gap['p5']))} to {format_usd(float(gap['p95']))})")
        if len(medians) > 1 and medians.min() != medians.max():
            text += (f", {format_usd(float(medians.min()))} to "
                     f"{format_usd(float(medians.max()))} across strategies")
            numbers["gap_p50_range"] = (float(medians.min()), float(medians.max()))
        if funded is not None:
            p = float(funded["mean"])
            numbers["p_funded"] = p
            text += ("; committed funding suffices in no trial" if p <= 0 else
                     f"; committed funding suffices in {format_probability(p)} of trials")
        text += "."
    if drivers is not None and not drivers.empty:
        d = drivers.dropna(subset=["spearman"])
        if not d.empty:
            top = d.loc[d["spearman"].abs().idxmax()]
            rho = float(top["spearman"])
            numbers.update(driver=str(top["input"]), driver_spearman=rho)
            text += (f" It moves most with {top['input']} (rank correlation {rho:+.2f}: "
                     f"a higher value means a {'larger' if rho > 0 else 'smaller'} gap).")
    return Finding("funding", text, numbers)


# -- drivers -------------------------------------------------------------------------------------

def drivers_finding(sensitivity: pd.DataFrame, baseline: str | None, metric: str
                     ) -> Finding | None:
    who = baseline if baseline in set(sensitivity["strategy"]) else sensitivity["strategy"].iloc[0]
    rows = sensitivity[sensitivity["strategy"] == who]
    rows = rows[rows["swing"] > 0].head(TOP_DRIVERS)
    if rows.empty:
        return None
    fmt = _formatter(metric)
    what = str(rows["metric"].iloc[0]).replace("_", " ")
    items = [f"{r['input']} ({fmt(float(r['at_low']))} to {fmt(float(r['at_high']))})"
             for _, r in rows.iterrows()]
    text = (f"What moves {what} most: " + _join(items) + f" ({who}; each input from its P10 "
            "to its P90, the others at their medians).")
    return Finding("drivers", text, {"strategy": who, "metric": str(rows["metric"].iloc[0]),
                                     "inputs": list(rows["input"]),
                                     "at_low": [float(x) for x in rows["at_low"]],
                                     "at_high": [float(x) for x in rows["at_high"]]})


def _formatter(metric: str):
    base = "dependence_share" if metric.endswith("_share") else metric
    if base in MONEY_METRICS:
        return format_usd
    if base in SHARE_METRICS:
        return lambda x: f"{x:.0%}" if round(100 * x, 6).is_integer() else f"{x:.1%}"
    if base == "installed_gw":
        return lambda x: f"{x:,.1f} GW"
    return lambda x: f"{x:,.3g}"


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
