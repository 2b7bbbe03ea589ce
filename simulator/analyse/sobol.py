"""Variance-based (Sobol) sensitivity indices from Saltelli sampling.

How much of the spread of an output is due to each input? The first-order index ``S1_i`` is the
share of the output variance explained by input ``i`` alone, the total index ``ST_i`` the share
that would vanish if input ``i`` were fixed (its own effect plus all its interactions).

The recipe costs ``n * (d + 2)`` model runs::

    a, b = saltelli_matrices(n, d, rng=rng)      # uniforms in [0, 1)
    ab = ab_matrices(a, b)                       # (d, n, d)
    f_a, f_b = model(a), model(b)                # map uniforms through each input's ppf first
    f_ab = np.stack([model(ab[i]) for i in range(d)])
    table = sobol_indices(f_a, f_b, f_ab, rng=rng)

References
----------
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. & Tarantola, S. (2010).
Variance based sensitivity analysis of model output. Design and estimator for the total
sensitivity index. Computer Physics Communications 181(2), 259-270.

Jansen, M. J. W. (1999). Analysis of variance designs for model output. Computer Physics
Communications 117(1-2), 35-43.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtri
from scipy.stats import qmc

#: Bootstrap resamples are processed in chunks of about this many resampled rows.
_CHUNK_ELEMENTS = 2**22


def saltelli_matrices(
    n: int, d: int, *, rng: np.random.Generator, scramble: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The two independent base samples A and B of the Saltelli design.

    Both come from one Sobol sequence of dimension ``2 d``: A is its first ``d`` columns, B its
    last ``d``, so A and B are independent of each other and jointly low-discrepancy.

    Parameters
    ----------
    n : int
        Number of rows of each matrix; must be a power of two, the only sizes at which a Sobol
        sequence keeps its balance properties.
    d : int
        Number of inputs.
    rng : numpy.random.Generator
        Source of the scrambling (Owen scrambling plus digital shift); unused when
        ``scramble`` is False.
    scramble : bool
        Whether to scramble. Without scrambling the first row of both matrices is exactly 0,
        which an unbounded distribution's ``ppf`` maps to minus infinity.

    Returns
    -------
    a, b : ndarray, each shape (n, d)
        Uniforms in [0, 1). Scrambled points lie on a grid of step 2**-30 and may, rarely, be
        exactly 0.

    Raises
    ------
    ValueError
        If ``n`` is not a power of two or ``d`` is not positive.
    """
    if int(n) != n or n < 1 or int(n) & (int(n) - 1):
        suggestion = 2 ** int(np.ceil(np.log2(max(n, 1))))
        raise ValueError(f"n must be a power of two (e.g. {suggestion}), got {n}")
    if int(d) != d or d < 1:
        raise ValueError(f"d must be a positive integer, got {d}")
    n, d = int(n), int(d)
    try:
        sampler = qmc.Sobol(2 * d, scramble=scramble, rng=rng)
    except TypeError:
        # SciPy < 1.15 names the generator argument ``seed``.
        sampler = qmc.Sobol(2 * d, scramble=scramble, seed=rng)
    base = sampler.random(n)
    return base[:, :d].copy(), base[:, d:].copy()


def ab_matrices(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The radial matrices AB_i: A with column ``i`` taken from B.

    Parameters
    ----------
    a, b : array_like, each shape (n, d)
        Base samples from :func:`saltelli_matrices`.

    Returns
    -------
    ndarray, shape (d, n, d)
        ``ab[i]`` equals ``a`` except that ``ab[i][:, i] == b[:, i]``.

    Raises
    ------
    ValueError
        If ``a`` and ``b`` are not 2-D arrays of the same shape.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"a and b must be 2-D arrays of the same shape, got {a.shape} and {b.shape}")
    d = a.shape[1]
    ab = np.repeat(a[None, :, :], d, axis=0)
    i = np.arange(d)
    ab[i, :, i] = b.T
    return ab


