"""The cost formulas, tested one by one on small arrays."""

from __future__ import annotations

import numpy as np

from simulator import cost_model as cm


def test_demand_path_deterministic_growth_with_decay():
    z = np.zeros((1, 4))
    d = cm.demand_path(np.array([10.0]), np.array([1.0]), np.array([0.5]), np.array([0.0]), z)
    # growth 100%, then 50%, then 25%
    np.testing.assert_allclose(d[0], [10, 20, 30, 37.5], rtol=1e-12)


def test_demand_noise_has_mean_one():
    n, years = 400_000, 3
    z = np.random.default_rng(2).standard_normal((n, years))
    d = cm.demand_path(np.full(n, 1.0), np.full(n, 0.2), np.zeros(n), np.full(n, 0.3), z)
    expected = 1.2 ** np.arange(years)
    se = d.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(d.mean(axis=0) - expected) < 4 * se + 1e-12)


def test_survival_clips_fractional_lifetimes():
    s = cm.survival(np.array([2.0, 2.5]), np.array([-1.0, 0.0, 1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(s, [[0, 1, 1, 0, 0], [0, 1, 1, 0.5, 0]])


def test_fleet_purchases_replace_retirements_and_never_sell():
    demand = np.array([[100.0, 150.0, 120.0, 120.0]])
    legacy = np.zeros((1, 4))
    p, in_service = cm.fleet_purchases(demand, np.array([2.0]), legacy)
    # 2026: +50; 2027: 100 retire, 50 alive -> buy 70; 2028: 50 retire, 70 alive -> buy 50
    np.testing.assert_allclose(p[0], [100, 50, 70, 50])
    np.testing.assert_allclose(in_service[0].sum(axis=1), [100, 150, 120, 120])
    # a fall in demand keeps the surplus
    p2, _ = cm.fleet_purchases(np.array([[100.0, 50.0]]), np.array([5.0]), np.zeros((1, 2)))
    np.testing.assert_allclose(p2[0], [100, 0])


def test_legacy_fleet_retires_at_end_of_life():
    legacy = cm.legacy_in_service(np.array([60.0]), np.array([3.0]), 4)
    np.testing.assert_allclose(legacy[0], [60, 60, 0, 0])  # bought the year before the start


def test_datacentre_capacity_only_grows():
    build = cm.datacentre_build_mw(np.array([[5.0, 8.0, 6.0, 9.0]]), np.array([4.0]))
    np.testing.assert_allclose(build[0], [1, 3, 0, 1])


def test_energy_and_discount():
    e = cm.energy_cost(np.array([[1.0]]), np.array([0.5]), np.array([1.2]), np.array([100.0]))
    assert e[0, 0] == 8760 * 0.5 * 1.2 * 100
    np.testing.assert_allclose(cm.discount_factors(np.array([0.1]), 3)[0], [1, 1 / 1.1, 1 / 1.21])


def test_trend():
    np.testing.assert_allclose(cm.trend(np.array([8.0]), np.array([1.0]), np.arange(3))[0],
                               [8, 4, 2])
