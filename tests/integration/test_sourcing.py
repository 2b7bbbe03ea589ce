"""Sourcing strategies: in-house program risk, fallbacks, shocks, caps and paired comparisons."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulator import load_scenario, simulate
from simulator.io.loading import scenario_from_dict
from simulator.model import sourcing as so
from tests.conftest import BASE, ENGINE_RTOL
from tests.model.test_chunk import hand_computed_tiny

OWN = {
    "kind": "inhouse", "unit_cost": 3, "kw_per_unit": 2, "power_efficiency_gain": 1.0,
    "program": {"start_year": 2024, "first_volume_year": 2025, "failure_probability": 0.0,
                "nre_per_generation": 1000, "team_cost_per_year": 100, "generation_years": 2},
    "capacity": {"first_year": 1e9},
}


def with_inhouse(tiny: dict, **program) -> dict:
    own = {**OWN, "program": {**OWN["program"], **program}}
    tiny["suppliers"]["own"] = own
    tiny["strategies"] = {"only_a": {"shares": {"a": 1}},
                          "mix": {"shares": {"a": 0.5, "own": 0.5}, "fallback": "a"}}
    return tiny


def test_failed_program_costs_exactly_its_program(tiny):
    """Failure probability 1: the in-house strategy is its fallback strategy plus the program.

    Program from 2024 with 2-year generations: NRE 1000 in 2024 (sunk, before the horizon) and
    2026; team 100 in each of 2025-2027: 1000 + 300 = 1300 within the horizon."""
    r = simulate(scenario_from_dict(with_inhouse(tiny, failure_probability=1.0)), trials=5,
                 keep_spend=True)
    total = r.spend.sum(axis=(2, 3))
    # a difference of totals: float32 rounding relative to the totals, not to 1300
    np.testing.assert_allclose(total[1] - total[0], 1300.0, rtol=0,
                               atol=ENGINE_RTOL * total.max())
    expected_program = np.array([100.0, 1100.0, 100.0])
    j = r.categories.index("inhouse_program")
    np.testing.assert_allclose(r.spend[1, 0, :, j], expected_program, rtol=1e-7)
    np.testing.assert_allclose(r.spend[0, 0].sum(axis=-1), hand_computed_tiny()["only_a"],
                               rtol=ENGINE_RTOL)
    assert np.all(r.inhouse_breakeven_year[1] == np.inf)
    np.testing.assert_allclose(r.inhouse_net_saving[1], -1300.0, rtol=0,
                               atol=ENGINE_RTOL * total.max())


def test_working_program_saves_what_hand_calculation_says(tiny):
    """In-house chips at 3 per unit (no trend) replace half of a's purchases at 10/1.25^t."""
    r = simulate(scenario_from_dict(with_inhouse(tiny, nre_per_generation=300)), trials=2)
    purchases = np.array([100.0, 50.0, 175.0])
    avoided = 0.5 * purchases * np.array([10.0, 8.0, 6.4])
    own = 0.5 * purchases * 3.0
    program = np.array([100.0, 400.0, 100.0])  # team every year, NRE of generation 2 in 2026
    scale = avoided.sum()  # the saving is a difference of sums of this size
    np.testing.assert_allclose(r.inhouse_net_saving[1], (avoided - own - program).sum(), rtol=0,
                               atol=ENGINE_RTOL * scale)
    # cumulative net saving: 2025: 500 - 150 - 100 = 250; 2026: 250 + 200 - 75 - 400 = -25;
    # 2027: -25 + 560 - 262.5 - 100 = 172.5, so it breaks even (for good) in 2027
    assert np.all(r.inhouse_breakeven_year[1] == 2027)
    np.testing.assert_allclose(r.inhouse_net_saving[1], 172.5, rtol=0, atol=ENGINE_RTOL * scale)


def test_capacity_cap_sends_the_rest_to_the_fallback(tiny):
    tiny = with_inhouse(tiny)
    tiny["suppliers"]["own"]["capacity"] = {"first_year": 10}
    r = simulate(scenario_from_dict(tiny), trials=1, keep_spend=True)
    j_own = r.categories.index("accelerators_own")
    # 10 units a year at price 3; all other purchases from a
    np.testing.assert_allclose(r.spend[1, 0, :, j_own], [30.0, 30.0, 30.0], rtol=1e-7)
    assert np.all(r.unmet_units == 0)