def stacked_rows(a: np.ndarray, b: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Rows ``lo .. hi-1`` of the whole design ``[A; B; AB_1; ...; AB_d]`` stacked, built
    without holding the stack ((d + 2) n rows) in memory.

    Parameters
    ----------
    a, b : ndarray, each shape (n, d)
    lo, hi : int
        Row range, ``0 <= lo <= hi <= (d + 2) n``.

    Returns
    -------
    ndarray, shape (hi - lo, d)
        Row ``r`` is row ``r mod n`` of matrix ``r // n`` (0: A, 1: B, 2 + i: AB_i).
    """
    n = a.shape[0]
    rows = np.arange(lo, hi)
    which, within = np.divmod(rows, n)
    out = a[within]
    from_b = which == 1
    out[from_b] = b[within[from_b]]
    radial = np.flatnonzero(which >= 2)
    column = which[radial] - 2
    out[radial, column] = b[within[radial], column]
    return out


def sobol_indices(
    f_a: np.ndarray,
    f_b: np.ndarray,
    f_ab: np.ndarray,
    *,
    names: Sequence[str] | None = None,
    rng: np.random.Generator | None = None,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """First-order and total Sobol indices from model outputs on a Saltelli design.

    With ``V`` the variance (``ddof=0``) of ``f_a`` and ``f_b`` concatenated::

        S1_i = mean(f_b * (f_ab[i] - f_a)) / V              (Saltelli et al. 2010)
        ST_i = 0.5 * mean((f_a - f_ab[i]) ** 2) / V         (Jansen 1999)

    The outputs are first centred on the mean of ``f_a`` and ``f_b``: that leaves the indices'
    definitions unchanged but keeps the sampling error of ``S1`` independent of the output's
    mean level. Both estimators are consistent but not constrained to [0, 1]: an index near
    zero may come out slightly negative.

    Parameters
    ----------
    f_a, f_b : array_like, each shape (n,)
        Model output on the rows of A and of B.
    f_ab : array_like, shape (d, n)
        Model output on the rows of each AB_i (:func:`ab_matrices`).
    names : sequence of str, length d, optional
        Input names for the index of the result; default ``0 .. d - 1``.
    rng : numpy.random.Generator or None
        Source of the bootstrap resampling. If None, no bootstrap is done and the
        ``*_conf`` columns are NaN.
    n_bootstrap : int
        Number of bootstrap resamples of the rows.
    confidence : float
        Confidence level of the intervals, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        One row per input, columns ``S1``, ``S1_conf``, ``ST``, ``ST_conf``. The ``*_conf``
        columns are half-widths of normal-approximation intervals, ``z * sd`` of the index over
        bootstrap resamples of the rows (with ``z`` the two-sided normal quantile of
        ``confidence``): the interval is ``S1 +/- S1_conf``. Resampling treats the rows as
        independent, which overstates the error of a scrambled Sobol design, so the intervals
        are conservative.

    Raises
    ------
    ValueError
        If the shapes do not match, the outputs are not finite, the output variance is zero,
        or ``names``, ``n_bootstrap`` or ``confidence`` are invalid.
    """
    f_a = np.asarray(f_a, dtype=float)
    f_b = np.asarray(f_b, dtype=float)
    f_ab = np.asarray(f_ab, dtype=float)
    if f_a.ndim != 1 or f_a.shape != f_b.shape:
        raise ValueError(
            f"f_a and f_b must be 1-D arrays of the same length, got {f_a.shape} and {f_b.shape}"
        )
    n = f_a.size
    if f_ab.ndim != 2 or f_ab.shape[1] != n or f_ab.shape[0] == 0:
        raise ValueError(f"f_ab must have shape (d, {n}), got {f_ab.shape}")
    if n < 2:
        raise ValueError("at least 2 rows are needed")
    d = f_ab.shape[0]
    if names is None:
        index = pd.RangeIndex(d)
    elif len(names) != d:
        raise ValueError(f"names has {len(names)} entries but f_ab has {d} inputs")
    else:
        index = pd.Index(list(names))
    if not (np.all(np.isfinite(f_a)) and np.all(np.isfinite(f_b)) and np.all(np.isfinite(f_ab))):
        raise ValueError("model outputs must be finite")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if rng is not None and (int(n_bootstrap) != n_bootstrap or n_bootstrap < 2):
        raise ValueError(f"n_bootstrap must be an integer >= 2, got {n_bootstrap}")

    if np.ptp(np.concatenate([f_a, f_b])) == 0.0:
        raise ValueError("the model output has zero variance: sensitivity indices are undefined")
    # The indices do not change when the output is shifted, but the sampling error of the S1
    # estimator grows with the square of the output's mean (spend in billions, spread in
    # millions), so work with the output centred on its mean.
    centre = 0.5 * (f_a.mean() + f_b.mean())
    f_a, f_b, f_ab = f_a - centre, f_b - centre, f_ab - centre
    # Per-row terms whose row means make up the estimators, so that a bootstrap resample is a
    # weighted mean (one matrix product) instead of a gather of every array.
    terms = np.column_stack([f_a, f_b, f_a**2, f_b**2, (f_b * (f_ab - f_a)).T, (0.5 * (f_a - f_ab) ** 2).T])
    s1, st = _indices(terms.mean(axis=0)[None, :], d)
    s1_conf = np.full(d, np.nan)
    st_conf = np.full(d, np.nan)
    if rng is not None:
        n_bootstrap = int(n_bootstrap)
        chunk = max(1, _CHUNK_ELEMENTS // n)
        s1_boot = np.empty((n_bootstrap, d))
        st_boot = np.empty((n_bootstrap, d))
        for start in range(0, n_bootstrap, chunk):
            m = min(chunk, n_bootstrap - start)
            rows = rng.integers(0, n, size=(m, n)) + n * np.arange(m)[:, None]
            weights = np.bincount(rows.ravel(), minlength=m * n).reshape(m, n) / n
            s1_boot[start:start + m], st_boot[start:start + m] = _indices(weights @ terms, d)
        z = ndtri(0.5 + confidence / 2.0)
        s1_conf = z * np.nanstd(s1_boot, axis=0, ddof=1)
        st_conf = z * np.nanstd(st_boot, axis=0, ddof=1)
    return pd.DataFrame({"S1": s1[0], "S1_conf": s1_conf, "ST": st[0], "ST_conf": st_conf}, index=index)


def _indices(means: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """S1 and ST, each shape (m, d), from (weighted) row means of the terms, shape (m, 4 + 2 d)."""
    mean = 0.5 * (means[:, 0] + means[:, 1])
    var = 0.5 * (means[:, 2] + means[:, 3]) - mean**2
    # A bootstrap resample of a nearly constant output can have zero variance: NaN, not an error.
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(var > 0.0, var, np.nan)[:, None]
        return means[:, 4:4 + d] / var, means[:, 4 + d:] / var
