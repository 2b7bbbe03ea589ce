"""Funding gaps: several horizon ends in one pass give what one end at a time gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from simulator.model import finance as fi
from tests.funding_reference import funding_gap


def test_funding_gap_by_hand():
    # need 10, 30, 60; funding 20, 20, 100: short -10, 10, -40 -> gap opens in the second year
    need = np.array([[10.0, 30.0, 60.0]])
    funding = np.array([[20.0, 20.0, 100.0]])
    gap, year = funding_gap(need, funding, np.array([2025, 2026, 2027]))
    assert gap[0] == 10.0 and year[0] == 2026.0
    gaps = fi.funding_gaps(need.T, funding.T, 2025, [1, 2, 3])
    assert gaps[1][0][0] == 0.0 and np.isinf(gaps[1][1][0])
    assert gaps[2][0][0] == 10.0 and gaps[2][1][0] == 2026.0
    assert gaps[3][0][0] == 10.0 and gaps[3][1][0] == 2026.0


@settings(max_examples=60, deadline=None)
@given(seed=hs.integers(0, 2**32 - 1), n_years=hs.integers(1, 12), n=hs.integers(1, 40),
       nan=hs.booleans())
def test_funding_gaps_equal_funding_gap_at_every_end(seed, n_years, n, nan):
    rng = np.random.default_rng(seed)
    # whole numbers make exact ties and zero shortfalls common
    need = np.cumsum(rng.integers(-3, 4, (n, n_years)), axis=1).astype(np.float64)
    funding = np.cumsum(rng.integers(0, 3, (n, n_years)), axis=1).astype(np.float32)
    if nan:
        need[rng.random((n, n_years)) < 0.1] = np.nan
    years = np.arange(2025, 2025 + n_years)
    ends = sorted({int(e) for e in rng.integers(1, n_years + 1, 3)})
    gaps = fi.funding_gaps(np.ascontiguousarray(need.T), np.ascontiguousarray(funding.T),
                           2025, ends)
    assert sorted(gaps) == ends
    for t in ends:
        gap, year = funding_gap(need[:, :t], funding[:, :t], years[:t])
        np.testing.assert_array_equal(gaps[t][0], gap)
        np.testing.assert_array_equal(gaps[t][1], year)
        assert np.array_equal(np.signbit(gaps[t][0]), np.signbit(gap))