def test_delay_shifts_first_volume(tiny):
    tiny = with_inhouse(tiny, delay_years=1.5)
    r = simulate(scenario_from_dict(tiny), trials=1, keep_spend=True)
    j_own = r.categories.index("accelerators_own")
    # planned 2025 + 1.5 years: none in 2025 (all from the fallback a), then half of 2026's
    # ample capacity serves the whole in-house order of 0.5 * 50 units at price 3
    np.testing.assert_allclose(r.spend[1, 0, :2, j_own], [0.0, 75.0], rtol=1e-7)
    j_a = r.categories.index("accelerators_a")
    assert r.spend[1, 0, 0, j_a] == pytest.approx(100 * 10.0)


def test_shock_probability_zero_changes_nothing(tiny):
    base = simulate(scenario_from_dict(tiny), trials=50, seed=3)
    tiny["shocks"] = {"war": {"annual_probability": 0.0, "suppliers": ["a"],
                              "price_multiplier": 3, "supply_fraction": 0.1}}
    shocked = simulate(scenario_from_dict(tiny), trials=50, seed=3)
    np.testing.assert_array_equal(base.annual, shocked.annual)
    np.testing.assert_array_equal(base.unmet_units, shocked.unmet_units)


def test_shock_probability_one_applies_its_multiplier_in_covered_years(tiny):
    tiny["shocks"] = {"war": {"annual_probability": 1.0, "suppliers": ["a"],
                              "price_multiplier": 2, "window": {"start": 2026, "end": 2026}}}
    r = simulate(scenario_from_dict(tiny), trials=3, keep_spend=True)
    j = r.categories.index("accelerators_a")
    chips = hand_computed_tiny()["chips_only_a"]
    np.testing.assert_allclose(r.spend[0, :, :, j], np.tile(chips * [1, 2, 1], (3, 1)),
                               rtol=ENGINE_RTOL)


def test_supply_cap_gives_hand_computed_unmet_demand(tiny):
    """Half of 2026's orders from a are delivered and there is no fallback: of the 50 units
    needed, 25 are unmet. In 2027 the 2025 chips retire and 25 of 2026's survive, so 200 are
    bought and demand (225) is met again."""
    tiny["strategies"] = {"only_a": {"shares": {"a": 1}}}
    tiny["shocks"] = {"cut": {"annual_probability": 1.0, "suppliers": ["a"],
                              "supply_fraction": 0.5, "window": {"start": 2026, "end": 2026}}}
    r = simulate(scenario_from_dict(tiny), trials=2, keep_spend=True)
    np.testing.assert_allclose(r.unmet_units[0, 0], [0.0, 25.0, 0.0])
    j = r.categories.index("accelerators_a")
    np.testing.assert_allclose(r.spend[0, 0, :, j], [100 * 10.0, 25 * 8.0, 200 * 6.4], rtol=1e-7)


def test_shock_duration_covers_whole_years():
    starts = np.array([[False, True, False, False, False]]).T
    np.testing.assert_array_equal(so.shock_active(starts, np.array([2.2]))[:, 0],
                                  [False, True, True, True, False])


def test_common_random_numbers_reduce_the_variance_of_differences():
    s = load_scenario(BASE)
    a = simulate(s, trials=4000, seed=1)
    b = simulate(s, trials=4000, seed=2)
    i = a.strategies.index("hybrid")
    paired = a.cumulative()[i] - a.cumulative()[0]
    unpaired = a.cumulative()[i] - b.cumulative()[0]
    assert paired.var() < 0.1 * unpaired.var()


def test_comparison_table_matches_direct_calculation():
    r = simulate(load_scenario(BASE), trials=3000, seed=4)
    comp = r.comparison().set_index(["strategy", "metric"])
    i = r.strategies.index("hybrid")
    diff = r.cumulative()[i] - r.cumulative()[0]
    row = comp.loc[("hybrid", "cumulative_spend")]
    assert row["diff_mean"] == pytest.approx(diff.mean())
    assert row["p_cheaper"] == pytest.approx(np.mean(diff < 0))
    assert row["baseline"] == "nvidia_only"


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n_sup=st.integers(1, 4), fb=st.integers(0, 3))
def test_allocation_serves_min_of_need_and_supply(data, n_sup, fb):
    fb = fb % n_sup
    n = 5
    pos = st.floats(0, 1e6, allow_nan=False)
    orders = data.draw(arrays(float, (n_sup, n), elements=pos))
    frac = data.draw(arrays(float, (n_sup, n), elements=st.floats(0, 1)))
    cap = data.draw(arrays(float, (n_sup, n), elements=st.one_of(pos, st.just(np.inf))))
    got = so.allocate(orders, frac, cap, fb)
    assert np.all(got >= 0)
    assert np.all(got <= cap)
    need = orders.sum(axis=0)
    assert np.all(got.sum(axis=0) <= need * (1 + 1e-12) + 1e-9)
    # an unconstrained fallback serves everything the others cannot
    frac[fb], cap[fb] = 1.0, np.inf
    got = so.allocate(orders, frac, cap, fb)
    np.testing.assert_allclose(got.sum(axis=0), need, rtol=1e-12, atol=1e-9)
    # without a fallback, delivered = sum of min(order * frac, cap): the rest is unmet
    got = so.allocate(orders, frac, cap, None)
    np.testing.assert_allclose(got, np.minimum(orders * frac, cap))


