"""What would have to be true for a claim to hold.

* :func:`conditional_inputs`: each input's distribution among the trials where the claim holds
  against those where it does not (medians, P10-P90, and the Kolmogorov-Smirnov distance that
  ranks how much the input separates them).
* :func:`claim_box`: the box of input ranges in which the claim is likely, found by PRIM
  peeling (:mod:`simulator.stats.prim`) on the Monte Carlo sample.
* :func:`goal_seek`: the value of one input at which the claim's probability reaches a target,
  by bisection over simulations on common random numbers (so the probability is a smooth,
  monotone function of the value whenever the model is monotone in it).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.analysis.claims import as_claim
from simulator.io.overrides import override
from simulator.results.container import Results
from simulator.results.metrics import claim_metric
from simulator.run.engine import simulate
from simulator.spec.claim_spec import ClaimSpec
from simulator.spec.quantities import format_number
from simulator.spec.range_checks import UnusualValueWarning
from simulator.spec.scenario import Scenario
from simulator.stats.mc_error import median_of_sorted, percentile_of_sorted
from simulator.stats.prim import Box, prim_box

#: Inputs a claim box may restrict by default, and trials needed on each side of the claim.
MAX_BOX_INPUTS, MIN_CASES = 8, 50


def claim_holds(results: Results, claim: ClaimSpec | str, strategy: str | None = None
                ) -> np.ndarray:
    """Whether the claim holds in each trial for one strategy (default: the baseline).

    Returns
    -------
    ndarray, shape (n,), bool
    """
    claim = as_claim(claim)
    strategy = strategy or results.scenario.baseline_strategy
    values = claim_metric(results, claim)[results.strategies.index(strategy)]
    return claim.holds(values)


def ks_distance(a: np.ndarray, b: np.ndarray, *, presorted: bool = False) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest distance between the samples'
    empirical CDFs (0 = same distribution, 1 = fully separated).

    The same number as ``scipy.stats.ks_2samp(a, b).statistic`` (which, for samples of at
    most 10,000, rounds it to a multiple of ``1 / lcm(n_a, n_b)``), without its p-value: an
    exact p-value costs more than the statistic, and importing ``scipy.stats`` costs half a
    second.

    Parameters
    ----------
    a, b : ndarray, shape (n_a,), (n_b,)
        Non-empty samples.
    presorted : bool
        Both are sorted already.

    Returns
    -------
    float
    """
    if not presorted:
        a, b = np.sort(a), np.sort(b)
    n_a, n_b = a.size, b.size
    # the distance at every point of either sample (the same numbers as looking every point
    # up in both samples), counted in one pass over each sorted sample
    diffs = [_at_or_below(a, points, same=points is a) / n_a
             - _at_or_below(b, points, same=points is b) / n_b for points in (a, b)]
    d = float(max(np.clip(-min(x.min() for x in diffs), 0, 1), max(x.max() for x in diffs)))
    if max(n_a, n_b) <= 10_000:
        lcm = (n_a // math.gcd(n_a, n_b)) * n_b
        d = int(np.round(d * lcm)) * 1.0 / lcm
    return d


def _at_or_below(ordered: np.ndarray, points: np.ndarray, *, same: bool) -> np.ndarray:
    """``numpy.searchsorted(ordered, points, side="right")`` for sorted ``points``: how many
    sorted values are at or below each point. For the sample itself, each value's count is
    the end of its run of ties; against a longer sample of points, the short sample is looked
    up in the points instead. NaN (sorted last) go to ``searchsorted`` itself."""
    if ordered.size == 0 or np.isnan(ordered[-1]) or np.isnan(points[-1]):
        return np.searchsorted(ordered, points, side="right")
    if same:
        ends = np.flatnonzero(np.r_[ordered[1:] != ordered[:-1], True]) + 1
        return np.repeat(ends, np.diff(ends, prepend=0))
    if ordered.size >= points.size:
        return np.searchsorted(ordered, points, side="right")
    # value k is at or below point i from the first point not below it on
    first = np.searchsorted(points, ordered, side="left")
    return np.cumsum(np.bincount(first, minlength=points.size + 1))[:points.size]


def conditional_inputs(results: Results, claim: ClaimSpec | str, *,
                       strategy: str | None = None) -> pd.DataFrame:
    """Inputs where the claim holds versus where it does not.

    Returns
    -------
    DataFrame
        One row per uncertain input, sorted by ``ks`` (largest first): ``input,
        median_if_true, median_if_false, p10_if_true, p90_if_true, p10_if_false,
        p90_if_false, ks`` (two-sample Kolmogorov-Smirnov statistic, 0 = same distribution,
        1 = fully separated). Empty when the claim never or always holds.
    """
    claim = as_claim(claim)
    holds = claim_holds(results, claim, strategy)
    rows = []
    if holds.any() and not holds.all():
        for path, x in results.inputs.items():
            # sorted once: the percentiles and the KS distance then cost little more than
            # reading them off
            t, f = np.sort(x[holds]), np.sort(x[~holds])
            # a scalar percentile keeps a float32 input's arithmetic in float32, as NumPy's
            t10, t90 = percentile_of_sorted(t, 10), percentile_of_sorted(t, 90)
            f10, f90 = percentile_of_sorted(f, 10), percentile_of_sorted(f, 90)
            rows.append({"input": path, "median_if_true": float(median_of_sorted(t)),
                         "median_if_false": float(median_of_sorted(f)),
                         "p10_if_true": float(t10), "p90_if_true": float(t90),
                         "p10_if_false": float(f10), "p90_if_false": float(f90),
                         "ks": ks_distance(t, f, presorted=True)})
    table = pd.DataFrame(rows)
    return table.sort_values("ks", ascending=False, ignore_index=True) if rows else table


def claim_box(results: Results, claim: ClaimSpec | str, *, strategy: str | None = None,
              inputs: list[str] | None = None, min_support: float = 0.05,
              threshold: float | None = 0.75) -> Box:
    """PRIM box of input ranges in which the claim is likely.

    Parameters
    ----------
    results : Results
    claim : ClaimSpec or str
    strategy : str, optional
        Default: the baseline.
    inputs : list of str, optional
        Inputs the box may restrict; default: the ``MAX_BOX_INPUTS`` that separate the claim's
        trials most (largest Kolmogorov-Smirnov distance, :func:`conditional_inputs`), which
        keeps peeling from chasing noise in inputs that do not matter.
    min_support : float
        Smallest share of trials the box may keep.
    threshold : float or None
        Density (probability of the claim inside the box) to aim for: the box kept is the one
        with the highest coverage whose density reaches it (default 0.75, "likely"); None
        peels as far as density keeps rising.

    Returns
    -------
    Box
        Limits per restricted input, coverage, density, support and the peeling trajectory.
    """
    claim = as_claim(claim)
    holds = claim_holds(results, claim, strategy)
    if min(holds.sum(), (~holds).sum()) < MIN_CASES:
        raise ValueError(f"only {min(holds.sum(), (~holds).sum())} trials on one side of the "
                         f"claim; a box needs at least {MIN_CASES}")
    if inputs is None:
        inputs = list(conditional_inputs(results, claim, strategy=strategy)["input"]
                      [:MAX_BOX_INPUTS])
    x = np.column_stack([results.inputs[p] for p in inputs]).astype(np.float64)
    # an input beyond the stored precision (float32, above 3.4e38) reads as infinite; it cannot
    # bound a box, and peeling needs finite quantiles
    finite = np.isfinite(x).all(axis=0)
    if not finite.all() and finite.any():
        x, inputs = x[:, finite], [p for p, ok in zip(inputs, finite, strict=True) if ok]
    return prim_box(x, holds, names=inputs, min_support=min_support, threshold=threshold)


@dataclass(frozen=True)
class GoalSeek:
    """Result of :func:`goal_seek`.

    Attributes
    ----------
    input : str
        Key path of the input that was varied.
    value : float
        Middle of the final bracket, where the probability crosses the target [input's unit].
    probability : float
        The probability at ``value``.
    target : float
    bracket : tuple of float
        The value range searched.
    evaluations : list of (float, float)
        (value, probability) pairs tried, in order.
    """

    input: str
    value: float
    probability: float
    target: float
    bracket: tuple[float, float]
    evaluations: list[tuple[float, float]]


def goal_seek(scenario: Scenario, claim: ClaimSpec | str, input_path: str, *,
              target: float = 0.5, strategy: str | None = None,
              bracket: tuple[float, float] | None = None, trials: int = 4000,
              seed: int | None = None, tolerance: float = 1e-3, max_iter: int = 40) -> GoalSeek:
    """Find the value of one input at which the claim's probability reaches ``target``.

    The input is fixed at each trial value (the others keep their distributions) and the
    scenario simulated on the same seed; bisection assumes the probability moves monotonically
    with the input over the bracket.

    Parameters
    ----------
    scenario : Scenario
    claim : ClaimSpec or str
    input_path : str
        Key path of a numeric input, e.g. ``"demand.growth.initial"`` (set to a fixed value),
        or of a distribution's parameter, e.g. ``"demand.growth.initial.high"`` (then give a
        ``bracket``). Validated like any override.
    target : float
        Probability to reach, in (0, 1).
    strategy : str, optional
        Default: the baseline.
    bracket : (float, float), optional
        Values to search between; default the input's P1 and P99.
    trials, seed : int
        Simulation size and seed of every evaluation.
    tolerance : float
        Stop when the bracket is narrower than this fraction of its initial width.
    max_iter : int

    Returns
    -------
    GoalSeek

    Raises
    ------
    ValueError
        If the target is not between the probabilities at the ends of the bracket, or no
        bracket is given for a path that is not a numeric input.
    ScenarioError
        If the key path or a value is invalid.
    """
    claim = as_claim(claim)
    dists = dict(scenario.uncertain_inputs())
    if bracket is None:
        if input_path not in dists:
            raise ValueError(f"{input_path!r} is not a numeric input, so give a bracket; "
                             f"inputs are {list(dists)}")
        bracket = (dists[input_path].quantile(0.01), dists[input_path].quantile(0.99))
    strategy = strategy or scenario.baseline_strategy
    evaluations: list[tuple[float, float]] = []

    def probability(value: float) -> float:
        with warnings.catch_warnings():
            # the search may try values beyond the input's usual range: they are not slips
            warnings.simplefilter("ignore", UnusualValueWarning)
            variant = override(scenario, {input_path: value})
        results = simulate(variant, trials=trials, seed=seed)
        p = float(np.mean(claim_holds(results, claim, strategy)))
        evaluations.append((value, p))
        return p

    lo, hi = bracket
    p_lo, p_hi = probability(lo), probability(hi)
    if not min(p_lo, p_hi) <= target <= max(p_lo, p_hi):
        raise ValueError(f"the claim's probability is {p_lo:.3f} at {lo:.4g} and {p_hi:.3f} at "
                         f"{hi:.4g}: the target {target} is not between them; widen the bracket")
    rising = p_hi >= p_lo
    width = hi - lo
    for _ in range(max_iter):
        if hi - lo <= tolerance * width:
            break
        mid = 0.5 * (lo + hi)
        if (probability(mid) < target) == rising:
            lo = mid
        else:
            hi = mid
    value = 0.5 * (lo + hi)
    return GoalSeek(input=input_path, value=value, probability=probability(value),
                    target=target, bracket=bracket, evaluations=evaluations)


def describe_box(box: Box, results: Results, *, digits: int = 4) -> list[str]:
    """The box's restrictions in words: ``"demand.growth.initial >= 1.14"``, one per input;
    a side left at the sample's minimum or maximum is not a restriction and is omitted."""
    out = []
    for path, (lo, hi) in box.limits.items():
        x = results.inputs[path]
        low_cut, high_cut = lo > x.min(), hi < x.max()
        if low_cut and high_cut:
            out.append(f"{path} in [{format_number(lo, digits)}, {format_number(hi, digits)}]")
        elif low_cut:
            out.append(f"{path} >= {format_number(lo, digits)}")
        elif high_cut:
            out.append(f"{path} <= {format_number(hi, digits)}")
    return out
