"""Evaluate claims: the probability that a statement about a metric holds, per strategy.

The probability is the share of trials where the claim holds; its 95% interval is the Wilson
score interval and its Monte Carlo standard error ``sqrt(p (1 - p) / n)``. Both assume
independent trials (plain random design); Latin hypercube and Sobol designs are at least as
precise, so the interval is then conservative.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from simulator.results.container import Results
from simulator.results.metrics import claim_metric
from simulator.spec.claim_spec import ClaimSpec, parse_claim_text
from simulator.stats.mc_error import wilson_interval

#: Fewer trials than this on the rarer side of a claim make its interval unreliable.
MIN_TAIL_TRIALS = 10


def as_claim(claim: ClaimSpec | str | dict) -> ClaimSpec:
    """Accept a ClaimSpec, its text form or a mapping."""
    if isinstance(claim, ClaimSpec):
        return claim
    if isinstance(claim, str):
        return ClaimSpec.model_validate(parse_claim_text(claim))
    return ClaimSpec.model_validate(claim)


#: Trials in which a metric must take one and the same value before a claim about it is called
#: impossible (or certain) by construction rather than merely rare.
MIN_CONSTANT_TRIALS = 100


def _claim_warning(claim: ClaimSpec, values: np.ndarray, k: int, n: int) -> str:
    """Why a claim's probability needs a caveat ('' when it does not)."""
    if n == 0:
        return (f"{claim.metric} is undefined in every trial (e.g. a share of spend in a year "
                "without purchases): nothing to test")
    rare = min(k, n - k)
    if rare >= MIN_TAIL_TRIALS:
        return ""
    if values.size >= MIN_CONSTANT_TRIALS and values.min() == values.max() and rare == 0:
        value = float(values[0])
        shown = f"{value:.0%}" if claim.metric.endswith("_share") else f"{value:.6g}"
        what = "impossible" if k == 0 else "certain"
        return (f"{what} in this strategy: {claim.metric} is {shown} in every trial, so more "
                "trials cannot change the answer")
    return (f"only {rare} {'true' if k < n - k else 'false'} of {n:,}: tail estimate "
            "unreliable, run more trials")


def evaluate_claims(results: Results, claims: Iterable[ClaimSpec | str | dict] | None = None
                    ) -> pd.DataFrame:
    """Probability of each claim per strategy.

    Parameters
    ----------
    results : Results
    claims : iterable of ClaimSpec, str or dict, optional
        Default: the scenario's ``claims``.

    Returns
    -------
    DataFrame
        Columns ``claim, strategy, probability, ci_low, ci_high, mc_se, trials, trials_true,
        metric_p50, threshold, warning``; ``ci_*`` is the 95% Wilson interval, ``mc_se`` the
        Monte Carlo standard error, ``warning`` non-empty when fewer than
        ``MIN_TAIL_TRIALS`` trials fall on the rarer side: "impossible in this strategy" (or
        "certain") when the metric takes one value in every trial (e.g. Nvidia's share of a
        strategy that buys only from Nvidia), so that more trials cannot change the answer;
        "undefined in every trial" when there is no value to test; else "run more trials".
    """
    specs = [as_claim(c) for c in (results.scenario.claims if claims is None else claims)]
    counted = {c.label: c for c in results.scenario.claims}
    totals = results.totals
    rows = []
    for claim in specs:
        values = claim_metric(results, claim)
        # a claim of the scenario was counted over every trial during the run
        streamed = totals is not None and counted.get(claim.label) == claim
        for i, strategy in enumerate(results.strategies):
            v = values[i][~np.isnan(values[i])]
            if streamed:
                k, n = int(totals.claims[claim.label][0][i]), int(totals.claims[claim.label][1][i])
            else:
                n = v.size
                k = int(claim.holds(v).sum())
            p = k / n if n else np.nan
            lo, hi = wilson_interval(k, n) if n else (np.nan, np.nan)
            warning = _claim_warning(claim, v, k, n)
            rows.append({"claim": claim.label, "strategy": strategy, "probability": p,
                         "ci_low": float(lo), "ci_high": float(hi),
                         "mc_se": float(np.sqrt(p * (1 - p) / n)) if n else np.nan,
                         "trials": n, "trials_true": k,
                         "metric_p50": float(np.median(v)) if v.size else np.nan,
                         "threshold": claim.threshold, "warning": warning})
    return pd.DataFrame(rows)