def test_wright_factor_per_doubling():
    f = so.wright_factor(np.array([0.0, 10.0, 20.0, 40.0]), np.full(4, 10.0), np.full(4, 0.9))
    np.testing.assert_allclose(f, [1.0, 1.0, 0.9, 0.81])


def test_availability_with_fractional_delay_and_failures():
    avail = so.inhouse_availability(np.array([0.5, 0.0]), 1, 2,
                                    np.array([[False, False, False], [True, False, False]]).T, 6)
    # trial 0: gens from 1.5, 3.5, 5.5; trial 1: gen 0 (years 1-2) fails, gen 1 from year 3
    np.testing.assert_allclose(avail.T, [[0, 0.5, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1]])


def test_breakeven_year():
    cum = np.array([[-1.0, 2, -1, 3], [1, 2, 3, 4], [-1, -1, -1, -1]]).T
    np.testing.assert_array_equal(so.breakeven_year(cum, np.arange(2025, 2029)),
                                  [2028, 2025, np.inf])


@pytest.mark.parametrize("change, message", [
    ({"fallback": None}, "needs a 'fallback' merchant supplier"),
    ({"fallback": "own"}, "the fallback must be a merchant vendor"),
    ({"fallback": "zz"}, "unknown supplier 'zz'"),
])
def test_strategy_fallback_validation(tiny, write_scenario, capsys, change, message):
    from simulator.cli import main
    tiny = with_inhouse(tiny)
    tiny["strategies"]["mix"].update(change)
    code = main([str(write_scenario(tiny)), "-q"])
    assert code == 2
    assert message in capsys.readouterr().err


def test_observed_years_see_no_shock_noise_or_failure(tiny):
    """``observed_through: 2026``: a shock certain every year starts only in 2027 (x2 on a's
    2027 chips alone), demand noise leaves 2025-2026 at the noiseless path, and an in-house
    generation already shipping in 2025 (planned) does not fail although failure is certain;
    the next (planned 2027) does."""
    tiny["horizon"]["observed_through"] = 2026
    tiny["demand"]["growth"]["noise_sd"] = 0.3
    tiny["shocks"] = {"war": {"annual_probability": 1.0, "suppliers": ["a"],
                              "price_multiplier": 2}}
    tiny = with_inhouse(tiny, failure_probability=1.0)
    r = simulate(scenario_from_dict(tiny), trials=200, seed=4, keep_spend=True)
    np.testing.assert_allclose(r.demand_units[:, :2], np.tile([100.0, 150.0], (200, 1)),
                               rtol=1e-6)
    assert r.demand_units[:, 2].std() > 10  # 2027 is projection: noise
    j_a, j_own = r.categories.index("accelerators_a"), r.categories.index("accelerators_own")
    chips = hand_computed_tiny()["chips_only_a"]
    np.testing.assert_allclose(r.spend[0, :, :2, j_a], np.tile(chips[:2], (200, 1)),
                               rtol=ENGINE_RTOL)
    # the price doubles in 2027 only: 2027's units are 2027's demand less the 2026 survivors
    price_2027 = r.spend[0, :, 2, j_a] / (r.demand_units[:, 2] - 50.0)
    np.testing.assert_allclose(price_2027, 2 * 6.4, rtol=1e-5)
    # generation 0 (2025-2026) ships: half of 2025's 100 units at 3; generation 1 fails
    np.testing.assert_allclose(r.spend[1, :, 0, j_own], 150.0, rtol=1e-6)
    assert np.all(r.spend[1, :, 2, j_own] == 0)


def test_observed_through_outside_the_horizon_is_refused(tiny):
    tiny["horizon"]["observed_through"] = 2030
    with pytest.raises(Exception, match="observed_through 2030 is outside the horizon"):
        scenario_from_dict(tiny)
