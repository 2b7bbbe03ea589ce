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

#: Bootstrap resamples go to SciPy a few at a time: about this many output values per pass.
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
    from scipy.stats import qmc  # only here: importing scipy.stats takes half a second

    sampler = qmc.Sobol(2 * d, scramble=scramble, rng=rng)
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

    The estimators are :func:`scipy.stats.sobol_indices` (``method="saltelli_2010"``): with
    ``V`` the variance (``ddof=0``) of ``f_a`` and ``f_b`` together, outputs centred on their
    mean::

        S1_i = mean(f_b * (f_ab[i] - f_a)) / V              (Saltelli et al. 2010)
        ST_i = 0.5 * mean((f_a - f_ab[i]) ** 2) / V         (Jansen 1999)

    Both are consistent but not constrained to [0, 1]: an index near zero may come out slightly
    negative. The confidence half-widths come from a bootstrap over rows drawn from ``rng``
    (reproducible, unlike SciPy's own ``bootstrap()``, whose BCa jackknife also costs ``n``
    evaluations): the resamples are passed to SciPy as extra outputs, a few at a time.

    Parameters
    ----------
    f_a, f_b : array_like, each shape (n,)
        Model output on the rows of A and of B; ``n`` a power of two.
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
    f_a, f_b, f_ab, index = _checked(f_a, f_b, f_ab, names, rng, n_bootstrap, confidence)
    d = f_ab.shape[0]
    n = f_a.size
    s1, st = _scipy_indices(f_a[None, :], f_b[None, :], f_ab[:, None, :])
    s1_conf = np.full(d, np.nan)
    st_conf = np.full(d, np.nan)
    if rng is not None:
        n_bootstrap = int(n_bootstrap)
        per_pass = max(1, _CHUNK_ELEMENTS // (n * (d + 2)))
        s1_boot = np.empty((n_bootstrap, d))
        st_boot = np.empty((n_bootstrap, d))
        for start in range(0, n_bootstrap, per_pass):
            m = min(per_pass, n_bootstrap - start)
            rows = rng.integers(0, n, size=(m, n))  # each resample is one more output for SciPy
            s1_boot[start:start + m], st_boot[start:start + m] = _scipy_indices(
                f_a[rows], f_b[rows], f_ab[:, rows])
        z = ndtri(0.5 + confidence / 2.0)
        s1_conf = z * np.nanstd(s1_boot, axis=0, ddof=1)
        st_conf = z * np.nanstd(st_boot, axis=0, ddof=1)
    return pd.DataFrame({"S1": s1[0], "S1_conf": s1_conf, "ST": st[0], "ST_conf": st_conf},
                        index=index)


def _scipy_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """S1 and ST, each shape (s, d), for s outputs: f_a, f_b (s, n), f_ab (d, s, n)."""
    from scipy import stats  # only here: importing scipy.stats takes half a second

    res = stats.sobol_indices(func={"f_A": f_a, "f_B": f_b, "f_AB": f_ab}, n=f_a.shape[1])
    # SciPy returns (s, d) for several outputs and (d,) for one
    return np.atleast_2d(res.first_order), np.atleast_2d(res.total_order)


def _checked(f_a, f_b, f_ab, names, rng, n_bootstrap, confidence
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index]:
    """:func:`sobol_indices`' arguments checked: the outputs as float arrays and the index of
    the result."""
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
    if n < 2 or n & (n - 1):
        raise ValueError(f"the number of rows must be a power of two of at least 2, got {n}")
    d = f_ab.shape[0]
    if names is None:
        index: pd.Index = pd.RangeIndex(d)
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

    return f_a, f_b, f_ab, index
