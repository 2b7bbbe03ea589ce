"""Monte Carlo error of the estimates we report: percentiles and proportions.

The standard error of a sample percentile uses the order-statistic (binomial) argument: the
q-quantile's rank has standard deviation ``sqrt(n q (1 - q))``, so the values at ranks
``n (q +/- z s)``, ``s = sqrt(q (1 - q) / n)``, bound a distribution-free interval and
``se(x_q) ~ (x_{q + z s} - x_{q - z s}) / (2 z)`` with z = 1.96. It needs no density estimate and
works for any distribution; being read off a few dozen order statistics, the SE itself is only
good to about 10%. Proportions get the Wilson score interval.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import ndtri

#: Half-width, in standard errors, of the rank interval the percentile SE is read from.
Z_SE = 1.96


def percentile(values: np.ndarray, q, *, axis: int | None = None, method: str = "linear",
               dtype: type | None = None) -> np.ndarray:
    """``numpy.percentile``, the same numbers, sooner for several percentiles of long samples.

    NumPy selects each requested order statistic with its own partial sort; sorting once
    (NumPy's vectorised sort) and then reading the order statistics off the sorted data
    (:func:`percentile_of_sorted`) costs several times less from a few percentiles of ~10,000
    values on.

    Parameters
    ----------
    values : ndarray
    q : float or sequence of float
        In [0, 100].
    axis : int, optional
        Sample axis (default: all values).
    method : str
        As for ``numpy.percentile``.
    dtype : numpy dtype, optional
        Compute as if ``values`` were first converted to it (e.g. float64 percentiles of
        float32 samples): the samples are sorted in their own type, which orders them the same
        way for a widening conversion and costs half as much for float32.

    Returns
    -------
    ndarray or float
        As ``numpy.percentile(values.astype(dtype), q, axis=axis, method=method)``.
    """
    values = np.asarray(values)
    target = values.dtype if dtype is None else np.dtype(dtype)
    # the sample axis last and contiguous: sorting and selecting along a strided axis costs
    # several times more; NaN sort last, where percentile looks for them
    ordered = values.ravel().copy() if axis is None else axis_last(values, axis)
    ordered.sort(axis=-1)
    if ordered.dtype != target:
        if np.can_cast(ordered.dtype, target, casting="safe") and not _mixed_zeros(ordered):
            ordered = ordered.astype(target)
        else:
            # a narrowing conversion may merge values, and -0.0 and 0.0 compare equal (which
            # of them lands where depends on the type sorted): convert first, as the caller
            ordered = (values.astype(target).ravel() if axis is None
                       else axis_last(values.astype(target), axis))
            ordered.sort(axis=-1)
    return percentile_of_sorted(ordered, q, method=method)


#: Values along the moved axis copied at a time by :func:`axis_last` (a block's rows, read
#: across the other axes, stay in a core's cache while they are written out).
TRANSPOSE_BLOCK = 4096


def axis_last(values: np.ndarray, axis: int) -> np.ndarray:
    """A C-contiguous copy of ``values`` with ``axis`` moved last:
    ``np.moveaxis(values, axis, -1).copy(order="C")``, the same array.

    Copied a block of :data:`TRANSPOSE_BLOCK` positions along ``axis`` at a time: for a
    trial-major (n, T) array, a plain copy reads every year's column across the whole array
    (each cache line once per year), while a block's (4096, T) rows stay in cache for all T
    (2x faster for a million trials of 11 years, float32 or float64).

    Parameters
    ----------
    values : ndarray
    axis : int

    Returns
    -------
    ndarray, shape of ``values`` with ``axis`` last
    """
    moved = np.moveaxis(values, axis, -1)
    n = moved.shape[-1]
    if moved.flags.c_contiguous or n <= TRANSPOSE_BLOCK or moved.ndim < 2:
        return moved.copy(order="C")
    out = np.empty(moved.shape, dtype=moved.dtype)
    for lo in range(0, n, TRANSPOSE_BLOCK):
        out[..., lo:lo + TRANSPOSE_BLOCK] = moved[..., lo:lo + TRANSPOSE_BLOCK]
    return out


def _mixed_zeros(ordered: np.ndarray) -> bool:
    """Whether any row of sorted floats holds both -0.0 and 0.0 (in a row sorted, zeros are
    one run: only that run is read)."""
    if ordered.dtype.kind != "f":
        return False
    rows = ordered.reshape(-1, ordered.shape[-1]) if ordered.ndim else ordered.reshape(1, 1)
    for row in rows:
        lo, hi = np.searchsorted(row, 0.0, "left"), np.searchsorted(row, 0.0, "right")
        if hi - lo > 1:
            signs = np.signbit(row[lo:hi])
            if signs.any() and not signs.all():
                return True
    return False


def percentile_of_sorted(ordered: np.ndarray, q, *, method: str = "linear") -> np.ndarray:
    """``numpy.percentile(ordered, q, axis=-1, method=method)`` of samples already sorted along
    the last axis (NaN last), bit for bit, without NumPy's partial sort of the whole sample.

    NumPy's result depends only on the order statistics next to each percentile's rank: they
    are read off here, and combined exactly as NumPy combines them (its rank arithmetic and its
    two-sided linear interpolation, for ``"linear"``; the rank rule of ``"inverted_cdf"``).
    A Python scalar ``q`` keeps the arithmetic in the samples' type, as NumPy does. Other
    methods and empty samples go to NumPy itself.

    Parameters
    ----------
    ordered : ndarray, shape (..., n)
        Sorted along the last axis.
    q : float or sequence of float
        In [0, 100].
    method : str
        As for ``numpy.percentile``.

    Returns
    -------
    ndarray, shape (len(q), ...), or a scalar of the samples' type for a scalar ``q``
    """
    n = ordered.shape[-1]
    if type(q) in (int, float) and method == "linear" and ordered.ndim == 1 and n \
            and ordered.dtype.kind == "f" and 0 <= q <= 100:
        return _scalar_of_sorted(ordered, q)
    if (method not in ("linear", "inverted_cdf") or np.ndim(q) != 1 or n == 0
            or ordered.dtype.kind not in "fiu" or not np.all((np.asarray(q) >= 0)
                                                           & (np.asarray(q) <= 100))):
        return np.percentile(ordered, q, axis=-1, method=method)
    return quantile_of_sorted(ordered, np.true_divide(q, 100), method=method)


def quantile_of_sorted(ordered: np.ndarray, quantiles, *, method: str = "linear"
                       ) -> np.ndarray:
    """``numpy.quantile(ordered, quantiles, axis=-1, method=method)`` of samples sorted along
    the last axis (NaN last), bit for bit, for a 1-D ``quantiles`` in [0, 1] and the
    ``"linear"`` or ``"inverted_cdf"`` method (see :func:`percentile_of_sorted`).

    Parameters
    ----------
    ordered : ndarray, shape (..., n), n > 0
    quantiles : sequence of float
    method : str

    Returns
    -------
    ndarray, shape (len(quantiles), ...)
    """
    n = ordered.shape[-1]
    quantiles = np.asanyarray(quantiles)
    if method == "linear":
        previous, following, gamma = linear_positions(n, quantiles)
        result = interpolate(ordered[..., previous], ordered[..., following], gamma)
    else:
        index = (n * quantiles) - 1
        previous = np.floor(index)
        rank = np.where(index - previous == 0, previous, previous + 1).astype(np.intp)
        rank[rank < 0] = 0
        result = ordered[..., rank]
    result = np.ascontiguousarray(np.moveaxis(result, -1, 0))
    if ordered.dtype.kind == "f":
        last = ordered[..., -1]
        nan = np.isnan(last)
        if nan.any():
            np.copyto(result, last, where=nan)
    return result


def linear_positions(n: int, quantiles) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where ``numpy.quantile``'s linear method reads a sorted sample of ``n`` values.

    Parameters
    ----------
    n : int
        Sample size, > 0.
    quantiles : ndarray, shape (q,)
        In [0, 1].

    Returns
    -------
    previous, following : ndarray, shape (q,), intp
        Positions of the two values each quantile lies between (-1: the last).
    gamma : ndarray, shape (q,)
        The weight of the following one, for :func:`interpolate`.
    """
    virtual = (n - 1) * np.asanyarray(quantiles)
    previous = np.floor(virtual)
    following = previous + 1
    above = virtual >= n - 1
    previous[above] = -1
    following[above] = -1
    previous, following = previous.astype(np.intp), following.astype(np.intp)
    return previous, following, np.asanyarray(virtual - previous, dtype=virtual.dtype)


def interpolate(a: np.ndarray, b: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """``numpy.quantile``'s linear interpolation between the values ``a`` and ``b`` read at
    :func:`linear_positions` (from the nearer one, as NumPy does, so that the result is
    exact at gamma 0 and 1), in their dtype; shapes (..., q)."""
    diff = b - a
    result = np.asanyarray(np.add(a, diff * gamma))  # an array, as out=... gives on NumPy 2
    np.subtract(b, diff * (1 - gamma), out=result, where=gamma >= 0.5, casting="unsafe",
                dtype=type(result.dtype))
    return result


def _scalar_of_sorted(ordered: np.ndarray, q: float) -> np.floating:
    """One linear percentile of a sorted 1-D float sample for a Python scalar ``q``, as NumPy
    computes it then: the rank in float64, the interpolation in the sample's type."""
    n = ordered.size
    if np.isnan(ordered[-1]):
        return ordered[-1]
    virtual = (n - 1) * np.true_divide(q, 100)
    previous = np.floor(virtual)
    following = previous + 1
    if virtual >= n - 1:
        previous = following = -1
    gamma = float(virtual - int(previous))
    a, b = ordered[int(previous)], ordered[int(following)]
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def median_of_sorted(ordered: np.ndarray) -> np.floating:
    """``numpy.median`` of a sorted 1-D sample, bit for bit: NumPy's median of the middle one
    or two values (the same values, the same arithmetic) instead of a partial sort of all."""
    n = ordered.size
    if n < 8 or np.isnan(ordered[-1]):
        return np.median(ordered)
    cut = (n - 1) // 2 - 1  # as many off each end, so the middle stays the middle
    return np.median(ordered[cut:n - cut])


def percentiles_with_se(values: np.ndarray, percentiles: tuple[float, ...], *, axis: int = -1,
                        quantile: Callable | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Percentiles and their Monte Carlo standard errors.

    Parameters
    ----------
    values : ndarray
        Samples along ``axis`` (ignored when ``quantile`` is given).
    percentiles : tuple of float
        In [0, 100].
    axis : int
        Trial axis.
    quantile : callable, optional
        ``quantile(q_array) -> array (len(q), ...)`` to use instead of the samples (streaming
        histograms); then ``values`` gives only n as ``values.shape[axis]``.

    Returns
    -------
    q, se : ndarray, shape (len(percentiles), ...)
    """
    n = values.shape[axis]
    p = np.asarray(percentiles, dtype=float) / 100
    s = Z_SE * np.sqrt(p * (1 - p) / max(n, 1))
    levels = np.concatenate([p, np.clip(p - s, 0, 1), np.clip(p + s, 0, 1)])
    got = percentile(values, levels * 100, axis=axis) if quantile is None else quantile(levels)
    k = len(p)
    return got[:k], (got[2 * k:] - got[k:2 * k]) / (2 * Z_SE)


def wilson_interval(successes: np.ndarray, n: np.ndarray, confidence: float = 0.95
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes, n : array_like
        Trials where the event happened, and all trials.
    confidence : float
        Two-sided coverage.

    Returns
    -------
    low, high : ndarray
        Interval ends, in [0, 1].
    """
    k, n = np.asarray(successes, float), np.asarray(n, float)
    z = ndtri(0.5 + confidence / 2)
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # k = 0 or k = n: the formula gives 0 (or 1) up to rounding; make the end exact
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0, 1))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0, 1))
    return low, high
