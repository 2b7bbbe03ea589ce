"""The funding view's one pass over the cash need gives what Results' per-trial methods give."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import load_scenario, simulate
from simulator.results import tables
from simulator.stats.mc_error import percentile
from tests.funding_reference import funding_gap


@pytest.mark.parametrize("block", [tables.CASH_BLOCK, 1000])
def test_cash_pass_equals_the_cash_need_read_one_end_at_a_time(block, monkeypatch):
    monkeypatch.setattr(tables, "CASH_BLOCK", block)  # one block, and several with a last short
    scenario = load_scenario("scenarios/base.yaml")  # revenue, raises and a funding claim
    r = simulate(scenario, trials=3000, seed=3, workers=1, progress=False)
    n_years = len(r.years)
    ends = [1, 6, n_years]
    gaps, peak, need_q = tables.cash_pass(r, ends, summaries=True)
    assert sorted(gaps) == ends
    for i in range(len(r.strategies)):
        # by hand, trial-major: what the year-major pass must reproduce bit for bit
        need = np.cumsum(r.annual[i].astype(np.float64)
                         + (r.interest - r.operating_cash_flow).astype(np.float64), axis=1)
        np.testing.assert_array_equal(r.cash_need(i), need)
        for t in ends:
            gap, year = funding_gap(need[:, :t], r.funding[:, :t], r.years[:t])
            np.testing.assert_array_equal(gaps[t][0][i], gap)
            np.testing.assert_array_equal(gaps[t][1][i], year)
        np.testing.assert_array_equal(peak[i], np.maximum(need.max(axis=1), 0.0))
        np.testing.assert_array_equal(need_q[i], percentile(need, tables.PERCENTILES, axis=0))
    assert (gaps[n_years][0] > 0).any() and np.isfinite(gaps[n_years][1]).any()
