"""The answer first: a short plain-language verdict built from a run's results.

A verdict is a handful of findings, each one or two sentences: every claim's answer with its
probability and the scope it is read against, which strategy is cheapest and how sure that is
(paired, on the same draws), what it does to the dependence on the dependence supplier (e.g.
Nvidia), the funding gap and the input it moves with most, and the inputs that move the answer
most. Every number comes from the run's tables; the wording comes from the templates below, so
the same verdict reads the same in the terminal, in ``report.html`` and anywhere else that shows
:attr:`Verdict.findings` (each finding also carries the numbers it quotes).

* :func:`build_verdict` takes an :class:`~simulator.analysis.overview.Analysis`.
* :func:`compose_verdict` takes the tables themselves (as the run writes them to CSV), so that
  hand-made or stored tables give a verdict too.

Both are pure: they read their arguments and return a new :class:`Verdict`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulator.analysis.overview import Analysis
from simulator.analysis.sensitivity import rank_correlations
from simulator.report.verdict_findings import (
    DRIVER_TRIALS,
    Finding,
    cheapest_finding,
    claim_finding,
    dependence_finding,
    drivers_finding,
    funding_finding,
    strategy_means,
    subject_of,
)
from simulator.results import breakdown
from simulator.results.metrics import claim_metric


@dataclass(frozen=True)
class Verdict:
    """A run's answer in a few sentences.

    Attributes
    ----------
    scope : str
        What the scenario models (its ``scope``), which every claim is read against.
    findings : tuple of Finding
        In reading order: claims, cheapest strategy, dependence, funding, drivers.
    subject : str
        The scope's opening words when they name a subject ("one company's own AI
        infrastructure"), else empty.
    """

    scope: str
    findings: tuple[Finding, ...]
    subject: str = ""

    @property
    def heading(self) -> str:
        """``Verdict`` with the subject it speaks of."""
        return f"Verdict for {self.subject}" if self.subject else "Verdict"

    def by_topic(self, topic: str) -> list[Finding]:
        """The findings about one topic, in order."""
        return [f for f in self.findings if f.topic == topic]

    def lines(self, width: int = 100, *, bullet: str = "  - ") -> list[str]:
        """The findings as wrapped bullet lines for a terminal."""
        out = []
        for f in self.findings:
            out += textwrap.wrap(f.text, width=width, initial_indent=bullet,
                                 subsequent_indent=" " * len(bullet), break_on_hyphens=False)
        return out

    def to_text(self, width: int = 100) -> str:
        """Heading and bullet lines, as printed at the top of a run's terminal output."""
        return "\n".join([self.heading, *self.lines(width)])

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON): scope and findings with their numbers."""
        return {"scope": self.scope, "subject": self.subject,
                "findings": [{"topic": f.topic, "text": f.text, "numbers": dict(f.numbers)}
                             for f in self.findings]}


# -- from an analysis ----------------------------------------------------------------------------

def build_verdict(analysis: Analysis) -> Verdict:
    """The verdict of a run.

    Parameters
    ----------
    analysis : Analysis
        From :func:`simulator.analysis.overview.analyse`.

    Returns
    -------
    Verdict
        Built by :func:`compose_verdict` from the run's claims, summary, paired comparisons,
        spend by category, funding table, tornado and the rank correlations of the inputs with
        the baseline's funding gap.
    """
    results = analysis.results
    sc = results.scenario
    n_s = len(results.strategies)
    claims = analysis.claims.copy()
    if not claims.empty and len(claims) == len(sc.claims) * n_s:  # claims, then strategies
        claims["metric"] = [c.metric for c in sc.claims for _ in results.strategies]
        low, high = np.full(len(claims), np.nan), np.full(len(claims), np.nan)
        for k, claim in enumerate(sc.claims):
            rows = claims.iloc[k * n_s:(k + 1) * n_s]
            settled = ((rows["trials_true"] == 0) | (rows["trials_true"] == rows["trials"]))
            if not settled.any():
                continue  # only a claim settled in every trial can be settled by construction
            values = claim_metric(results, claim)
            for i in np.flatnonzero(settled.to_numpy()):
                v = values[i][~np.isnan(values[i])]
                if v.size:
                    low[k * n_s + i], high[k * n_s + i] = v.min(), v.max()
        claims["metric_min"], claims["metric_max"] = low, high
    summary = results.summary()
    comparisons = None
    if n_s > 1:
        comparisons = results.comparison()
        means = strategy_means(summary, "cumulative_spend")
        ranked = sorted(means, key=means.get)
        if len(ranked) > 1:  # the cheapest against the runner-up, on the same (kept) draws
            cum = results.cumulative()
            c, r = (results.strategies.index(x) for x in ranked[:2])
            comparisons = pd.concat([comparisons, pd.DataFrame([{
                "strategy": ranked[0], "baseline": ranked[1], "metric": "cumulative_spend",
                "diff_mean": float(np.mean(cum[c] - cum[r])),
                "p_cheaper": float(np.mean(cum[c] < cum[r]))}])], ignore_index=True)
    categories = None   # a run without streamed histograms (the explorer's) has none
    if results.category_spend is not None:
        spend = results.category_spend.mean().sum(axis=2)  # (S, C) [USD]
        categories = pd.DataFrame([{"strategy": s, "category": c, "mean": float(spend[i, j])}
                                   for i, s in enumerate(results.strategies)
                                   for j, c in enumerate(results.categories)])
    funding = funding_drivers = None
    if sc.revenue is not None:
        funding = results.funding_table()
        corr = rank_correlations(results.head(DRIVER_TRIALS), metric="funding_gap")
        funding_drivers = corr[corr["strategy"] == sc.baseline_strategy]
    metric, _ = analysis.sensitivity_metric
    return compose_verdict(
        scope=sc.scope, start=int(results.years[0]), end=int(results.years[-1]),
        baseline=sc.baseline_strategy, dependence_supplier=sc.dependence_supplier,
        claims=claims, claim_notes={c.label: c.note or "" for c in sc.claims},
        summary=summary, comparisons=comparisons, category_spend=categories,
        funding=funding, funding_drivers=funding_drivers, sensitivity=analysis.sensitivity,
        sensitivity_metric=metric, dependence_reasons=dependence_reasons(analysis))


#: Why units go to the dependence supplier beyond a strategy's plan, in words (reasons as in
#: ``simulator.results.breakdown.dependence_reasons``: planned, cap, delay, failure).
REASON_WORDS = {"cap": "the capacity caps of its other suppliers",
                "delay": "a late volume start of its in-house chip",
                "failure": "failed or cancelled in-house generations"}


def dependence_reasons(analysis: Analysis) -> dict[str, str] | None:
    """Why each strategy's dependence stays where it does (its binding constraint), in words;
    None when nothing binds (:func:`simulator.results.breakdown.dependence_reasons`)."""
    table = breakdown.dependence_reasons(analysis.results)
    return reasons_in_words(table, analysis.results.scenario.dependence_supplier) or None


def reasons_in_words(table: pd.DataFrame, supplier: str) -> dict[str, str]:
    """Per strategy whose dependence is held up beyond its plan, why, in words.

    Parameters
    ----------
    table : DataFrame
        ``strategy, reason, share, binding``: the dependence supplier's units by reason
        (``planned``, ``cap``, ``delay``, ``failure``) as shares of its units, the binding one
        marked.
    supplier : str
        The dependence supplier (e.g. ``nvidia``).

    Returns
    -------
    dict of str to str
        E.g. ``{"inhouse_first": "61% of its nvidia units are the fallback for the capacity
        caps of its other suppliers (29% were planned)"}``; strategies with nothing binding
        are left out.
    """
    out = {}
    for strategy, rows in table.groupby("strategy", sort=False):
        binding = rows[rows["binding"].astype(bool)]
        if binding.empty:
            continue
        reason = str(binding["reason"].iloc[0])
        share = float(binding["share"].iloc[0])
        planned = rows.loc[rows["reason"] == "planned", "share"]
        text = (f"{share:.0%} of its {supplier} units are the fallback for "
                f"{REASON_WORDS.get(reason, reason)}")
        if len(planned):
            text += f" ({float(planned.iloc[0]):.0%} were planned)"
        out[str(strategy)] = text
    return out


# -- from tables ---------------------------------------------------------------------------------

def compose_verdict(*, scope: str, start: int | None = None, end: int | None = None,
                    baseline: str | None = None, dependence_supplier: str = "nvidia",
                    claims: pd.DataFrame | None = None,
                    claim_notes: Mapping[str, str] | None = None,
                    summary: pd.DataFrame | None = None,
                    comparisons: pd.DataFrame | None = None,
                    category_spend: pd.DataFrame | None = None,
                    funding: pd.DataFrame | None = None,
                    funding_drivers: pd.DataFrame | None = None,
                    sensitivity: pd.DataFrame | None = None,
                    sensitivity_metric: str = "cumulative_spend",
                    dependence_reasons: Mapping[str, str] | None = None) -> Verdict:
    """A verdict from a run's tables; each part is left out when its table is missing.

    Parameters
    ----------
    scope : str
        The scenario's scope.
    start, end : int, optional
        First and last year of the horizon.
    baseline : str, optional
        The strategy the others are compared with.
    dependence_supplier : str
        Supplier whose share of accelerator spend is the dependence metric.
    claims : DataFrame, optional
        :func:`simulator.analysis.claims.evaluate_claims` rows (``claim, strategy, probability,
        ci_low, ci_high, trials, trials_true``), optionally with ``metric`` (as in claims)
        and ``metric_min``, ``metric_max``, the metric's range over the trials (a claim that never or always
        holds over a constant metric is said to hold or fail by construction).
    claim_notes : mapping of str to str, optional
        Each claim's note; a sentence of it naming another scenario file is quoted.
    summary : DataFrame, optional
        :meth:`Results.summary` (``strategy, metric, mean, p5, p50, p95``).
    comparisons : DataFrame, optional
        :meth:`Results.comparison` rows against one or more baselines (``strategy, baseline,
        metric, diff_mean, diff_p50, p_cheaper``).
    category_spend : DataFrame, optional
        ``strategy, category, mean``: mean spend per category over the horizon [USD].
    funding : DataFrame, optional
        :meth:`Results.funding_table`.
    funding_drivers : DataFrame, optional
        ``input, spearman``: rank correlation of each input with the baseline's funding gap.
    sensitivity : DataFrame, optional
        Tornado rows (``strategy, metric, input, at_low, at_high, swing``), largest swing
        first within a strategy.
    sensitivity_metric : str
        The tornado's metric as in claims (for its unit).
    dependence_reasons : mapping of str to str, optional
        Per strategy, why its dependence stays where it does.

    Returns
    -------
    Verdict
    """
    findings: list[Finding] = []
    scope = " ".join(str(scope or "").split())
    if claims is not None and not claims.empty:
        for label, rows in claims.groupby("claim", sort=False):
            findings.append(claim_finding(str(label), rows,
                                           (claim_notes or {}).get(str(label), "")))
    means = strategy_means(summary, "cumulative_spend") if summary is not None else {}
    cheapest = min(means, key=means.get) if len(means) > 1 else None
    if cheapest is not None:
        findings.append(cheapest_finding(cheapest, means, summary, comparisons, category_spend,
                                          baseline, start, end))
    dep = strategy_means(summary, f"{dependence_supplier}_share") if summary is not None else {}
    if dep:
        findings.append(dependence_finding(dep, dependence_supplier, cheapest, baseline,
                                            dependence_reasons or {}, start, end))
    if funding is not None and not funding.empty:
        findings.append(funding_finding(funding, funding_drivers, baseline, end))
    if sensitivity is not None and not sensitivity.empty:
        drivers = drivers_finding(sensitivity, baseline, sensitivity_metric)
        if drivers is not None:
            findings.append(drivers)
    return Verdict(scope=scope, findings=tuple(findings), subject=subject_of(scope))
