"""PRIM bump hunting: the box of input ranges where an outcome of interest is most likely.

Scenario discovery asks "under which combinations of inputs does strategy X lose?". Given the
sampled inputs of every trial and a yes/no outcome per trial, the Patient Rule Induction Method
(Friedman & Fisher 1999) starts from the box holding all trials and repeatedly peels a thin
slice (a share ``peel_alpha`` of the remaining trials) off the bottom or top of one input, always
the slice whose removal leaves the highest share of trials of interest. The peeling trajectory
trades coverage (how many of the cases of interest the box catches) against density (how pure
the box is).

Reference
---------
Friedman, J. H. & Fisher, N. I. (1999). Bump hunting in high-dimensional data.
Statistics and Computing 9, 123-143.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulator.stats.mc_error import interpolate, linear_positions


@dataclass(frozen=True)
class Box:
    """A box of input ranges found by :func:`prim_box`.

    Attributes
    ----------
    limits : dict of str to (float, float)
        For each restricted input only, the inclusive range ``(low, high)`` in the input's own
        units. Both ends are values of sampled points; a side that was never peeled is at the
        sample minimum or maximum (so it excludes no point). A point is in the box when every
        restricted input lies within its range.
    coverage : float
        Share of all cases of interest that lie in the box, in [0, 1].
    density : float
        Share of the points in the box that are cases of interest, in [0, 1].
    support : float
        Share of all points that lie in the box, in [0, 1].
    trajectory : pandas.DataFrame
        The whole peeling path, one row per box from the full box (step 0) to the last:
        columns ``step``, ``coverage``, ``density``, ``support``, ``n_restricted`` (number of
        restricted inputs).
    """

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    support: float
    trajectory: pd.DataFrame = field(repr=False)


def prim_box(
    x: np.ndarray,
    y: np.ndarray,
    *,
    names: list[str],
    peel_alpha: float = 0.05,
    min_support: float = 0.05,
    threshold: float | None = None,
) -> Box:
    """Find the box of input ranges where ``y`` is most often true, by top-down peeling.

    At each step, for each input, two peels are tried on the points still in the box: removing
    those below the ``peel_alpha`` quantile of the input, or those above the ``1 - peel_alpha``
    quantile. When ties at the quantile mean that a strict cut removes nothing (discrete
    inputs), the whole tied block at that end is peeled instead. The peel that leaves the
    highest density is taken. Peeling stops when every peel would leave a support below
    ``min_support`` or none increases the density. There is no pasting phase.

    Parameters
    ----------
    x : array_like, shape (n, d)
        Sampled inputs, one row per trial, one column per input, in the inputs' own units.
    y : array_like of bool, shape (n,)
        Whether each trial is a case of interest; needs at least one true value. Integer
        arrays of 0 and 1 are accepted.
    names : list of str, length d
        Name of each input (column of ``x``), used as the keys of :attr:`Box.limits`.
    peel_alpha : float
        Share of the points in the box removed by one peel, in (0, 0.5).
    min_support : float
        Smallest share of all points the box may keep, in (0, 1].
    threshold : float or None
        If given, return the box on the trajectory with the highest coverage whose density is
        at least ``threshold`` (ties in coverage go to the higher density), or the last box if
        none reaches it. If None, return the last box of the peeling.

    Returns
    -------
    Box

    Raises
    ------
    ValueError
        If shapes do not match, ``x`` has non-finite values, ``y`` is not boolean or has no
        true value, or a parameter is out of range.
    """
    x, y = _checked(x, y, names, peel_alpha, min_support, threshold)
    n_interest = int(y.sum())
    removed_at, history = _peel(x, y, peel_alpha, min_support * len(y))
    rows = [_stats(y, removed_at > step, n_interest) for step in range(len(history))]
    trajectory = pd.DataFrame(
        {
            "step": np.arange(len(rows)),
            "coverage": [r[0] for r in rows],
            "density": [r[1] for r in rows],
            "support": [r[2] for r in rows],
            "n_restricted": [int(sides.any(axis=1).sum()) for sides in history],
        }
    )
    chosen = _chosen_step(trajectory, threshold)
    coverage, density, support = rows[chosen]
    return Box(
        limits=_limits(x, removed_at > chosen, history[chosen], names),
        coverage=coverage,
        density=density,
        support=support,
        trajectory=trajectory,
    )


def _checked(x, y, names, peel_alpha, min_support, threshold) -> tuple[np.ndarray, np.ndarray]:
    """:func:`prim_box`'s arguments checked: x as float (n, d), y as bool (n,)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x must be a non-empty 2-D array (n, d), got shape {x.shape}")
    n, d = x.shape
    if not np.all(np.isfinite(x)):
        raise ValueError("x has non-finite values")
    y = _as_bool(y, n)
    if len(names) != d:
        raise ValueError(f"names has {len(names)} entries but x has {d} columns")
    if len(set(names)) != d:
        raise ValueError("names must be distinct")
    if not 0.0 < peel_alpha < 0.5:
        raise ValueError(f"peel_alpha must be in (0, 0.5), got {peel_alpha}")
    if not 0.0 < min_support <= 1.0:
        raise ValueError(f"min_support must be in (0, 1], got {min_support}")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1] or None, got {threshold}")
    if not y.any():
        raise ValueError("y has no true value: there are no cases of interest to find a box for")
    return x, y


