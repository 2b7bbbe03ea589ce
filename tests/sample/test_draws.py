"""Randomness: per-input streams, reproducibility, and a stochastic mean against its analytic value."""

from __future__ import annotations

import math

import numpy as np

from simulator import load_scenario, simulate
from simulator.io.loading import scenario_from_dict
from simulator.run.plan import chunk_rng
from simulator.sample.draws import sample
from tests.conftest import BASE


def test_same_seed_same_numbers_bit_for_bit():
    s = load_scenario(BASE)
    a = simulate(s, trials=3000, seed=7, chunk_size=1000)
    b = simulate(s, trials=3000, seed=7, chunk_size=1000)
    c = simulate(s, trials=3000, seed=8, chunk_size=1000)
    np.testing.assert_array_equal(a.annual, b.annual)
    np.testing.assert_array_equal(a.npv, b.npv)
    assert not np.array_equal(a.npv, c.npv)


def test_adding_an_input_leaves_other_draws_unchanged(tiny):
    tiny["suppliers"]["a"]["price_per_unit"] = {"dist": "lognormal", "low": 5, "high": 15}
    before = sample(scenario_from_dict(tiny), 500, rng=chunk_rng(3, 0))
    tiny["suppliers"]["c"] = {"price_per_unit": {"dist": "uniform", "low": 1, "high": 2},
                              "kw_per_unit": 1}
    tiny["energy"]["pue"] = {"dist": "uniform", "low": 1.1, "high": 1.3}
    after = sample(scenario_from_dict(tiny), 500, rng=chunk_rng(3, 0))
    np.testing.assert_array_equal(before["suppliers.a.price_per_unit"],
                                  after["suppliers.a.price_per_unit"])
    np.testing.assert_array_equal(before.demand_noise, after.demand_noise)


def test_inputs_get_independent_streams(tiny):
    for key in ("price_per_unit",):
        tiny["suppliers"]["a"][key] = {"dist": "uniform", "low": 0, "high": 1}
        tiny["suppliers"]["b"][key] = {"dist": "uniform", "low": 0, "high": 1}
    d = sample(scenario_from_dict(tiny), 20_000, rng=chunk_rng(0, 0))
    r = np.corrcoef(d["suppliers.a.price_per_unit"], d["suppliers.b.price_per_unit"])[0, 1]
    assert abs(r) < 4 / math.sqrt(20_000)


def test_stochastic_mean_within_four_standard_errors(tiny):
    """Only supplier a's price is uncertain (lognormal), so spend is linear in it and the mean
    of cumulative spend is known: fixed part + E[price] * (spend per unit of price)."""
    median, sigma = 10.0, 0.4
    tiny["suppliers"]["a"]["price_per_unit"] = {"dist": "lognormal", "median": median,
                                                "sigma": sigma}
    tiny["strategies"] = {"only_a": {"shares": {"a": 1}}}
    results = simulate(scenario_from_dict(tiny), trials=50_000, seed=11)
    # by hand (see test_closed_form): purchases 100, 50, 175 at price p0 / 1.25^t
    chips_per_price = 100 + 50 / 1.25 + 175 / 1.25**2
    tiny_fixed = hand_fixed_other()
    expected = tiny_fixed + median * math.exp(sigma**2 / 2) * chips_per_price
    total = results.cumulative()[0]
    se = total.std(ddof=1) / math.sqrt(total.size)
    assert abs(total.mean() - expected) < 4 * se


def hand_fixed_other() -> float:
    """Spend of the tiny scenario's only_a strategy other than chips: buildings, energy,
    operations, and servers at 5 per unit falling 25% a year (100, 50, 175 units)."""
    power_mw = np.array([0.2, 0.25, 0.1375])
    servers = 100 * 5.0 + 50 * 4.0 + 175 * 3.2
    return float(np.sum(np.array([0.2, 0.05, 0.0]) * 1000 + power_mw * 8760 * 0.5 * 1.2 * 100
                        + power_mw * 300)) + servers


def test_strategies_share_the_same_draws():
    """Common random numbers: demand is identical across strategies."""
    s = load_scenario(BASE)
    r = simulate(s, trials=2000, seed=3, keep_spend=True)
    assert r.inputs["demand.growth.initial"].shape == (2000,)
    # both strategies put the same 2025 chips into service (identical shares that year)
    np.testing.assert_array_equal(r.installed_gw[0, :, 0], r.installed_gw[1, :, 0])
    np.testing.assert_array_equal(r.demand_units, simulate(s, trials=2000, seed=3).demand_units)
