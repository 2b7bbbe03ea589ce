"""Own versus lease, revenue and funding: degenerate cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import simulate
from simulator.analysis.claims import evaluate_claims
from simulator.io.loading import scenario_from_dict
from tests.conftest import ENGINE_RTOL
from tests.model.test_chunk import HOURS, hand_computed_tiny

ENERGY_PER_MW = HOURS * 0.5 * 1.2 * 100   # tiny scenario: utilisation, PUE, USD/MWh
OM_PER_MW = 300.0


def leasing(tiny: dict, *, share=1.0, margin=0.0, contract=2) -> dict:
    tiny["strategies"] = {"own": {"shares": {"a": 1}},
                          "lease": {"shares": {"a": 1}, "lease_share": share}}
    tiny["leasing"] = {"provider_margin": margin, "contract_years": contract}
    return tiny


def test_all_lease_payments_by_hand(tiny):
    """Contracts of 2 years = the chip life, so purchases are the owned case's (100, 50, 175).
    Each year's units pay, for 2 years, price x 1.5 / 2 (chip life) + kW/1000 x 1000 USD/MW / 20
    (building life) + kW/1000 x (energy + O&M per MW-year), plus a 10% margin."""
    r = simulate(scenario_from_dict(leasing(tiny, margin=0.1)), trials=2, keep_spend=True)
    units = np.array([100.0, 50.0, 175.0])
    price = np.array([10.0, 8.0, 6.4])
    mw = np.array([2.0, 1.0, 0.5]) / 1000
    rent = (price * 1.5 / 2 + mw * 1000 / 20 + mw * (ENERGY_PER_MW + OM_PER_MW)) * 1.1
    pay = units * rent
    expected = np.array([pay[0], pay[0] + pay[1], pay[1] + pay[2]])
    lease = r.strategies.index("lease")
    np.testing.assert_allclose(r.spend[lease, 0].sum(axis=-1), expected, rtol=ENGINE_RTOL)
    # nothing owned: no chips, buildings, energy or operations paid directly
    j = r.categories.index("lease_payments")
    np.testing.assert_allclose(r.spend[lease, 0, :, j], expected, rtol=ENGINE_RTOL)
    # contracts signed in 2027 run one more year: 2027's payment is owed after the horizon
    np.testing.assert_allclose(r.committed_lease[lease], pay[2], rtol=ENGINE_RTOL)
    np.testing.assert_allclose(r.spend[r.strategies.index("own"), 0].sum(axis=-1),
                               hand_computed_tiny()["only_a"], rtol=ENGINE_RTOL)


@pytest.mark.parametrize("generations", [1, 2, 3])
def test_zero_margin_lease_costs_what_owning_costs_over_any_number_of_generations(tiny,
                                                                               generations):
    """Flat demand of 100 units, 2-year chips, a 20-year building, power per unit constant:
    each generation of 100 chips serves 2 years, inside the horizon. Owning costs, in economic
    terms, the chips and servers (price x 1.5 per generation), one year of building depreciation
    (0.2 MW x 1000 USD/MW / 20) and running 0.2 MW every year. Renting at cost pays the same,
    because the lease carries the building over its own life, not over each chip's (which made
    a lessee pay for a new building every generation: lease/own 1.21 over three generations)."""
    years = 2 * generations
    tiny["horizon"] = {"start": 2025, "end": 2024 + years}
    tiny["demand"]["growth"]["initial"] = 0.0
    tiny["suppliers"]["a"]["power_efficiency_gain"] = 0.0
    r = simulate(scenario_from_dict(leasing(tiny, margin=0.0)), trials=2)
    own, lease = r.economic_cost[:, 0]
    chips = sum(100 * 10 / 1.25 ** (2 * g) * 1.5 for g in range(generations))
    hand = chips + years * (200 / 20 + 0.2 * (ENERGY_PER_MW + OM_PER_MW))
    assert own == pytest.approx(hand, rel=ENGINE_RTOL)
    assert lease == pytest.approx(hand, rel=ENGINE_RTOL)
    np.testing.assert_allclose(r.committed_lease[1], 0.0)  # every contract ends in the horizon


def with_funding(tiny: dict, raises: list[dict], *, revenue=100_000.0, costs=0.5) -> dict:
    tiny["strategies"] = {"only_a": {"shares": {"a": 1}}}
    tiny["revenue"] = {"start": revenue, "growth": 0.0, "other_costs_share": costs}
    tiny["funding"] = {"raises": raises}
    return tiny


def test_funding_gap_with_flat_revenue_by_hand(tiny):
    """Spend each year (hand computed) minus a flat operating cash flow of 50,000, against a
    raise of 100,000 in 2025: the gap is the largest shortfall of the cumulative need."""
    sc = scenario_from_dict(with_funding(tiny, [{"name": "r", "year": 2025, "amount": 100_000}]))
    r = simulate(sc, trials=2)
    need = np.cumsum(hand_computed_tiny()["only_a"] - 50_000.0)
    gap, year = r.funding_gap()
    expected = max(0.0, (need - 100_000).max())
    np.testing.assert_allclose(gap[0], expected, rtol=1e-6)
    first = 2025 + int(np.argmax(need - 100_000 > 0))
    assert np.all(year[0] == first)


@pytest.mark.parametrize("probability", [0.0, 1.0])
def test_a_raise_moves_the_gap_by_exactly_its_amount(tiny, probability):
    base = simulate(scenario_from_dict(with_funding(dict(tiny), [])), trials=3)
    raised = simulate(scenario_from_dict(with_funding(tiny, [
        {"name": "r", "year": 2026, "amount": 20_000, "probability": probability}])), trials=3)
    # the gap stays open in every year here, so it shrinks by what materialises
    np.testing.assert_allclose(base.funding_gap()[0] - raised.funding_gap()[0],
                               20_000 * probability, rtol=1e-6, atol=1e-6)


def test_debt_interest_adds_to_the_cash_need(tiny):
    sc = scenario_from_dict(with_funding(tiny, [
        {"name": "loan", "year": 2025, "amount": 10_000, "kind": "debt",
         "interest_rate": 0.1}]))
    r = simulate(sc, trials=1)
    np.testing.assert_allclose(r.interest[0], [0, 1000, 1000])


def test_funding_claim(tiny):
    sc = scenario_from_dict(with_funding(tiny, [{"name": "r", "year": 2025, "amount": 1e9}]))
    r = simulate(sc, trials=5)
    row = evaluate_claims(r, ["funding_gap through 2027 > 0"]).iloc[0]
    assert row["probability"] == 0.0
    assert r.funding_table().set_index(["metric", "strategy"]).loc[
        ("p_funded", "only_a"), "mean"] == 1.0


def test_leasing_needs_its_section(tiny):
    tiny = leasing(tiny)
    del tiny["leasing"]
    with pytest.raises(Exception, match="leasing needs a 'leasing' section"):
        scenario_from_dict(tiny)


def test_cash_sensitivity_equals_a_rerun_with_more_cash(tiny):
    """Cash at the start adds to committed funding in every year: the gap with c more is
    max(0, gap - c) and P(funded) is P(gap <= c), without re-running. Uncertain revenue spreads
    the gap across trials; a re-run with the cash in the scenario gives the same numbers."""
    from simulator.analysis.overview import cash_sensitivity

    data = with_funding(tiny, [{"name": "r", "year": 2025, "amount": 2_000}], revenue=1_000.0)
    data["revenue"]["growth"] = {"dist": "uniform", "low": 0.0, "high": 3.0}
    r = simulate(scenario_from_dict(data), trials=400, seed=2)
    gap, _ = r.funding_gap()
    extra = float(np.median(gap[0]))
    table = cash_sensitivity(r, extra=(extra,)).set_index("extra_cash")
    data["funding"]["cash_at_start"] = extra
    rerun = simulate(scenario_from_dict(data), trials=400, seed=2)
    gap_rerun, _ = rerun.funding_gap()
    np.testing.assert_allclose(gap_rerun[0], np.maximum(gap[0] - extra, 0.0), rtol=1e-6,
                               atol=1e-6 * gap.max())
    assert table.loc[extra, "p_funded"] == pytest.approx((gap_rerun[0] <= 1e-6 * gap.max()).mean())
    assert table.loc[extra, "p_funded"] == pytest.approx(0.5, abs=0.01)  # the median, by design
    assert table.loc[0.0, "gap_p50"] == pytest.approx(extra)


def test_unsourced_drivers_and_cash_are_flagged(tiny):
    """Price a drives all spend: flagged while its source is an assumption, not once cited.
    Opening cash of 0 marked as an assumption is listed with its effect on P(funded)."""
    from simulator.analysis.overview import analyse

    data = with_funding(tiny, [{"name": "r", "year": 2025, "amount": 2_000}], revenue=1_000.0)
    data["suppliers"]["a"]["price_per_unit"] = {"dist": "uniform", "low": 5, "high": 15,
                                                "source": "assumption: a guess for the test"}
    data["funding"]["cash_at_start"] = {"value": 0, "source": "assumption: none known"}
    flags = analyse(simulate(scenario_from_dict(data), trials=300, seed=1)).assumption_flags
    row = flags.set_index("input").loc["suppliers.a.price_per_unit"]
    assert row["flagged"] and row["effect"] == "tornado swing 100% of the largest"
    assert "funding.cash_at_start" in set(flags["input"])
    data["suppliers"]["a"]["price_per_unit"]["source"] = "S43"
    flags = analyse(simulate(scenario_from_dict(data), trials=300, seed=1)).assumption_flags
    assert "suppliers.a.price_per_unit" not in set(flags["input"])
