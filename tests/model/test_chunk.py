"""Degenerate scenarios with every input fixed: spend computed by hand, matched to 1e-9."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import simulate
from simulator.io.loading import scenario_from_dict
from tests.conftest import ENGINE_RTOL

HOURS = 8760.0


def hand_computed_tiny() -> dict[str, np.ndarray]:
    """Spend of the tiny scenario (tests/conftest.py), year by year, worked out by hand.

    Demand 100 -> 150 -> 225 units (growth 50%, no decay). Lifetime 2: a chip serves in its
    purchase year and the next. Purchases: 100 (2025); 150 - 100 alive = 50 (2026); the 2025
    chips retire, so 225 - 50 = 175 (2027).
    """
    purchases = np.array([100.0, 50.0, 175.0])
    # 2 kW per unit halving each year (both suppliers); installed power [kW]:
    # 2025: 100*2; 2026: 100*2 + 50*1; 2027: 50*1 + 175*0.5
    power_mw = np.array([200.0, 250.0, 137.5]) / 1000
    build_mw = np.array([0.2, 0.05, 0.0])       # capacity only grows: 0.2, 0.25, 0.25
    other = (build_mw * 1000                     # data centre at 1000 USD/MW
             + power_mw * HOURS * 0.5 * 1.2 * 100  # energy: util 0.5, PUE 1.2, 100 USD/MWh
             + power_mw * 300)                   # O&M 300 USD per MW-year
    price_a = np.array([10.0, 8.0, 6.4])        # 10 / 1.25^t
    price_b = np.array([4.0, 4.0, 4.0])
    chips_only_a = purchases * price_a
    share_b = np.array([0.0, 0.5, 1.0])         # linear between 2025 (all a) and 2027 (all b)
    chips_a_to_b = purchases * ((1 - share_b) * price_a + share_b * price_b)
    servers = purchases * 5.0 / 1.25 ** np.arange(3)  # 5 per unit, falling 25% a year
    return {
        "only_a": chips_only_a + servers + other,
        "a_to_b": chips_a_to_b + servers + other,
        "chips_only_a": chips_only_a,
        "power_mw": power_mw,
    }


def test_tiny_scenario_matches_hand_calculation(tiny):
    results = simulate(scenario_from_dict(tiny), trials=3, seed=5, keep_spend=True)
    expected = hand_computed_tiny()
    discount = 1.1 ** -np.arange(3)
    for i, strategy in enumerate(results.strategies):
        for trial in range(3):
            # exact to the rounding of the engine's float32 arithmetic
            np.testing.assert_allclose(results.spend[i, trial].sum(axis=-1), expected[strategy],
                                       rtol=ENGINE_RTOL)
            np.testing.assert_allclose(results.npv[i, trial], expected[strategy] @ discount,
                                       rtol=ENGINE_RTOL)
        # stored per-trial paths are float32
        np.testing.assert_allclose(results.annual[i], np.tile(expected[strategy], (3, 1)),
                                   rtol=1e-6)
        np.testing.assert_allclose(results.cumulative()[i], expected[strategy].sum(), rtol=1e-6)
        np.testing.assert_allclose(results.installed_gw[i, 0], expected["power_mw"] / 1000,
                                   rtol=1e-6)  # stored as float32
    j = results.categories.index("accelerators_a")
    np.testing.assert_allclose(results.spend[0, 0, :, j], expected["chips_only_a"], rtol=1e-6)


def test_cumulative_through_a_year(tiny):
    results = simulate(scenario_from_dict(tiny), trials=2)
    expected = hand_computed_tiny()["only_a"]
    np.testing.assert_allclose(results.cumulative(2026)[0], expected[:2].sum(), rtol=1e-6)
    with pytest.raises(ValueError, match="outside the horizon"):
        results.cumulative(2030)


def test_gw_start_level_reproduces_the_stated_gw(tiny):
    """A start level in GW converts so that the baseline's start-year power equals it."""
    tiny["demand"] = {"kw_per_unit": 1.5, "start": {"gw": 1.9}, "before_start": {"gw": 0.6},
                      "growth": {"initial": 0.5}}
    tiny["fleet"]["lifetime_years"] = 5
    results = simulate(scenario_from_dict(tiny), trials=2)
    np.testing.assert_allclose(results.installed_gw[0, :, 0], 1.9, rtol=1e-6)
    # the pre-start fleet (0.6 GW at 1.5 kW/unit) plus 1.3 GW of new chips at 2 kW/unit
    np.testing.assert_allclose(results.demand_units[:, 0], 0.6e6 / 1.5 + 1.3e6 / 2, rtol=1e-6)


def test_no_growth_constant_demand_replaces_retired_chips(tiny):
    """With flat demand and lifetime 1 every year's fleet is bought anew."""
    tiny["demand"]["growth"]["initial"] = 0.0
    tiny["fleet"]["lifetime_years"] = 1
    tiny["suppliers"]["a"]["price_performance_gain"] = 0.0
    results = simulate(scenario_from_dict(tiny), trials=1, keep_spend=True)
    j = results.categories.index("accelerators_a")
    np.testing.assert_allclose(results.spend[0, 0, :, j], [1000.0, 1000.0, 1000.0], rtol=1e-7)


def test_to_frame_is_tidy(tiny):
    results = simulate(scenario_from_dict(tiny), trials=2, keep_spend=True)
    frame = results.to_frame()
    assert len(frame) == 2 * 2 * 3  # strategies x trials x years
    row = frame[(frame.strategy == "only_a") & (frame.trial == 1) & (frame.year == 2027)].iloc[0]
    assert row["spend"] == pytest.approx(hand_computed_tiny()["only_a"][2], rel=1e-6)
    assert row["accelerators_a"] == pytest.approx(175 * 6.4)
