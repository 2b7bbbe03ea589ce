"""Everything a run reports beyond the raw results, computed once: claims, sensitivity and
what would have to be true. The CLI, the writers and notebooks share it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulator.analysis.claims import evaluate_claims
from simulator.analysis.discovery import (
    MAX_BOX_INPUTS,
    MIN_CASES,
    claim_box,
    claim_holds,
    conditional_inputs,
)
from simulator.analysis.sensitivity import sensitivity_table, sobol_analysis
from simulator.results.container import Results
from simulator.stats.prim import Box

#: Rank correlations and what-must-be-true tables use the first trials only (a uniform random
#: subsample), at least this many: their cost grows with trials (sorting, KS tests, PRIM's
#: peels) while these descriptive answers settle long before a million trials.
ANALYSIS_TRIALS = 100_000

#: ... but enough trials for this many on the rarer side of a claim (all kept trials at most),
#: so that a tail claim keeps every case a long run found.
RARE_CASES = 2_000

#: An unsourced input drives a headline result when it is among the first TOP_DRIVERS of its
#: tornado with a swing of at least DRIVER_SHARE of the largest one.
TOP_DRIVERS, DRIVER_SHARE = 3, 0.25

#: Extra cash at the start [USD] at which the funding view is re-read, and the change of
#: P(funded) [-] from which a zero-or-guessed opening cash counts as driving it.
CASH_STEPS, CASH_FLAG = (10e9, 50e9), 0.05


@dataclass(frozen=True)
class Analysis:
    """A run's results with its derived tables.

    Attributes
    ----------
    results : Results
    claims : DataFrame
        :func:`simulator.analysis.claims.evaluate_claims` of the scenario's claims.
    sensitivity : DataFrame
        Tornado swings, rank correlations and (when computed) Sobol indices of the
        sensitivity metric, per strategy and input.
    sensitivity_metric : tuple of (str, int or None)
        The metric and year the sensitivity refers to: the first claim's, else cumulative spend.
    sobol : DataFrame or None
        Sobol indices, when asked for.
    drivers : DataFrame
        For each claim, the baseline's inputs where it holds versus not, with the PRIM box.
    boxes : dict of str to Box
        PRIM box per claim (baseline strategy).
    batches : list of dict or None
        Batches of a run to a requested precision.
    assumption_flags : DataFrame
        Headline results resting on unsourced assumptions (:func:`assumption_flags`).
    cash_sensitivity : DataFrame
        The funding view with more cash at the start (:func:`cash_sensitivity`).
    """

    results: Results
    claims: pd.DataFrame
    sensitivity: pd.DataFrame
    sensitivity_metric: tuple[str, int | None]
    sobol: pd.DataFrame | None = None
    drivers: pd.DataFrame = field(default_factory=pd.DataFrame)
    boxes: dict[str, Box] = field(default_factory=dict)
    batches: list[dict] | None = None
    assumption_flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    cash_sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)


def is_unsourced(source: str | None) -> bool:
    """Whether an input's source is missing or marks it as an assumption (``assumption:``,
    ``stress assumption:``: the word before the first colon)."""
    return not source or "assumption" in source.strip().lower().split(":", 1)[0]


def cash_sensitivity(results: Results, extra: tuple[float, ...] = CASH_STEPS) -> pd.DataFrame:
    """The funding view with more cash at the start, exactly and without a re-run.

    Cash at the start adds to committed funding in every year, so the gap with ``c`` more is
    ``max(0, gap - c)`` and P(funded) is ``P(gap <= c)``.

    Parameters
    ----------
    results : Results
    extra : tuple of float
        Cash added at the start [USD].

    Returns
    -------
    DataFrame
        ``strategy, extra_cash [USD], gap_p50 [USD], p_funded [-]``, a row for 0 and each extra;
        empty without a funding view.
    """
    if results.scenario.revenue is None:
        return pd.DataFrame()
    gap, _ = results.funding_gap()
    rows = [{"strategy": s, "extra_cash": c, "gap_p50": float(np.median(np.maximum(gap[i] - c, 0))),
             "p_funded": float((gap[i] <= c).mean())}
            for i, s in enumerate(results.strategies) for c in (0.0, *extra)]
    return pd.DataFrame(rows)


def assumption_flags(results: Results, sensitivity: pd.DataFrame,
                     cash: pd.DataFrame) -> pd.DataFrame:
    """Headline results that rest on an unsourced assumption.

    Two tests: an unsourced uncertain input among the first :data:`TOP_DRIVERS` of the
    baseline's tornado with at least :data:`DRIVER_SHARE` of the largest swing; and an
    unsourced cash at the start when adding :data:`CASH_STEPS` moves the baseline's P(funded)
    by :data:`CASH_FLAG` or more (always listed, flagged only then).

    Returns
    -------
    DataFrame
        ``result, strategy, input, effect, flagged, source``: effect in words.
    """
    sc = results.scenario
    base = sc.baseline_strategy
    sources = {path: dist.source for path, dist in sc.uncertain_inputs()}
    rows = []
    top = sensitivity[sensitivity["strategy"] == base].head(TOP_DRIVERS)
    largest = float(top["swing"].abs().max()) if not top.empty else 0.0
    if largest > 0:  # every swing zero: nothing drives the result
        for _, r in top.iterrows():
            if is_unsourced(sources.get(r["input"])) and abs(r["swing"]) >= DRIVER_SHARE * largest:
                rows.append({"result": str(r["metric"]), "strategy": base, "input": r["input"],
                             "effect": f"tornado swing {abs(r['swing']) / largest:.0%} of the "
                                       "largest", "flagged": True,
                             "source": " ".join((sources[r["input"]] or "").split())})
    path = "funding.cash_at_start"
    if not cash.empty and is_unsourced(sources.get(path)):
        own = cash[cash["strategy"] == base].set_index("extra_cash")["p_funded"]
        moved = float(own.iloc[-1] - own.iloc[0])
        rows.append({"result": "p_funded", "strategy": base, "input": path,
                     "effect": f"P(funded) {own.iloc[0]:.1%} -> {own.iloc[-1]:.1%} with "
                               f"{own.index[-1] / 1e9:.0f}B more cash at the start",
                     "flagged": moved >= CASH_FLAG,
                     "source": " ".join((sources[path] or "").split())})
    return pd.DataFrame(rows, columns=["result", "strategy", "input", "effect", "flagged",
                                       "source"])


def analyse(results: Results, *, sobol_n: int | None = None,
            batches: list[dict] | None = None, workers: int | None = None,
            progress: bool = False) -> Analysis:
    """Compute claims, sensitivity (tornado, rank correlations, optional Sobol) and claim
    drivers for a run.

    Parameters
    ----------
    results : Results
    sobol_n : int, optional
        Base sample size of a Sobol analysis (a power of two); none by default.
    batches : list of dict, optional
        Passed through from :func:`simulator.analysis.convergence.simulate_to_precision`.
    workers : int, optional
        Local processes for the Sobol design (as for :func:`simulator.simulate`).
    progress : bool
        Progress bar for the Sobol design on stderr (only when it is a terminal).

    Returns
    -------
    Analysis
    """
    scenario = results.scenario
    first = scenario.claims[0] if scenario.claims else None
    metric = (first.metric, first.year) if first else ("cumulative_spend", None)
    sobol = None
    if sobol_n:
        sobol = sobol_analysis(scenario, n_base=sobol_n, metric=metric[0], year=metric[1],
                               seed=results.provenance["seed"], workers=workers,
                               progress=progress)
    sens = sensitivity_table(results.head(ANALYSIS_TRIALS), metric=metric[0], year=metric[1],
                             sobol=sobol)
    frames, boxes = [], {}
    for claim in scenario.claims:
        n_true = int(claim_holds(results, claim).sum())
        rare = min(n_true, results.n_trials - n_true)
        if rare < MIN_CASES:
            continue  # too few trials on one side to say what must be true
        sample = results.head(max(ANALYSIS_TRIALS, math.ceil(RARE_CASES * results.n_trials / rare)))
        table = conditional_inputs(sample, claim)
        if table.empty:
            continue
        box = claim_box(sample, claim, inputs=list(table["input"][:MAX_BOX_INPUTS]))
        boxes[claim.label] = box
        table.insert(0, "claim", claim.label)
        table.insert(1, "strategy", scenario.baseline_strategy)
        # float columns, NaN where the box leaves an input free: an all-None object column
        # would take part in the dtype of the concatenation below differently across pandas
        # versions (pandas 2.1 warns about it)
        sides = [box.limits.get(p, (np.nan, np.nan)) for p in table["input"]]
        table["box_low"] = np.array([lo for lo, _ in sides], dtype=float)
        table["box_high"] = np.array([hi for _, hi in sides], dtype=float)
        frames.append(table)
    drivers = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    cash = cash_sensitivity(results)
    return Analysis(results=results, claims=evaluate_claims(results), sensitivity=sens,
                    sensitivity_metric=metric, sobol=sobol, drivers=drivers, boxes=boxes,
                    batches=batches, assumption_flags=assumption_flags(results, sens, cash),
                    cash_sensitivity=cash)
