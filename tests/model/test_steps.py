"""Spend precedes service, supply in foundry terms, cancelled programs, the in-house saving by
category and the dependence supplier's units by reason: hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import simulate
from simulator.io.loading import scenario_from_dict
from simulator.model import cash_timing as ct
from simulator.model import cost_model as cm
from simulator.model import sourcing as so
from tests.conftest import ENGINE_RTOL
from tests.integration.test_sourcing import with_inhouse
from tests.model.test_chunk import hand_computed_tiny

PURCHASES = np.array([100.0, 50.0, 175.0])  # the tiny scenario's units entering service


@pytest.mark.parametrize("lead, expected", [
    (0.0, [1.0, 0.0, 0.0]),     # paid in the first year of service
    (0.5, [0.75, 0.25, 0.0]),   # 1 - L/2 in the year, L/2 the year before
    (1.0, [0.5, 0.5, 0.0]),
    (2.0, [0.25, 0.5, 0.25]),   # evenly over two years before online dates spread over a year
])
def test_payment_weights_by_hand(lead, expected):
    np.testing.assert_allclose(cm.payment_weights(np.array([lead]), 2)[:, 0], expected,
                               atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.floats(0.0, 5.0))
def test_payment_weights_sum_to_one_and_are_continuous(lead):
    w = cm.payment_weights(np.array([lead, lead + 1e-7]), 6)
    np.testing.assert_allclose(w.sum(axis=0), 1.0, atol=1e-9)
    assert (w >= -1e-12).all()
    np.testing.assert_allclose(w[:, 0], w[:, 1], atol=1e-5)  # no jump, also at 0


def test_cash_and_work_in_progress_by_hand():
    """Costs at service 10, 20, 40 in years 0, 1 and (past a 2-year horizon) 2; a one-year
    lead pays half in the year and half the year before: cash 5 + 10, 10 + 20; 20 of the
    third year's 40 is work in progress at the end."""
    service = np.array([[10.0], [20.0], [40.0]])
    w = cm.payment_weights(np.array([1.0]), 1)
    np.testing.assert_allclose(ct.cash_by_year(service, w, 2)[:, 0], [15.0, 30.0])
    np.testing.assert_allclose(ct.work_in_progress(service, w, 2), [20.0])


def test_order_lead_time_in_the_engine(tiny):
    """Order lead 1 year: chips and servers of each year's units are paid half that year and
    half the year before. 2028 (past the horizon) needs 225 x 1.5 = 337.5 units with 175 in
    service: 162.5 at 10/1.25^3 + 5/1.25^3, half of which is paid in 2027 (work in progress).
    Depreciation (economic cost) still starts at service: unchanged."""
    no_lead = simulate(scenario_from_dict(tiny), trials=2, keep_spend=True)
    tiny["fleet"]["order_lead_years"] = 1.0
    r = simulate(scenario_from_dict(tiny), trials=2, keep_spend=True)
    hardware = np.append(PURCHASES, 162.5) * 15 / 1.25 ** np.arange(4)  # chips + servers
    paid = 0.5 * hardware[:3] + 0.5 * hardware[1:]
    other = hand_computed_tiny()["only_a"] - hardware[:3]
    np.testing.assert_allclose(r.annual[0, 0], other + paid, rtol=ENGINE_RTOL)
    np.testing.assert_allclose(r.work_in_progress[0], 0.5 * hardware[3], rtol=ENGINE_RTOL)
    np.testing.assert_allclose(r.economic_cost, no_lead.economic_cost, rtol=ENGINE_RTOL)
    assert (r.work_in_progress[:, 0] > 0).all() and (no_lead.work_in_progress == 0).all()


def test_construction_lead_time_in_the_engine(tiny):
    """Construction lead 2 years: a building serving from year s is paid 1/4, 1/2, 1/4 in
    s - 2, s - 1, s. Built: 200 (2025), 50 (2026), 0 after (power falls): 2025 pays
    200/4 + 50/2, 2026 pays 50/4; what served in 2025 was paid a quarter and a half before."""
    base = hand_computed_tiny()["only_a"]
    tiny["datacentre"]["lead_years"] = 2.0
    r = simulate(scenario_from_dict(tiny), trials=1)
    built = np.array([200.0, 50.0, 0.0])
    paid = np.array([200 / 4 + 50 / 2, 50 / 4, 0.0])
    np.testing.assert_allclose(r.annual[0, 0], base - built + paid, rtol=ENGINE_RTOL)


def test_capacity_in_chips_yields_more_compute_every_year(tiny):
    """10 chips a year (no allocation growth) of 2 compute units each, +50% per chip a year:
    20, 30, 45 units of in-house compute; half of the need (50, 25, 87.5) is ordered from it,
    so 20, 25, 45 are delivered at price 3 and the rest falls back to a."""
    tiny = with_inhouse(tiny)
    tiny["suppliers"]["own"]["capacity"] = {"first_year": 10, "compute_per_chip": 2,
                                            "compute_per_chip_growth": 0.5}
    r = simulate(scenario_from_dict(tiny), trials=1, keep_spend=True)
    j = r.categories.index("accelerators_own")
    np.testing.assert_allclose(r.spend[1, 0, :, j], [60.0, 75.0, 135.0], rtol=1e-6)
    # why the fallback's units: half of each year's need by plan, the rest the cap
    np.testing.assert_allclose(r.dependence_units_planned[1], 0.5 * PURCHASES.sum(), rtol=1e-6)
    np.testing.assert_allclose(r.dependence_units_cap[1], 0.5 * PURCHASES.sum() - 90, rtol=1e-6)
    assert r.dependence_units_delay[1, 0] == 0 and r.dependence_units_failure[1, 0] == 0


