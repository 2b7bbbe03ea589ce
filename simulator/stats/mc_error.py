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


def percentile(values: np.ndarray, q, *, axis: int | None = None, method: str = "linear"
               ) -> np.ndarray:
    """``numpy.percentile``, the same numbers, sooner for several percentiles of long samples.

    NumPy selects each requested order statistic with its own partial sort; sorting once
    (NumPy's vectorised sort) and then selecting from sorted data costs less from a few
    percentiles of ~10,000 values on (2-3x for five percentiles of 500,000 trials).

    Parameters
    ----------
    values : ndarray
    q : float or sequence of float
        In [0, 100].
    axis : int, optional
        Sample axis (default: all values).
    method : str
        As for ``numpy.percentile``.

    Returns
    -------
    ndarray or float
        As ``numpy.percentile(values, q, axis=axis, method=method)``.
    """
    values = np.asarray(values)
    # the sample axis last and contiguous: sorting and selecting along a strided axis costs
    # several times more; NaN sort last, where percentile looks for them
    ordered = (values.ravel() if axis is None
               else np.moveaxis(values, axis, -1)).copy(order="C")
    ordered.sort(axis=-1)
    return np.percentile(ordered, q, axis=-1, method=method)


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
