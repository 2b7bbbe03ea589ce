"""Rank correlation: Iman-Conover keeps marginals exactly, hits the target, and repairs bad targets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulator.stats.correlation import (
    PD_EPSILON,
    check_correlation,
    induce_rank_correlation,
    nearest_correlation,
    spearman,
)

TARGET = np.array([
    [1.0, 0.7, -0.3, 0.0],
    [0.7, 1.0, 0.0, 0.2],
    [-0.3, 0.0, 1.0, 0.0],
    [0.0, 0.2, 0.0, 1.0],
])

# Pairwise consistent-looking but jointly impossible: its smallest eigenvalue is -0.8.
INCONSISTENT = np.array([
    [1.0, 0.9, -0.9],
    [0.9, 1.0, 0.9],
    [-0.9, 0.9, 1.0],
])


def test_marginals_are_exactly_unchanged():
    rng = np.random.default_rng(1)
    # Mixed marginals, including many ties, which must survive as exactly as the rest.
    u = np.column_stack([rng.random(500), rng.lognormal(size=500), rng.integers(0, 5, 500),
                         rng.normal(size=500)])
    out = induce_rank_correlation(u, TARGET, rng=rng)
    assert out.shape == u.shape
    np.testing.assert_array_equal(np.sort(out, axis=0), np.sort(u, axis=0))


def spearman_se(rho: float, n: int) -> float:
    """Standard error of a sample Spearman correlation [-] (Bonett & Wright 2000:
    var(atanh r_s) = (1 + rho^2 / 2) / (n - 3)); an upper bound here, since Iman-Conover
    matches the scores' Pearson correlation exactly."""
    return (1.0 - rho**2) * np.sqrt((1.0 + rho**2 / 2.0) / (n - 3))


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_spearman_of_result_is_close_to_target(seed):
    """With the target converted (2 sin(pi rho / 6)), only sampling noise separates the result
    from the target: each entry within 4 standard errors (at most 0.13 at n = 1000)."""
    rng = np.random.default_rng(seed)
    n = 1000
    u = rng.random((n, 4))
    # Independent inputs start with rank correlations of order 1/sqrt(n) ~ 0.03, not the target.
    assert np.abs(spearman(u) - TARGET).max() > 0.5
    out = induce_rank_correlation(u, TARGET, rng=rng)
    np.testing.assert_array_less(np.abs(spearman(out) - TARGET),
                                 4 * spearman_se(TARGET, n) + 1e-12)


def test_achieved_spearman_is_the_request_within_monte_carlo_error():
    """A requested Spearman 0.7 comes out 0.7 (not 0.683 = 6/pi asin(0.35), as it did when the
    target was used as the scores' Pearson correlation): the mean of 20 runs of 2,000 rows is
    within 4 standard errors (0.011) of 0.7, while the old bias was 0.017."""
    rng = np.random.default_rng(5)
    target = np.array([[1.0, 0.7], [0.7, 1.0]])
    reps, n = 20, 2000
    got = [spearman(induce_rank_correlation(rng.random((n, 2)), target, rng=rng))[0, 1]
           for _ in range(reps)]
    tolerance = 4 * spearman_se(0.7, n) / np.sqrt(reps)
    assert abs(np.mean(got) - 0.7) < tolerance
    assert abs(6 / np.pi * np.arcsin(0.35) - 0.7) > tolerance  # the test can tell the old bias


def test_conversion_is_the_bivariate_normal_identity():
    """2 sin(pi rho / 6) inverts 6/pi asin(r / 2), maps 0 and +-1 to themselves, and matches the
    Spearman correlation of a large bivariate normal sample."""
    from simulator.stats.correlation import normal_scores_correlation, spearman_of_normal_scores

    rho = np.linspace(-1, 1, 9)
    np.testing.assert_allclose(spearman_of_normal_scores(normal_scores_correlation(rho)), rho,
                               atol=1e-12)
    np.testing.assert_allclose(normal_scores_correlation([-1.0, 0.0, 1.0]), [-1, 0, 1],
                               atol=1e-15)
    assert normal_scores_correlation(0.7) == pytest.approx(0.71674, abs=1e-5)
    rng = np.random.default_rng(11)
    n, r = 200_000, float(normal_scores_correlation(0.5))
    z = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], size=n)
    assert spearman(z)[0, 1] == pytest.approx(0.5, abs=4 * spearman_se(0.5, n))