def test_merchant_capacity_caps_deliveries(tiny):
    """A merchant allocation of 40 chips a year of one unit each, without a fallback: the
    rest of each year's need is unmet."""
    tiny["strategies"] = {"only_a": {"shares": {"a": 1}}}
    tiny["suppliers"]["a"]["capacity"] = {"first_year": 40}
    r = simulate(scenario_from_dict(tiny), trials=1)
    # need 100 -> 40 delivered (60 unmet); 2026: demand 150, 40 alive -> 40 (70 unmet);
    # 2027: 225 demand, 40 alive -> 40 (145 unmet)
    np.testing.assert_allclose(r.unmet_units[0, 0], [60.0, 70.0, 145.0], rtol=1e-6)


@pytest.mark.parametrize("after, program", [
    (None, [100.0, 1100.0, 100.0]),  # paid to the horizon
    (1, [150.0, 0.0, 0.0]),          # generation 0 fails in 2025: team that year, stop (+50)
    (2, [100.0, 1100.0, 150.0]),     # generation 1 fails in 2027: its NRE (2026) was paid
])
def test_a_failed_program_can_be_cancelled(tiny, after, program):
    """Every generation fails. The program (team 100 a year, NRE 1000 in 2024, sunk, and 2026)
    is cancelled when its `after`-th failure shows at that generation's volume start; the team
    stops after that year, designs not yet started stop, and 50 is paid to stop."""
    extra = {} if after is None else {"cancel_after_failures": after, "cancellation_cost": 50}
    r = simulate(scenario_from_dict(with_inhouse(tiny, failure_probability=1.0, **extra)),
                 trials=2, keep_spend=True)
    j = r.categories.index("inhouse_program")
    np.testing.assert_allclose(r.spend[1, 0, :, j], program)
    np.testing.assert_allclose(r.inhouse_saving_program[1], -sum(program))
    np.testing.assert_allclose(r.inhouse_net_saving[1], -sum(program), atol=1e-3)
    # every in-house order fell back to a because of the failures
    np.testing.assert_allclose(r.dependence_units_failure[1], 0.5 * PURCHASES.sum(), rtol=1e-6)


def test_cancellation_offset_by_hand():
    fails = np.array([[False, True, True], [True, True, False], [True, False, False]])
    off = so.cancellation_offset(fails, np.array([0.0, 0.5, 1.5]), 1.0, 2, after=2)
    # trial 0: 2nd failure is generation 2 at 1 + 0 + 4 = 5; trial 1: generation 1 at
    # floor(1 + 0.5 + 2) = 3; trial 2: one failure only
    np.testing.assert_array_equal(off, [5.0, 3.0, np.inf])


def test_shortfall_causes_by_hand():
    """Ordered 10, half deliverable (a shock): 5 reachable; planned capacity 4, without
    failures 3 (a slip), actual 1 (a failure): failure 2, delay 1, cap 10 - 4 = 6."""
    one = np.ones((1, 1))
    cap, delay, failure = so.shortfall_causes(10 * one, 0.5 * one, 1 * one, 4 * one, 3 * one)
    assert (cap[0, 0], delay[0, 0], failure[0, 0]) == (6.0, 1.0, 2.0)


def test_inhouse_saving_is_the_whole_paired_difference(tiny):
    """A penalty of 1/2 doubles the in-house chips' price, power and servers per unit of
    compute. Against buying the same units from a: servers cost 5/1.25^t more per in-house
    unit (50, 25, 87.5 units): -630; the parts add up to the net saving, which equals the
    difference between the strategy and the same shares served by a alone."""
    tiny = with_inhouse(tiny, nre_per_generation=0, team_cost_per_year=0)
    tiny["suppliers"]["own"]["performance_penalty"] = 0.5
    r = simulate(scenario_from_dict(tiny), trials=2)
    own_units = 0.5 * PURCHASES
    np.testing.assert_allclose(r.inhouse_saving_servers[1],
                               -(own_units * 5 / 1.25 ** np.arange(3)).sum(), rtol=1e-5)
    parts = sum(getattr(r, f"inhouse_saving_{k}")[1]
                for k in ("chips", "servers", "facilities", "program"))
    np.testing.assert_allclose(parts, r.inhouse_net_saving[1], rtol=1e-9)
    # the strategy "mix" against "only_a" (same units, all from a): the whole difference
    np.testing.assert_allclose(r.inhouse_net_saving[1],
                               r.cumulative()[0] - r.cumulative()[1], rtol=1e-5)
