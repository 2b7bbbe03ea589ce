"""Percentiles read off sorted samples are NumPy's, bit for bit."""

import numpy as np
import pytest

from simulator.stats.mc_error import (
    axis_last,
    median_of_sorted,
    percentile,
    percentile_of_sorted,
    percentiles_with_se,
)

LEVELS = [
    [5, 25, 50, 75, 95],
    [0, 100],
    [0.5, 99.5, 50],
    list(np.array([0.05, 0.95, 0.5 - 1e-3, 0.5 + 1e-3, 0.0427, 0.9573]) * 100),
]


def _same(a, b) -> bool:
    a, b = np.atleast_1d(a), np.atleast_1d(b)
    return a.dtype == b.dtype and a.shape == b.shape and \
        np.array_equal(a.view(np.uint8), b.view(np.uint8))


def _same_or_nan(a, b) -> bool:
    nan = np.isnan(a)
    return bool(np.array_equal(nan, np.isnan(b)) and _same(a[~nan], b[~nan]))


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 101, 1000, 4096])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("method", ["linear", "inverted_cdf"])
def test_of_sorted_matches_numpy(n, dtype, method):
    rng = np.random.default_rng(n)
    x = (rng.lognormal(3, 2, size=(3, n)) * rng.choice([-1, 1], size=(3, n))).astype(dtype)
    x[1, : n // 3] = x[1, 0]  # ties
    ordered = np.sort(x, axis=-1)
    for q in LEVELS:
        assert _same(percentile_of_sorted(ordered, q, method=method),
                     np.percentile(x, q, axis=-1, method=method))


def test_nan_inf_and_scalar_q_match_numpy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 999))
    x[0, 5] = np.nan
    x[1, :10] = np.inf
    x[2, -3:] = -np.inf
    ordered = np.sort(x, axis=-1)
    for method in ("linear", "inverted_cdf"):
        got = percentile_of_sorted(ordered, [5, 50, 95], method=method)
        want = np.percentile(x, [5, 50, 95], axis=-1, method=method)
        # NumPy before 2 writes a NaN with other payload bits where a row holds NaN: the same value
        same = _same if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else _same_or_nan
        assert same(got, want)
    assert _same(percentile_of_sorted(ordered[3], 10), np.percentile(x[3], 10))


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_percentile_of_float32_as_float64_matches_numpy(axis):
    rng = np.random.default_rng(2)
    x = rng.lognormal(size=(5000, 11)).astype(np.float32)
    x[:100, 3] = 0.0
    want = np.percentile(x.astype(np.float64), [5, 25, 50, 75, 95], axis=axis)
    assert _same(percentile(x, [5, 25, 50, 75, 95], axis=axis, dtype=np.float64), want)
    # -0.0 next to 0.0: sorted after the conversion, as the caller's numbers are
    x[:50, 3] = -0.0
    want = np.percentile(x.astype(np.float64), [1, 50], axis=axis)
    assert _same(percentile(x, [1, 50], axis=axis, dtype=np.float64), want)


def test_percentiles_with_se_unchanged():
    x = np.random.default_rng(3).normal(size=(7, 20_001))
    q, se = percentiles_with_se(x, (5, 25, 50, 75, 95), axis=1)
    p = np.array([5, 25, 50, 75, 95]) / 100
    s = 1.96 * np.sqrt(p * (1 - p) / x.shape[1])
    levels = np.concatenate([p, np.clip(p - s, 0, 1), np.clip(p + s, 0, 1)]) * 100
    got = np.percentile(x, levels, axis=1)
    assert _same(q, got[:5])
    assert _same(se, (got[10:] - got[5:10]) / (2 * 1.96))


@pytest.mark.parametrize("n", [1, 2, 3, 8, 9, 10, 11, 1000, 1001])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scalar_percentile_and_median_of_sorted_match_numpy(n, dtype):
    rng = np.random.default_rng(n)
    x = np.sort(rng.lognormal(2, 3, size=n).astype(dtype))
    for q in (0, 0.5, 10, 25, 50, 90, 99.5, 100, 33.3):
        got, want = percentile_of_sorted(x, q), np.percentile(x, q)
        assert type(got) is type(want) and _same(got, want)
    assert _same(median_of_sorted(x), np.median(x))
    x[-1] = np.nan
    assert np.isnan(percentile_of_sorted(x, 10)) and np.isnan(median_of_sorted(x))


@pytest.mark.parametrize("shape, axis", [((10_000, 11), 0), ((3, 9_000, 5), 1),
                                         ((9_000, 2, 3), 0), ((4, 5, 8_193), -1),
                                         ((8_193, 1), 0), ((7, 4_096), 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axis_last_is_moveaxis_copy(shape, axis, dtype):
    """The blocked copy is the plain one, element for element, for views and arrays whose moved
    axis spans several blocks, one block and a partial last one."""
    rng = np.random.default_rng(len(shape) + axis)
    x = rng.normal(size=shape).astype(dtype)
    x.flat[::97] = -0.0
    for v in (x, x[::2] if x.shape[0] > 2 else x):
        got = axis_last(v, axis)
        want = np.moveaxis(v, axis, -1).copy(order="C")
        assert got.flags.c_contiguous and got.shape == want.shape
        assert _same(got, want)


@pytest.mark.parametrize("axis", [0, 1])
def test_percentile_of_long_strided_samples_matches_numpy(axis):
    """Samples longer than a transpose block, along a strided axis: NumPy's numbers."""
    rng = np.random.default_rng(5)
    x = rng.lognormal(0, 1, size=(20_000, 6) if axis == 0 else (6, 20_000)).astype(np.float32)
    for q in LEVELS:
        assert _same(percentile(x, q, axis=axis),
                     np.percentile(x, q, axis=axis))
        assert _same(percentile(x, q, axis=axis, dtype=np.float64),
                     np.percentile(x.astype(np.float64), q, axis=axis))
