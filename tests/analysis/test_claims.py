"""Claims, Monte Carlo error, goal seek and claim drivers against exact answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import stats

from simulator import simulate
from simulator.analysis.claims import as_claim, evaluate_claims
from simulator.analysis.convergence import simulate_to_precision
from simulator.analysis.discovery import claim_box, conditional_inputs, goal_seek
from simulator.io.loading import scenario_from_dict
from simulator.spec.claim_spec import ClaimSpec, parse_claim_text
from simulator.stats.mc_error import percentiles_with_se, wilson_interval
from tests.sample.test_draws import hand_fixed_other

#: Cumulative spend of the tiny scenario per unit of supplier a's start-year price: purchases
#: 100, 50, 175 at price p / 1.25^t, times 1.5 for servers and networking.
CHIPS_PER_PRICE = 100 + 50 / 1.25 + 175 / 1.25**2  # servers are costed per unit, not per price


def one_uncertain_price(tiny: dict, dist: dict) -> dict:
    tiny["suppliers"]["a"]["price_per_unit"] = dist
    tiny["strategies"] = {"only_a": {"shares": {"a": 1}}}
    return tiny


def test_claim_on_a_lognormal_input_matches_the_analytic_cdf(tiny):
    median, sigma = 10.0, 0.3
    sc = scenario_from_dict(one_uncertain_price(tiny, {"dist": "lognormal", "median": median,
                                                       "sigma": sigma}))
    threshold = hand_fixed_other() + 11.0 * CHIPS_PER_PRICE  # holds iff price >= 11
    results = simulate(sc, trials=40_000, seed=9)
    row = evaluate_claims(results, [f"cumulative_spend >= {threshold}"]).iloc[0]
    exact = stats.lognorm(s=sigma, scale=median).sf(11.0)
    assert row["ci_low"] <= exact <= row["ci_high"]
    assert row["mc_se"] == pytest.approx(math.sqrt(exact * (1 - exact) / 40_000), rel=0.02)
    assert row["warning"] == ""


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(0, 100)
    assert lo == 0 and hi == pytest.approx(0.0370, abs=1e-4)
    lo, hi = wilson_interval(50, 100)
    assert (lo, hi) == pytest.approx((0.4038, 0.5962), abs=1e-4)


def test_rare_claims_are_flagged(tiny):
    sc = scenario_from_dict(one_uncertain_price(tiny, {"dist": "uniform", "low": 5, "high": 15}))
    results = simulate(sc, trials=1000, seed=2)
    threshold = hand_fixed_other() + 14.995 * CHIPS_PER_PRICE
    row = evaluate_claims(results, [f"cumulative_spend >= {threshold}"]).iloc[0]
    assert row["trials_true"] < 10
    assert "run more trials" in row["warning"]


@pytest.mark.parametrize("text, fields", [
    ("cumulative_spend through 2030 >= 7T", {"metric": "cumulative_spend", "year": 2030,
                                              "op": ">=", "threshold": 7e12}),
    ("npv < $1.5B", {"metric": "npv", "op": "<", "threshold": 1.5e9}),
    ("installed_gw in 2033 >= 30", {"metric": "installed_gw", "year": 2033, "threshold": 30}),
    ("nvidia_share by 2030 < 50%", {"metric": "nvidia_share", "threshold": 0.5}),
])
def test_claim_text_form(text, fields):
    claim = as_claim(text)
    for key, value in fields.items():
        assert getattr(claim, key) == value


@pytest.mark.parametrize("text, message", [
    ("spend is large", "cannot read claim"),
    ("gdp through 2030 >= 7T", "unknown claim metric 'gdp'"),
    ("npv in 2030 >= 7T", "drop the year"),
])
def test_bad_claims(text, message):
    with pytest.raises((ValueError, ValidationError), match=message):
        ClaimSpec.model_validate(parse_claim_text(text))


def test_claim_year_outside_horizon_is_rejected(tiny):
    tiny["claims"] = ["cumulative_spend through 2040 >= 1"]
    with pytest.raises(Exception, match="outside the horizon"):
        scenario_from_dict(tiny)


def test_percentile_standard_error_of_a_normal_median():
    n = 40_000
    x = np.random.default_rng(3).standard_normal((1, n))
    _, se = percentiles_with_se(x, (50, 95), axis=1)
    # asymptotic: se(median) = sqrt(pi/2) sigma / sqrt(n); se(P95) = sqrt(.95*.05/n) / phi(z95)
    assert se[0, 0] == pytest.approx(math.sqrt(math.pi / 2) / math.sqrt(n), rel=0.1)
    z = stats.norm.ppf(0.95)
    assert se[1, 0] == pytest.approx(math.sqrt(0.95 * 0.05 / n) / stats.norm.pdf(z), rel=0.15)


def test_goal_seek_recovers_a_closed_form_threshold(tiny):
    """All inputs fixed: the claim holds iff price >= (T - F) / K, so the probability jumps
    from 0 to 1 there and bisection must land on that value."""
    sc = scenario_from_dict(one_uncertain_price(tiny, {"value": 10}))
    threshold = hand_fixed_other() + 12.5 * CHIPS_PER_PRICE
    result = goal_seek(sc, f"cumulative_spend >= {threshold}", "suppliers.a.price_per_unit",
                       target=0.5, bracket=(5.0, 20.0), trials=8, tolerance=1e-6)
    # per-trial spend is stored in float32 (6e-8 relative), which blurs the jump by ~1e-5
    assert result.value == pytest.approx(12.5, rel=2e-5)


def test_goal_seek_on_a_lognormal_median(tiny):
    """Seeking the median price of a lognormal whose sigma is fixed: P(price >= 11) = 0.5 when
    the median is 11."""
    sc = scenario_from_dict(one_uncertain_price(tiny, {"dist": "lognormal", "median": 10,
                                                       "sigma": 0.3}))
    threshold = hand_fixed_other() + 11.0 * CHIPS_PER_PRICE
    result = goal_seek(sc, f"cumulative_spend >= {threshold}",
                       "suppliers.a.price_per_unit.median", target=0.5, bracket=(8.0, 14.0),
                       trials=20_000, seed=4, tolerance=1e-4)
    # the sample median of 20,000 draws is within ~0.3% of the true one
    assert result.value == pytest.approx(11.0, rel=0.01)
    assert result.probability == pytest.approx(0.5, abs=0.01)


def test_goal_seek_rejects_targets_outside_the_bracket(tiny):
    sc = scenario_from_dict(one_uncertain_price(tiny, {"value": 10}))
    with pytest.raises(ValueError, match="not between them"):
        goal_seek(sc, "cumulative_spend >= 1e15", "suppliers.a.price_per_unit",
                  bracket=(5.0, 20.0), trials=8)


def test_what_must_be_true_finds_the_deciding_input(tiny):
    tiny = one_uncertain_price(tiny, {"dist": "uniform", "low": 5, "high": 15})
    tiny["operations"]["cost_per_mw_year"] = {"dist": "uniform", "low": 250, "high": 350}
    results = simulate(scenario_from_dict(tiny), trials=5000, seed=1)
    claim = f"cumulative_spend >= {hand_fixed_other() + 12.0 * CHIPS_PER_PRICE}"
    table = conditional_inputs(results, claim)
    assert table["input"].iloc[0] == "suppliers.a.price_per_unit"
    assert table["ks"].iloc[0] > 0.9
    box = claim_box(results, claim, threshold=0.95)
    low, _ = box.limits["suppliers.a.price_per_unit"]
    assert low == pytest.approx(12.0, abs=0.2)
    assert box.density >= 0.95


def test_run_to_precision_meets_the_target(tiny):
    tiny = one_uncertain_price(tiny, {"dist": "lognormal", "median": 10, "sigma": 0.3})
    tiny["claims"] = [f"cumulative_spend >= {hand_fixed_other() + 11.0 * CHIPS_PER_PRICE}"]
    sc = scenario_from_dict(tiny)
    results, batches = simulate_to_precision(
        lambda n: simulate(sc, trials=n, seed=1, chunk_size=1000), target=0.004,
        start_trials=1000, max_trials=100_000, chunk_size=1000)
    assert batches[-1]["met"]
    assert batches[-1]["trials"] > 1000
    p = evaluate_claims(results).iloc[0]
    assert p["mc_se"] <= 0.004
