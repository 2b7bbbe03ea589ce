"""Everything a run reports beyond the raw results, computed once: claims, sensitivity and
what would have to be true. The CLI, the writers and notebooks share it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from simulator.analyse.claims import evaluate_claims
from simulator.analyse.discovery import (
    MAX_BOX_INPUTS,
    MIN_CASES,
    claim_box,
    claim_holds,
    conditional_inputs,
)
from simulator.analyse.sensitivity import sensitivity_table, sobol_analysis
from simulator.results.container import Results
from simulator.stats.prim import Box

#: Rank correlations and what-must-be-true tables use the first trials only (a uniform random
#: subsample), at least this many: their cost grows with trials (sorting, KS tests, PRIM's
#: peels) while these descriptive answers settle long before a million trials.
ANALYSIS_TRIALS = 100_000

#: ... but enough trials for this many on the rarer side of a claim (all kept trials at most),
#: so that a tail claim keeps every case a long run found.
RARE_CASES = 2_000


@dataclass(frozen=True)
class Analysis:
    """A run's results with its derived tables.

    Attributes
    ----------
    results : Results
    claims : DataFrame
        :func:`simulator.analyse.claims.evaluate_claims` of the scenario's claims.
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
    """

    results: Results
    claims: pd.DataFrame
    sensitivity: pd.DataFrame
    sensitivity_metric: tuple[str, int | None]
    sobol: pd.DataFrame | None = None
    drivers: pd.DataFrame = field(default_factory=pd.DataFrame)
    boxes: dict[str, Box] = field(default_factory=dict)
    batches: list[dict] | None = None


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
        Passed through from :func:`simulator.analyse.convergence.simulate_to_precision`.
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
        table["box_low"] = table["input"].map(lambda p, b=box: b.limits.get(p, (None, None))[0])
        table["box_high"] = table["input"].map(lambda p, b=box: b.limits.get(p, (None, None))[1])
        frames.append(table)
    drivers = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Analysis(results=results, claims=evaluate_claims(results), sensitivity=sens,
                    sensitivity_metric=metric, sobol=sobol, drivers=drivers, boxes=boxes,
                    batches=batches)
