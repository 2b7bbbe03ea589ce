"""Rank correlation between inputs, induced without changing their marginal distributions.

Inputs are sampled independently, one column of values per input (see :mod:`simulator.sample.draws`).
To correlate them, :func:`induce_rank_correlation` re-pairs the values across columns by the
Iman-Conover (1982) method: every column keeps exactly the values it had, only their order
changes, so each input's distribution is untouched while the rank correlation between inputs
approaches a target matrix.

The target is a Spearman rank correlation. Iman-Conover matches the Pearson correlation of normal
scores, and for normal variables with Pearson correlation r the Spearman correlation is
``6 / pi * arcsin(r / 2)`` (0.683 for r = 0.7). The target is therefore converted first,
``r = 2 sin(pi rho / 6)`` (:func:`normal_scores_correlation`), and the converted matrix, which may
lose positive semidefiniteness when the requested one is nearly singular, is checked in turn.

A target written by hand is easily inconsistent (e.g. A with B +0.9, B with C +0.9, A with C
-0.9). :func:`check_correlation` lists what is wrong with a matrix, and
:func:`nearest_correlation` repairs it to the nearest valid correlation matrix (Higham 2002).

References
----------
Iman, R. L. & Conover, W. J. (1982). A distribution-free approach to inducing rank correlation
among input variables. Communications in Statistics - Simulation and Computation 11(3), 311-334.

Kruskal, W. H. (1958). Ordinal measures of association. Journal of the American Statistical
Association 53(284), 814-861 (Spearman's correlation of a bivariate normal).

Higham, N. J. (2002). Computing the nearest correlation matrix - a problem from finance.
IMA Journal of Numerical Analysis 22(3), 329-343.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.special import ndtri

#: Smallest eigenvalue a repaired matrix is given, so that it factorises by Cholesky.
PD_EPSILON = 1e-8

#: Eigenvalues down to this are rounding noise of a positive semidefinite matrix.
PSD_TOLERANCE = 1e-10

#: Absolute tolerance for symmetry and for the unit diagonal.
ENTRY_TOLERANCE = 1e-10


def check_correlation(matrix: np.ndarray) -> list[str]:
    """Problems that make a matrix invalid as a correlation matrix.

    Parameters
    ----------
    matrix : array_like, shape (d, d)
        Candidate correlation matrix.

    Returns
    -------
    list of str
        One human-readable sentence per problem (not square, non-finite entries, not
        symmetric, diagonal not 1, entries outside [-1, 1], not positive semidefinite);
        empty when the matrix is a valid correlation matrix. Symmetry and the diagonal are
        checked to within ``ENTRY_TOLERANCE``, eigenvalues down to ``-PSD_TOLERANCE`` count as
        zero.
    """
    try:
        c = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        return ["is not a matrix of numbers"]
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] == 0:
        return [f"is not a non-empty square matrix (shape {c.shape})"]
    if not np.all(np.isfinite(c)):
        i, j = np.argwhere(~np.isfinite(c))[0]
        return [f"has non-finite entries, e.g. [{i}, {j}] = {c[i, j]}"]

    problems = []
    asym = np.abs(c - c.T)
    if asym.max() > ENTRY_TOLERANCE:
        i, j = np.unravel_index(np.argmax(asym), asym.shape)
        problems.append(f"is not symmetric: [{i}, {j}] = {c[i, j]:g} but [{j}, {i}] = {c[j, i]:g}")
    off_diag = np.abs(np.diag(c) - 1.0) > ENTRY_TOLERANCE
    if off_diag.any():
        bad = ", ".join(f"[{i}, {i}] = {c[i, i]:g}" for i in np.flatnonzero(off_diag))
        problems.append(f"has diagonal entries other than 1: {bad}")
    outside = np.abs(c) > 1.0 + ENTRY_TOLERANCE
    if outside.any():
        i, j = np.argwhere(outside)[0]
        problems.append(f"has {outside.sum()} entries outside [-1, 1], e.g. [{i}, {j}] = {c[i, j]:g}")
    # Only the symmetric part has real eigenvalues; for a symmetric matrix it is the matrix.
    smallest = np.linalg.eigvalsh(0.5 * (c + c.T))[0]
    if smallest < -PSD_TOLERANCE:
        problems.append(
            f"is not positive semidefinite (smallest eigenvalue {smallest:.3g}): "
            "the correlations contradict each other"
        )
    return problems


def normal_scores_correlation(spearman_target: np.ndarray) -> np.ndarray:
    """Pearson correlation of normal scores that gives a Spearman rank correlation.

    Parameters
    ----------
    spearman_target : array_like, shape (d, d) or scalar
        Target Spearman correlations [-], in [-1, 1].

    Returns
    -------
    ndarray, same shape
        ``2 sin(pi rho / 6)`` entry by entry [-]; 1 stays 1, 0 stays 0, and ``|r| >= |rho|``
        (0.7 becomes 0.7167).
    """
    return 2.0 * np.sin(np.pi * np.asarray(spearman_target, dtype=float) / 6.0)


def spearman_of_normal_scores(pearson: np.ndarray) -> np.ndarray:
    """Spearman correlation of normal variables with Pearson correlation r [-]:
    ``6 / pi arcsin(r / 2)``, the inverse of :func:`normal_scores_correlation`."""
    return 6.0 / np.pi * np.arcsin(np.clip(np.asarray(pearson, dtype=float), -1.0, 1.0) / 2.0)


def nearest_correlation(
    matrix: np.ndarray, *, tol: float = 1e-10, max_iterations: int = 1000
) -> np.ndarray:
    """Nearest valid correlation matrix in Frobenius norm (Higham 2002).

    Alternating projections onto the positive semidefinite cone and onto the matrices with unit
    diagonal, with Dykstra's correction so that the iteration converges to the nearest point of
    the intersection rather than to just any point of it.

    Parameters
    ----------
    matrix : array_like, shape (d, d)
        Square matrix of finite numbers. A non-symmetric matrix is replaced by its symmetric
        part first, which has the same nearest symmetric matrix.
    tol : float
        Convergence tolerance on the relative change between iterations.
    max_iterations : int
        Upper bound on the number of iterations.

    Returns
    -------
    ndarray, shape (d, d)
        A copy of ``matrix`` when it is already a valid correlation matrix (see
        :func:`check_correlation`); such a matrix may be only semidefinite. Otherwise the
        nearest correlation matrix, made strictly positive definite so that Cholesky
        factorisation works: its eigenvalues are clipped at ``PD_EPSILON`` (1e-8) and it is
        rescaled to unit diagonal, which moves it by about 1e-8 from the exact nearest matrix.

    Raises
    ------
    ValueError
        If ``matrix`` is not square or has non-finite entries, or the iteration does not
        converge.
    """
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ValueError(f"nearest_correlation needs a non-empty square matrix, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("nearest_correlation needs finite entries")
    if not check_correlation(a):
        return a.copy()

    y = 0.5 * (a + a.T)
    correction = np.zeros_like(y)
    for _ in range(max_iterations):
        r = y - correction
        x = _project_psd(r, 0.0)
        correction = x - r
        y_next = x.copy()
        np.fill_diagonal(y_next, 1.0)
        change = np.linalg.norm(y_next - y) / max(np.linalg.norm(y_next), 1.0)
        y = y_next
        if change < tol and np.linalg.norm(y - x) / np.linalg.norm(y) < tol:
            break
    else:
        raise ValueError(f"nearest_correlation did not converge in {max_iterations} iterations")
    return _strictly_positive_definite(y)


def induce_rank_correlation(
    u: np.ndarray, target: np.ndarray, *, rng: np.random.Generator
) -> np.ndarray:
    """Reorder each column so the columns have (approximately) a target rank correlation.

    The Iman-Conover method: van der Waerden scores ``ndtri(rank / (n + 1))`` are randomly
    permuted per column, transformed so that their sample (Pearson) correlation equals
    ``2 sin(pi target / 6)`` exactly (:func:`normal_scores_correlation`; ``S @ (P @ inv(Q)).T``
    with ``P P'`` that matrix and ``Q Q'`` the scores' own correlation, both Cholesky factors),
    and each column of ``u`` is then sorted into the rank order of the corresponding column of
    scores.

    Parameters
    ----------
    u : array_like, shape (n, d)
        Sampled values, one column per input (uniforms or values in the inputs' own units:
        only their order within each column matters). With ``n <= d`` rows (a short last
        chunk, a run of a few trials) the scores' own sample correlation is singular and is
        not removed: the target then holds in expectation rather than exactly in the scores.
    target : array_like, shape (d, d)
        Target Spearman correlation matrix; it and its normal-scores conversion must pass
        :func:`check_correlation` (repair it first with :func:`nearest_correlation` if needed).
        A singular matrix (e.g. a correlation of exactly 1) is factorised by eigendecomposition
        instead of Cholesky.
    rng : numpy.random.Generator
        Source of the random permutation of the scores.

    Returns
    -------
    ndarray, shape (n, d)
        Each column is a permutation of the same column of ``u``, so every marginal is exactly
        unchanged. The rows are re-paired: row ``k`` of the result is in general not row ``k``
        of ``u`` for any column, so nothing computed row-wise from ``u`` carries over.
        The Spearman correlation of the result equals ``target`` up to sampling noise of order
        ``(1 - rho^2) / sqrt(n)``: the normal scores' Pearson correlation is matched exactly,
        and the conversion removes the bias ``6 / pi arcsin(r / 2) - r`` (0.683 for 0.7
        unconverted).

    Raises
    ------
    ValueError
        If ``u`` is not a finite 2-D array, ``target`` does not match its columns or is not a
        valid correlation matrix.
    """
    u, scores_target = _checked_inputs(u, target)
    n, d = u.shape

    grid = ndtri(np.arange(1, n + 1) / (n + 1))
    scores = rng.permuted(np.broadcast_to(grid[:, None], (n, d)), axis=0)
    transform = _factor(scores_target)
    if n > d:
        own = np.atleast_2d(np.corrcoef(scores, rowvar=False))
        try:
            q = linalg.cholesky(own, lower=True)
            transform = linalg.solve_triangular(q, transform.T, lower=True, trans="T").T
        except linalg.LinAlgError:
            # the permuted scores happen to be collinear (only in tiny samples): their own
            # correlation cannot be removed, so the target is induced in expectation only
            pass
    adjusted = scores @ transform.T
    # the k-th smallest value of each column goes where the k-th smallest score is; columns
    # are sorted as contiguous rows of the transposes
    order = stable_row_order(adjusted.T)
    out = np.empty((d, n))
    np.put_along_axis(out, order, np.sort(u.T, axis=1), axis=1)
    return out.T


def stable_row_order(a: np.ndarray) -> np.ndarray:
    """``np.argsort(a, axis=1, kind="stable")``, at the cost of an unstable sort.

    Without ties (or NaN) the sorted order of a row is unique, so any sort finds it; the
    vectorised unstable sort is several times faster than the stable one on floats. A row
    with ties, where the two may differ, is sorted stably.

    Parameters
    ----------
    a : ndarray, shape (d, n)

    Returns
    -------
    ndarray of int, shape (d, n)
    """
    order = np.argsort(a, axis=1)
    ranked = np.take_along_axis(a, order, axis=1)
    tied = (ranked[:, 1:] == ranked[:, :-1]).any(axis=1) | np.isnan(ranked[:, -1:]).any(axis=1)
    for row in np.flatnonzero(tied):
        order[row] = np.argsort(a[row], kind="stable")
    return order


def _checked_inputs(u: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``u`` as a float array and the normal-scores correlation of ``target``, after checking
    both as :func:`induce_rank_correlation` documents (raises ValueError)."""
    u = np.asarray(u, dtype=float)
    if u.ndim != 2:
        raise ValueError(f"u must be a 2-D array (n, d), got shape {u.shape}")
    d = u.shape[1]
    if not np.all(np.isfinite(u)):
        raise ValueError("u has non-finite entries")
    target = np.asarray(target, dtype=float)
    if target.shape != (d, d):
        raise ValueError(f"target must have shape ({d}, {d}) to match u's columns, got {target.shape}")
    problems = check_correlation(target)
    if problems:
        raise ValueError("target is not a valid correlation matrix: it " + "; it ".join(problems))
    scores_target = normal_scores_correlation(target)
    problems = check_correlation(scores_target)
    if problems:
        raise ValueError("target converted to normal scores (2 sin(pi rho / 6)) is not a valid "
                         "correlation matrix: it " + "; it ".join(problems))
    return u, scores_target


def spearman(x: np.ndarray) -> np.ndarray:
    """Spearman rank correlation matrix of the columns of ``x``.

    Parameters
    ----------
    x : array_like, shape (n, d)
        Samples, one column per variable.

    Returns
    -------
    ndarray, shape (d, d)
        Pearson correlation of the column ranks (ties get their average rank). Entries
        involving a constant column are NaN.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"spearman needs a 2-D array with at least 2 rows, got shape {x.shape}")
    ranks = np.column_stack([average_ranks(col) for col in x.T]) if x.shape[1] else x
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.atleast_2d(np.corrcoef(ranks, rowvar=False))


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a sample, ties sharing their average rank (as ``scipy.stats.rankdata``,
    without importing ``scipy.stats``, which costs half a second at start-up).

    Parameters
    ----------
    x : array_like, shape (n,)

    Returns
    -------
    ndarray, shape (n,), float64
        All NaN when ``x`` holds a NaN.
    """
    x = np.asarray(x)
    n = x.size
    if n and np.isnan(x).any():
        return np.full(n, np.nan)
    sorter = np.argsort(x)  # the order of tied values does not change their average rank
    inverse = np.empty(n, dtype=np.intp)
    inverse[sorter] = np.arange(n)
    ordered = x[sorter]
    first = np.r_[True, ordered[1:] != ordered[:-1]]  # a new value starts here
    dense = np.cumsum(first)[inverse]
    bounds = np.r_[np.flatnonzero(first), n]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def _project_psd(matrix: np.ndarray, floor: float) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    projected = (vectors * np.maximum(values, floor)) @ vectors.T
    return 0.5 * (projected + projected.T)


def _strictly_positive_definite(matrix: np.ndarray) -> np.ndarray:
    c = _project_psd(matrix, PD_EPSILON)
    scale = 1.0 / np.sqrt(np.diag(c))
    c = c * scale[:, None] * scale[None, :]
    np.fill_diagonal(c, 1.0)
    return np.clip(c, -1.0, 1.0)


def _factor(target: np.ndarray) -> np.ndarray:
    """A matrix ``P`` with ``P @ P.T == target``: Cholesky, or eigen-based if singular."""
    try:
        return linalg.cholesky(target, lower=True)
    except linalg.LinAlgError:
        values, vectors = np.linalg.eigh(target)
        return vectors * np.sqrt(np.maximum(values, 0.0))