def _peel(x: np.ndarray, y: np.ndarray, peel_alpha: float, min_count: float
          ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Peel until no peel raises the density; returns the step at which each point left the
    box, shape (n,), and per step which sides of each input were peeled, each (d, 2).

    Each input's points in the box are kept as their rows in sorted order (sorted once, then
    only thinned): a peel then keeps one end of that order, its quantiles and cut points are
    read off the few values they need (two quantiles, four bisections) and its counts are
    taken over the slice it would remove, so a step costs one pass over the box per input
    instead of a partial sort and several full-length masks (the same peels, bit for bit:
    see :func:`_peels`)."""
    n, d = x.shape
    inside = np.ones(n, dtype=bool)
    # Step at which each point left the box, so any box on the path is `removed_at > step`
    # without storing one mask per step.
    removed_at = np.full(n, np.iinfo(np.int64).max)
    # Which sides of each input have been peeled, per step: column 0 bottom, column 1 top.
    peeled = np.zeros((d, 2), dtype=bool)
    history = [peeled.copy()]
    density = y.sum() / n
    values = np.ascontiguousarray(x.T)  # (d, n): each input's values contiguous
    # rows of each input in sorted order (ties in any order: a peel keeps or drops a whole
    # run of ties)
    columns = list(np.argsort(values, axis=-1).astype(np.int32 if n < 2**31 else np.intp))
    hits = int(y.sum())
    while True:
        m = columns[0].size
        best = None
        for j, rows in enumerate(columns):
            for side, (start, stop) in enumerate(_peels(values[j], rows, peel_alpha)):
                count = stop - start
                if count < min_count or count == m:
                    continue
                # hits kept = all hits less those in the slice peeled off
                gone = rows[:start] if side == 0 else rows[stop:]
                candidate = (hits - np.count_nonzero(y[gone])) / count
                if best is None or candidate > best[0]:
                    best = (candidate, j, side, start, stop)
        if best is None or best[0] <= density:
            return removed_at, history
        density, j, side, start, stop = best
        rows = columns[j]
        gone = rows[:start] if side == 0 else rows[stop:]
        hits -= int(np.count_nonzero(y[gone]))
        inside[gone] = False
        removed_at[gone] = len(history)
        peeled[j, side] = True
        history.append(peeled.copy())
        # the input just peeled keeps a slice of its order; the others drop the rows gone
        columns = [rows[start:stop] if k == j else rows[inside[rows]]
                   for k, rows in enumerate(columns)]


def _chosen_step(trajectory: pd.DataFrame, threshold: float | None) -> int:
    """The last step, or with a threshold the step of highest coverage whose density reaches
    it (ties in coverage to the higher density)."""
    chosen = len(trajectory) - 1
    if threshold is not None:
        ok = np.flatnonzero(trajectory["density"].to_numpy() >= threshold)
        if ok.size:
            path_coverage = trajectory["coverage"].to_numpy()
            path_density = trajectory["density"].to_numpy()
            order = np.lexsort((-path_density[ok], -path_coverage[ok]))
            chosen = int(ok[order[0]])
    return chosen


def _as_bool(y: np.ndarray, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},) to match x, got {y.shape}")
    if y.dtype != bool:
        if not np.isin(y, (0, 1)).all():
            raise ValueError("y must be boolean (or 0/1)")
        y = y.astype(bool)
    return y


def _peels(values: np.ndarray, rows: np.ndarray, alpha: float
           ) -> tuple[tuple[int, int], tuple[int, int]]:
    """The points kept by a bottom peel and by a top peel of one input in the box, each as a
    slice ``(start, stop)`` of ``rows``, its points in the box in sorted order.

    A bottom peel keeps the values at or above the ``alpha`` quantile (``numpy.quantile``'s,
    read off the sorted values as :func:`simulator.stats.mc_error.quantile_of_sorted` does),
    or, when that keeps every point (ties), those above it; a top peel the values at or below
    the ``1 - alpha`` quantile, or those below it. The cuts are found by bisection over the
    sorted order (``numpy.searchsorted``'s sides), reading only the values they compare.

    Parameters
    ----------
    values : ndarray, shape (n,)
        The input's value at every row [its unit].
    rows : ndarray, shape (m,), int
        Rows in the box, in increasing order of value.
    """
    m = rows.size
    previous, following, gamma = linear_positions(m, np.array([alpha, 1.0 - alpha]))
    low, high = interpolate(values[rows[previous]], values[rows[following]], gamma)
    value = values.__getitem__
    start = bisect.bisect_left(rows, low, key=value)
    if start == 0:
        start = bisect.bisect_right(rows, low, key=value)
    stop = bisect.bisect_right(rows, high, key=value)
    if stop == m:
        stop = bisect.bisect_left(rows, high, key=value)
    return (start, m), (0, stop)


def _stats(y: np.ndarray, mask: np.ndarray, n_interest: int) -> tuple[float, float, float]:
    count = int(mask.sum())
    hits = int(y[mask].sum())
    return hits / n_interest, hits / count, count / y.size


def _limits(x: np.ndarray, mask: np.ndarray, sides: np.ndarray,
            names: list[str]) -> dict[str, tuple[float, float]]:
    # The box's own extremes on a peeled side are at or beyond every cut made on that side, so
    # the limits select exactly the points in the box.
    box_low, box_high = x[mask].min(axis=0), x[mask].max(axis=0)
    all_low, all_high = x.min(axis=0), x.max(axis=0)
    limits = {}
    for j in np.flatnonzero(sides.any(axis=1)):
        low = box_low[j] if sides[j, 0] else all_low[j]
        high = box_high[j] if sides[j, 1] else all_high[j]
        limits[names[j]] = (float(low), float(high))
    return limits
