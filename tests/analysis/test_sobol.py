"""Sobol indices: the Ishigami function and a linear model against their analytic indices."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.analysis.sobol import ab_matrices, saltelli_matrices, sobol_indices, stacked_rows

A_ISHIGAMI, B_ISHIGAMI = 7.0, 0.1


def ishigami(u: np.ndarray) -> np.ndarray:
    """Ishigami function of uniforms u in [0, 1), shape (..., 3), mapped to [-pi, pi)."""
    x = -np.pi + 2.0 * np.pi * u
    return np.sin(x[..., 0]) + A_ISHIGAMI * np.sin(x[..., 1]) ** 2 \
        + B_ISHIGAMI * x[..., 2] ** 4 * np.sin(x[..., 0])


def ishigami_indices() -> tuple[np.ndarray, np.ndarray]:
    """Analytic S1 and ST (Saltelli et al. 2008, Global Sensitivity Analysis, section 4.4)."""
    a, b, pi = A_ISHIGAMI, B_ISHIGAMI, np.pi
    v1 = 0.5 * (1.0 + b * pi**4 / 5.0) ** 2
    v2 = a**2 / 8.0
    v13 = 8.0 * b**2 * pi**8 / 225.0
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def run(model, a: np.ndarray, b: np.ndarray, **kwargs):
    return sobol_indices(model(a), model(b), model(ab_matrices(a, b)), **kwargs)


def test_analytic_ishigami_values_match_the_literature():
    s1, st = ishigami_indices()
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=1e-4)


@pytest.mark.parametrize("seed", [0, 1])
def test_ishigami_indices_from_scrambled_sobol(seed):
    """At n = 2**14 the largest error over 30 seeds was 0.0025; 0.01 leaves a factor of 4."""
    rng = np.random.default_rng(seed)
    a, b = saltelli_matrices(2**14, 3, rng=rng)
    table = run(ishigami, a, b, rng=rng)
    s1, st = ishigami_indices()
    assert list(table.columns) == ["S1", "S1_conf", "ST", "ST_conf"]
    np.testing.assert_allclose(table["S1"], s1, atol=0.01)
    np.testing.assert_allclose(table["ST"], st, atol=0.01)
    covered = np.r_[np.abs(table["S1"] - s1) <= table["S1_conf"],
                    np.abs(table["ST"] - st) <= table["ST_conf"]]
    assert covered.sum() >= 5
    assert np.all(table[["S1_conf", "ST_conf"]].to_numpy() < 0.05)


def test_bootstrap_intervals_have_their_nominal_coverage_on_random_samples():
    """With independent rows the bootstrap is exact in the limit: 60 intervals at 95% should
    miss about 3 (the standardised errors have RMS 1.0 +/- 0.1 over 6 blocks of seeds tried)."""
    s1, st = ishigami_indices()
    standardised, covered = [], 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        a, b = rng.random((4096, 3)), rng.random((4096, 3))
        table = run(ishigami, a, b, rng=rng, confidence=0.95)
        error = np.r_[table["S1"] - s1, table["ST"] - st]
        half = np.r_[table["S1_conf"], table["ST_conf"]]
        covered += int(np.sum(np.abs(error) <= half))
        standardised.extend(error / (half / 1.959964))
    assert covered >= 50
    assert 0.7 < np.sqrt(np.mean(np.square(standardised))) < 1.4


def test_linear_model_indices_are_squared_weights():
    """f = sum c_i x_i with equal-variance independent inputs: S1_i = ST_i = c_i^2 / sum c_j^2.
    The additive model makes both estimators nearly exact (error < 1e-3 over 30 seeds)."""
    weights = np.array([1.0, 2.0, 3.0, 0.0])
    rng = np.random.default_rng(2)
    a, b = saltelli_matrices(2**12, 4, rng=rng)
    table = run(lambda u: u @ weights, a, b, names=["w", "x", "y", "z"])
    expected = weights**2 / np.sum(weights**2)
    assert list(table.index) == ["w", "x", "y", "z"]
    np.testing.assert_allclose(table["S1"], expected, atol=5e-3)
    np.testing.assert_allclose(table["ST"], expected, atol=5e-3)
    assert table[["S1_conf", "ST_conf"]].isna().all().all()


def test_a_large_output_level_does_not_add_noise():
    """Spend is large with a comparatively small spread. Uncentred, the S1 estimator's error
    would scale with the level (here 1e9 times the spread); centred, the indices are the same."""
    rng = np.random.default_rng(3)
    a, b = rng.random((2048, 3)), rng.random((2048, 3))
    plain = run(ishigami, a, b)
    shifted = run(lambda u: ishigami(u) + 1e9, a, b)
    np.testing.assert_allclose(shifted.to_numpy(), plain.to_numpy(), atol=1e-5, equal_nan=True)


def test_saltelli_matrices_are_reproducible_balanced_uniforms():
    a, b = saltelli_matrices(1024, 3, rng=np.random.default_rng(5))
    a2, b2 = saltelli_matrices(1024, 3, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b, b2)
    assert a.shape == b.shape == (1024, 3)
    assert np.all((a >= 0) & (a < 1) & (b >= 0) & (b < 1))
    # A scrambled Sobol net has exactly n / 2**k points in each dyadic interval of a column.
    for column in np.hstack([a, b]).T:
        np.testing.assert_array_equal(np.bincount((column * 64).astype(int), minlength=64), 16)
    # A and B are distinct dimensions of one sequence, hence unrelated.
    assert abs(np.corrcoef(a[:, 0], b[:, 0])[0, 1]) < 0.05
    unscrambled, _ = saltelli_matrices(8, 2, rng=np.random.default_rng(0), scramble=False)
    np.testing.assert_array_equal(unscrambled[0], 0.0)


def test_ab_matrices_swap_one_column():
    rng = np.random.default_rng(0)
    a, b = rng.random((5, 3)), rng.random((5, 3))
    ab = ab_matrices(a, b)
    assert ab.shape == (3, 5, 3)
    for i in range(3):
        np.testing.assert_array_equal(ab[i][:, i], b[:, i])
        np.testing.assert_array_equal(np.delete(ab[i], i, axis=1), np.delete(a, i, axis=1))


@pytest.mark.parametrize("n", [0, 1000, 3])
def test_sample_size_must_be_a_power_of_two(n):
    with pytest.raises(ValueError, match="power of two"):
        saltelli_matrices(n, 2, rng=np.random.default_rng(0))


def test_mismatched_shapes_raise():
    rng = np.random.default_rng(0)
    f = rng.random(8)
    with pytest.raises(ValueError, match="same shape"):
        ab_matrices(rng.random((8, 3)), rng.random((8, 2)))
    with pytest.raises(ValueError, match="same length"):
        sobol_indices(f, f[:7], rng.random((3, 8)))
    with pytest.raises(ValueError, match=r"shape \(d, 8\)"):
        sobol_indices(f, f, rng.random((3, 7)))
    with pytest.raises(ValueError, match=r"shape \(d, 8\)"):
        sobol_indices(f, f, rng.random(8))
    with pytest.raises(ValueError, match="names has 2 entries"):
        sobol_indices(f, f, rng.random((3, 8)), names=["a", "b"])


def test_bad_values_raise():
    rng = np.random.default_rng(0)
    f = rng.random(8)
    with pytest.raises(ValueError, match="zero variance"):
        sobol_indices(np.ones(8), np.ones(8), np.ones((2, 8)))
    with pytest.raises(ValueError, match="finite"):
        sobol_indices(np.r_[f[:7], np.nan], f, rng.random((2, 8)))
    with pytest.raises(ValueError, match="confidence"):
        sobol_indices(f, f + 1, rng.random((2, 8)), rng=rng, confidence=1.0)
    with pytest.raises(ValueError, match="n_bootstrap"):
        sobol_indices(f, f + 1, rng.random((2, 8)), rng=rng, n_bootstrap=1)


def test_stacked_rows_equal_the_explicit_stack():
    rng = np.random.default_rng(2)
    a, b = rng.random((8, 3)), rng.random((8, 3))
    stack = np.concatenate([a, b, *ab_matrices(a, b)])
    for lo, hi in [(0, 40), (5, 21), (16, 17), (39, 40), (7, 7)]:
        np.testing.assert_array_equal(stacked_rows(a, b, lo, hi), stack[lo:hi])
