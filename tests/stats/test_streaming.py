"""Streaming histograms: percentiles within the documented error, merging independent of chunks."""

from __future__ import annotations

import numpy as np

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