def test_a_target_invalid_only_after_conversion_is_refused():
    """Equicorrelation -1/2 in three inputs is singular but valid as ranks; converted it is
    -0.5176 < -1/2, which no three variables can have."""
    target = np.full((3, 3), -0.5)
    np.fill_diagonal(target, 1.0)
    assert check_correlation(target) == []
    with pytest.raises(ValueError, match="converted to normal scores"):
        induce_rank_correlation(np.random.default_rng(0).random((100, 3)), target,
                                rng=np.random.default_rng(0))


def test_same_rng_state_gives_the_same_result():
    u = np.random.default_rng(0).random((200, 4))
    a = induce_rank_correlation(u, TARGET, rng=np.random.default_rng(9))
    b = induce_rank_correlation(u, TARGET, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)


def test_singular_target_gives_perfect_rank_correlation():
    rng = np.random.default_rng(3)
    u = rng.random((300, 3))
    target = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    out = induce_rank_correlation(u, target, rng=rng)
    assert spearman(out)[0, 1] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_array_equal(np.sort(out, axis=0), np.sort(u, axis=0))


def test_invalid_target_is_rejected_with_its_problems():
    u = np.random.default_rng(0).random((100, 3))
    with pytest.raises(ValueError, match="not positive semidefinite"):
        induce_rank_correlation(u, INCONSISTENT, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"shape \(3, 3\)"):
        induce_rank_correlation(u, TARGET, rng=np.random.default_rng(0))


def test_fewer_rows_than_columns_still_induce_the_correlation_on_average():
    """A chunk with no more trials than correlated inputs (``--trials 2`` with five of them)
    cannot cancel its scores' own correlation; it still reorders each column (marginals
    unchanged), and across many such chunks the target holds on average."""
    target = np.array([[1.0, 0.8, 0.0], [0.8, 1.0, 0.0], [0.0, 0.0, 1.0]])
    rng = np.random.default_rng(3)
    blocks = []
    for _ in range(4000):
        u = rng.random((3, 3))
        out = induce_rank_correlation(u, target, rng=rng)
        np.testing.assert_array_equal(np.sort(out, axis=0), np.sort(u, axis=0))
        blocks.append(out)
    # within a block, the largest values of two independent columns share a row with
    # probability 1/3 exactly; correlated columns share it more often (SE ~ 0.0075)
    same = np.array([[np.argmax(b[:, 0]) == np.argmax(b[:, j]) for j in (1, 2)]
                     for b in blocks]).mean(axis=0)
    se = np.sqrt(1 / 3 * 2 / 3 / len(blocks))
    assert same[0] > 1 / 3 + 10 * se
    assert abs(same[1] - 1 / 3) < 4 * se
    one = induce_rank_correlation(np.array([[0.3, 0.6, 0.9]]), target, rng=rng)
    np.testing.assert_array_equal(one, [[0.3, 0.6, 0.9]])


def test_nearest_correlation_repairs_an_inconsistent_matrix():
    fixed = nearest_correlation(INCONSISTENT)
    assert check_correlation(fixed) == []
    np.testing.assert_array_equal(np.diag(fixed), 1.0)
    np.testing.assert_array_equal(fixed, fixed.T)
    # By the matrix's symmetry the answer has the form [[1, r, -r], [r, 1, r], [-r, r, 1]]; its
    # distance 6 (0.9 - r)^2 is smallest at the largest feasible r, 0.5 (eigenvalue 1 - 2r >= 0).
    expected = np.array([[1.0, 0.5, -0.5], [0.5, 1.0, 0.5], [-0.5, 0.5, 1.0]])
    np.testing.assert_allclose(fixed, expected, atol=1e-6)
    assert np.linalg.norm(fixed - INCONSISTENT) < np.linalg.norm(np.eye(3) - INCONSISTENT)
    # Strictly positive definite, so Cholesky works although the exact answer is singular.
    assert np.linalg.eigvalsh(fixed)[0] == pytest.approx(PD_EPSILON, rel=0.1)
    np.linalg.cholesky(fixed)


