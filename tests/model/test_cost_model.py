"""The cost formulas, tested one by one on small arrays (trial axis last)."""

from __future__ import annotations

import numpy as np

from simulator.model import cost_model as cm
from simulator.model import finance as fi
from simulator.model import sourcing as so


def test_demand_path_deterministic_growth_with_decay():
    z = np.zeros((4, 1))
    d = cm.demand_path(np.array([10.0]), np.array([1.0]), np.array([0.5]), np.array([0.0]), z)
    # growth 100%, then 50%, then 25%
    np.testing.assert_allclose(d[:, 0], [10, 20, 30, 37.5], rtol=1e-12)


def test_demand_noise_has_mean_one():
    n, years = 400_000, 3
    z = np.random.default_rng(2).standard_normal((years, n))
    d = cm.demand_path(np.full(n, 1.0), np.full(n, 0.2), np.zeros(n), np.full(n, 0.3), z)
    expected = 1.2 ** np.arange(years)
    se = d.std(axis=1) / np.sqrt(n)
    assert np.all(np.abs(d.mean(axis=1) - expected) < 4 * se + 1e-12)


def test_survival_clips_fractional_lifetimes():
    s = cm.survival(np.array([2.0, 2.5]), np.array([-1.0, 0.0, 1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(s.T, [[0, 1, 1, 0, 0], [0, 1, 1, 0.5, 0]])


def test_fleet_in_service_and_units_needed():
    """Lifetime 2: a vintage serves in its purchase year and the next."""
    surv = cm.survival_by_age(np.array([2.0]), 4)
    np.testing.assert_array_equal(surv[:, 0], [1, 1, 0, 0])
    bought = np.array([[100.0], [50.0], [70.0], [50.0]])
    np.testing.assert_allclose(cm.in_service(bought, surv)[:, 0], [100, 150, 120, 120])


def test_in_service_equals_the_year_by_vintage_sum():
    """The convolution over ages equals sum_v per_vintage[v] * S(t - v) for fractional lives."""
    rng = np.random.default_rng(3)
    n_years, n = 9, 50
    lifetime = rng.uniform(0.5, 7.5, n)
    bought = rng.uniform(0, 100, (n_years, n))
    t, v = np.meshgrid(np.arange(n_years), np.arange(n_years), indexing="ij")
    matrix = cm.survival(lifetime, (t - v).ravel()).reshape(n_years, n_years, n)
    expected = np.einsum("tvn,vn->tn", matrix, bought)
    got = cm.in_service(bought, cm.survival_by_age(lifetime, n_years))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    contract = cm.in_service(bought, fi.contract_by_age(3, n_years))
    np.testing.assert_allclose(contract[5], bought[3:6].sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(cm.units_needed(np.array([120.0, 50.0]),
                                               np.array([100.0, 80.0])), [20, 0])


def test_legacy_fleet_retires_at_end_of_life():
    legacy = cm.legacy_in_service(np.array([60.0]), np.array([3.0]), 4)
    np.testing.assert_allclose(legacy[:, 0], [60, 60, 0, 0])  # bought the year before the start


def test_datacentre_capacity_only_grows():
    build = cm.datacentre_build_mw(np.array([[5.0], [8.0], [6.0], [9.0]]), np.array([4.0]))
    np.testing.assert_allclose(build[:, 0], [1, 3, 0, 1])


def test_energy_and_discount():
    e = cm.energy_cost(np.array([[1.0]]), np.array([0.5]), np.array([1.2]), np.array([100.0]))
    assert e[0, 0] == 8760 * 0.5 * 1.2 * 100
    np.testing.assert_allclose(cm.discount_factors(np.array([0.1]), 3)[:, 0],
                               [1, 1 / 1.1, 1 / 1.21])


def test_trend():
    np.testing.assert_allclose(cm.trend(np.array([8.0]), np.array([1.0]), 3)[:, 0],
                               [8, 4, 2])


def test_program_costs_by_hand():
    cost = so.program_costs(np.array([1000.0]), np.array([100.0]), start_offset=-1,
                            generation_years=2, n_generations=3, n_years=4)
    # designs start at offsets -1 (sunk), 1 and 3
    np.testing.assert_allclose(cost[:, 0], [100, 1100, 100, 1100])


def test_capacity_ramp_and_ceiling():
    cap = so.capacity_path(np.array([10.0]), np.array([1.0]), np.array([35.0]),
                           np.array([1.0]), 5)
    np.testing.assert_allclose(cap[:, 0], [10, 10, 20, 35, 35])


def test_running_and_powers_equal_numpy():
    x = np.random.default_rng(5).normal(size=(7, 30))
    np.testing.assert_array_equal(cm.running(np.add, x), np.cumsum(x, axis=0))
    np.testing.assert_array_equal(cm.running(np.maximum, x), np.maximum.accumulate(x, axis=0))
    base = np.array([0.5, 0.97, 1.3])
    np.testing.assert_allclose(cm.powers(base, 12), base ** np.arange(12)[:, None], rtol=1e-14)
