"""Streaming histograms: percentiles within the documented error, merging independent of chunks."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.stats.streaming import RELATIVE_ERROR, LogHistogram


def test_percentiles_within_documented_relative_error():
    rng = np.random.default_rng(0)
    x = np.exp(rng.normal(np.log(5e10), 1.5, size=(2, 3, 20_001)))
    x[0, 0, :5000] = 0.0  # a quarter of zeros, as for a supplier not used early on
    h = LogHistogram((2, 3))
    h.add(x, axis=2)
    q = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
    got = h.quantiles(q)
    # the order statistic the histogram targets
    exact = np.sort(x, axis=2)[..., np.floor(q * (x.shape[2] - 1)).astype(int)]
    exact = np.moveaxis(exact, -1, 0)
    np.testing.assert_allclose(got, exact, rtol=RELATIVE_ERROR * 1.0001)
    assert got[0, 0, 0] == 0.0  # P5 falls among the zeros
    np.testing.assert_allclose(h.mean(), x.mean(axis=2), rtol=1e-12)
    assert RELATIVE_ERROR < 0.001


def test_float32_values_fall_in_the_bins_of_their_float64_values():
    """The engine's float32 spend is binned from its own bits: same bins, sums and edges cases
    (zero, below LOW, at and beyond HIGH) as the same numbers in float64."""
    rng = np.random.default_rng(2)
    x = np.exp(rng.normal(np.log(5e10), 3.0, size=(3, 5000))).astype(np.float32)
    x[0, :7] = [0.0, 0.5, 1.0, 2.0**54, 3e17, 1.0000001, 2.0**53 * 1.9]
    h32, h64 = LogHistogram((3,)), LogHistogram((3,))
    h32.add(x, axis=1)
    h64.add(x.astype(np.float64), axis=1)
    np.testing.assert_array_equal(h32.counts, h64.counts)
    np.testing.assert_array_equal(h32.sums, h64.sums)


def test_merging_chunks_equals_one_pass():
    x = np.random.default_rng(1).lognormal(20, 2, size=(4, 1000))
    one = LogHistogram((4,))
    one.add(x, axis=1)
    parts = LogHistogram((4,))
    for lo in range(0, 1000, 137):
        parts.add(x[:, lo:lo + 137], axis=1)
    np.testing.assert_array_equal(one.counts, parts.counts)
    assert parts.n == 1000


def test_moments_merge_blocks_exactly():
    from simulator.stats.streaming import Moments

    rng = np.random.default_rng(2)
    x = 1e12 + 1e11 * rng.standard_normal((3, 10_000))
    x[1, ::7] = np.nan
    m = Moments((3,))
    for lo in range(0, 10_000, 999):
        m.add(x[:, lo:lo + 999], axis=1)
    np.testing.assert_allclose(m.mean, np.nanmean(x, axis=1), rtol=1e-14)
    se = np.nanstd(x, axis=1, ddof=1) / np.sqrt((~np.isnan(x)).sum(axis=1))
    np.testing.assert_allclose(m.se(), se, rtol=1e-10)
    np.testing.assert_array_equal(m.count, [10_000, 10_000 - 1429, 10_000])




def test_histogram_quantiles_equal_the_first_bin_whose_running_count_exceeds_the_rank():
    """The search over occupied bins gives the bins a running count over every bin gives."""
    from simulator.stats.streaming import HIGH, MIDDLES, LogHistogram

    rng = np.random.default_rng(5)
    h = LogHistogram((2, 3, 4))
    x = rng.lognormal(20, 4, size=(2, 700, 3, 4)) * (rng.random((2, 700, 3, 4)) > 0.4)
    x[0, :, 0, 0] = 0.0       # a cell of zeros only
    x[1, :5, 2, 3] = 1e17     # overflow
    h.add(x.astype(np.float32), axis=1)
    q = np.array([0.0, 0.003, 0.05, 0.5, 0.95, 0.999, 1.0])
    cum = np.cumsum(h.counts, axis=-1, dtype=np.int64)
    rank = np.floor(q * (h.n - 1)).astype(np.int64)
    values = np.concatenate([[0.0], MIDDLES, [HIGH]])
    expected = np.stack([values[np.argmax(cum > r, axis=-1)] for r in rank])
    assert np.array_equal(h.quantiles(q), expected)
    assert (h.quantiles(q)[:, 0, 0, 0] == 0).all()


def _reference_counts(x: np.ndarray) -> np.ndarray:
    """Counts from each value's bin computed on its own from the float64 number (the
    definition: octave and top mantissa bits, clipped to the underflow and overflow bins)."""
    from simulator.stats.streaming import BINS, EDGES

    v = x.astype(np.float64).reshape(-1, x.shape[-1])
    bins = np.searchsorted(EDGES, v, side="right")  # 0 below LOW, BINS + 1 at or above HIGH
    bins[np.isnan(v)] = BINS + 1
    counts = np.zeros((v.shape[0], BINS + 2), dtype=np.int64)
    for row, b in enumerate(bins):
        counts[row] = np.bincount(b, minlength=BINS + 2)
    return counts.reshape(*x.shape[:-1], BINS + 2)


def test_histogram_counts_equal_each_values_own_bin():
    """Rows of one bin, rows reaching below LOW or beyond HIGH, and ordinary rows, in float32
    and float64, give the counts of binning every value on its own."""
    rng = np.random.default_rng(11)
    x = rng.lognormal(15, 6, size=(3, 4, 3001))
    x[0, 0] = 0.0                      # one bin: all zero
    x[0, 1] = 7.25e9                   # one bin: a constant
    x[1, 0, :40] = 0.0                 # zeros among values
    x[1, 1, :3] = [2.0**54, 3e17, 1e30]  # at and beyond HIGH
    x[1, 2, :4] = [0.25, 1.0, 2.0**54 * 0.999, -0.0]
    x[2, 3] = 2.0**55                  # all beyond HIGH
    for values in (x, x.astype(np.float32)):
        h = LogHistogram((3, 4))
        sums = h.add(values, axis=2)
        np.testing.assert_array_equal(h.counts, _reference_counts(values))
        np.testing.assert_array_equal(sums, values.sum(axis=2, dtype=np.float64))


def test_moments_without_nan_equal_the_masked_path_bit_for_bit():
    """The common case (no NaN) skips the mask: the same count, mean and m2 to the last bit as
    the masked computation."""
    from simulator.stats.streaming import Moments

    rng = np.random.default_rng(3)
    x = 1e12 + 1e11 * rng.standard_normal((4, 5000))
    fast = Moments((4,))
    assert (fast.add(x, axis=1) == 5000).all()
    ok = np.ones_like(x, dtype=bool)
    n_b = ok.sum(axis=-1)
    mean_b = np.where(ok, x, 0.0).sum(axis=-1) / n_b
    m2_b = np.where(ok, (x - mean_b[..., None]) ** 2, 0.0).sum(axis=-1)
    masked = Moments((4,))
    masked.merge(n_b, mean_b, m2_b)
    assert fast.mean.tobytes() == masked.mean.tobytes()
    assert fast.m2.tobytes() == masked.m2.tobytes()
    assert np.array_equal(fast.count, masked.count)
    assert fast.mean.tobytes() == x.mean(axis=1).tobytes()


@pytest.mark.parametrize("n", [1, 577, 8193, 20_000])
def test_histogram_sums_equal_one_sum_over_all_cells(n):
    """Cells are binned a few at a time: their sums are the numbers one sum over every cell
    gives, to the last bit, and so are the counts of one pass."""
    rng = np.random.default_rng(n)
    x = rng.lognormal(20, 3, size=(5, 9, n)).astype(np.float32)
    x[1, 2] = 0.0
    h = LogHistogram((5, 9))
    sums = h.add(x, axis=2)
    assert sums.tobytes() == x.sum(axis=2, dtype=np.float64).tobytes()
    np.testing.assert_array_equal(h.counts, _reference_counts(x))


def test_moments_mask_only_the_cells_with_nan_bit_for_bit():
    """Cells without NaN take the unmasked formulas, cells of NaN only add nothing, cells with
    some NaN are masked: the same count, mean and m2 to the last bit as masking every cell."""
    from simulator.stats.streaming import Moments

    rng = np.random.default_rng(4)
    x = 1e12 + 1e11 * rng.standard_normal((2, 3, 4000))
    x[0, 1] = np.nan                      # a strategy without the metric
    x[1, 2, ::5] = np.nan                 # some trials without it
    x[1, 0, :3] = [np.inf, -np.inf, 1.0]  # inf - inf: NaN in the sum, none in the values
    mixed, masked = Moments((2, 3)), Moments((2, 3))
    with np.errstate(invalid="ignore"):
        count = mixed.add(np.moveaxis(x, 2, 1), axis=1)
        masked.merge(*Moments._masked(x))
    assert np.array_equal(count, masked.count)
    assert np.array_equal(count, [[4000, 0, 4000], [4000, 4000, 3200]])
    assert mixed.mean.tobytes() == masked.mean.tobytes()
    assert mixed.m2.tobytes() == masked.m2.tobytes()