def test_nearest_correlation_beats_other_valid_matrices():
    rng = np.random.default_rng(4)
    m = rng.uniform(-1, 1, (6, 6))
    m = 0.5 * (m + m.T)
    np.fill_diagonal(m, 1.0)
    assert check_correlation(m)  # random entries are almost never jointly consistent
    fixed = nearest_correlation(m)
    assert check_correlation(fixed) == []
    best = np.linalg.norm(fixed - m)
    for _ in range(200):
        # Random nearby valid correlation matrices: shrink the repaired one towards a random one.
        g = rng.normal(size=(6, 6))
        other = g @ g.T
        other /= np.sqrt(np.outer(np.diag(other), np.diag(other)))
        w = rng.uniform(0.0, 0.2)
        assert np.linalg.norm((1 - w) * fixed + w * other - m) >= best - 1e-9


def test_valid_matrix_comes_back_unchanged_as_a_copy():
    out = nearest_correlation(TARGET)
    np.testing.assert_array_equal(out, TARGET)
    assert out is not TARGET
    out[0, 1] = 0.0
    assert TARGET[0, 1] == 0.7


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.ones((2, 3)), "not a non-empty square matrix"),
        ([[1.0, np.nan], [np.nan, 1.0]], "non-finite"),
        ([[1.0, 0.5], [0.4, 1.0]], "not symmetric"),
        ([[0.9, 0.0], [0.0, 1.0]], "diagonal entries other than 1"),
        ([[1.0, 1.5], [1.5, 1.0]], "outside [-1, 1]"),
        (INCONSISTENT, "not positive semidefinite"),
    ],
)
def test_check_correlation_names_each_problem(matrix, message):
    problems = check_correlation(matrix)
    assert any(message in p for p in problems), problems


def test_check_correlation_accepts_valid_and_semidefinite_matrices():
    assert check_correlation(TARGET) == []
    assert check_correlation(np.ones((3, 3))) == []  # rank one, but a valid correlation matrix
    assert check_correlation([[1.0]]) == []


def test_spearman_matches_known_values():
    x = np.arange(10.0)
    data = np.column_stack([x, x**3, -np.exp(x)])
    np.testing.assert_allclose(spearman(data), [[1, 1, -1], [1, 1, -1], [-1, -1, 1]], atol=1e-12)
    # One swapped pair in 5: rho = 1 - 6 * sum(d^2) / (n (n^2 - 1)) = 1 - 6 * 2 / 120 = 0.9.
    pair = np.array([[1, 2], [2, 1], [3, 3], [4, 4], [5, 5]], dtype=float)
    assert spearman(pair)[0, 1] == pytest.approx(0.9)


@settings(max_examples=60, deadline=None)
@given(
    u=st.integers(2, 4).flatmap(
        lambda d: arrays(np.float64, st.tuples(st.integers(1, 40), st.just(d)),
                         elements=st.floats(-1e6, 1e6, allow_nan=False))
    ),
    rho=st.floats(-0.95, 0.95),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_column_stays_a_permutation_of_itself(u, rho, seed):
    d = u.shape[1]
    target = np.full((d, d), rho / (d - 1) if rho < 0 else rho)  # equicorrelation >= -1/(d-1)
    np.fill_diagonal(target, 1.0)
    rng = np.random.default_rng(seed)
    # no refusal, even with as few rows as columns (a short last chunk) or collinear scores
    out = induce_rank_correlation(u, target, rng=rng)
    np.testing.assert_array_equal(np.sort(out, axis=0), np.sort(u, axis=0))


@pytest.mark.parametrize("seed", range(6))
def test_average_ranks_equal_scipy_rankdata_with_ties(seed):
    from scipy.stats import rankdata

    from simulator.stats.correlation import average_ranks

    rng = np.random.default_rng(seed)
    x = rng.normal(size=int(rng.integers(1, 3000))).astype(np.float32)
    if seed % 2:
        x = np.round(x * 2)  # many ties, as a discrete input gives
    got = average_ranks(x)
    assert got.dtype == np.float64
    assert np.array_equal(got, rankdata(x))


def test_average_ranks_of_a_sample_with_nan_are_nan():
    from simulator.stats.correlation import average_ranks

    assert np.isnan(average_ranks(np.array([1.0, np.nan, 2.0]))).all()


def test_stable_row_order_equals_a_stable_argsort_with_and_without_ties():
    from simulator.stats.correlation import stable_row_order

    rng = np.random.default_rng(4)
    a = rng.standard_normal((4, 5000))
    a[1, ::3] = 0.5            # many ties
    a[2, 10:20] = a[2, 5]      # a few
    a[3, 7] = np.nan
    for x in (a, a[:1]):
        assert np.array_equal(stable_row_order(x), np.argsort(x, axis=1, kind="stable"))
