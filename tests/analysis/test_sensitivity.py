"""Sampling designs, correlated inputs and sensitivity analysis on the engine."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from simulator import ScenarioError, load_scenario, override, simulate
from simulator.analysis.sensitivity import rank_correlations, sobol_analysis, tornado
from simulator.io.loading import scenario_from_dict
from simulator.run.plan import chunk_rng
from simulator.sample.draws import design_uniforms, sample
from simulator.spec.scenario import CorrelationRepairWarning
from simulator.stats.correlation import check_correlation
from tests.analysis.test_claims import CHIPS_PER_PRICE, one_uncertain_price
from tests.conftest import BASE
from tests.sample.test_draws import hand_fixed_other


@pytest.fixture(scope="module")
def base():
    return load_scenario(BASE)


def test_latin_hypercube_puts_one_point_in_each_stratum(base):
    n = 1000
    u = design_uniforms(override(base, {"sampling.correlations": []}), n, rng=chunk_rng(0, 0),
                        design="lhs")
    strata = np.floor(u * n).astype(int)
    for column in strata.T:
        np.testing.assert_array_equal(np.sort(column), np.arange(n))


def test_sobol_design_is_balanced_at_powers_of_two(base):
    n = 1024
    u = design_uniforms(override(base, {"sampling.correlations": []}), n, rng=chunk_rng(0, 0),
                        design="sobol")
    for column in np.floor(u * 16).astype(int).T:  # every 1/16 stratum holds n/16 points
        np.testing.assert_array_equal(np.bincount(column, minlength=16), np.full(16, n // 16))


def test_designs_agree_on_the_mean(base):
    means = {d: simulate(base, trials=8192, seed=1, design=d).cumulative()[0].mean()
             for d in ("random", "lhs", "sobol")}
    r = simulate(base, trials=8192, seed=1, design="random").cumulative()[0]
    se = r.std() / np.sqrt(r.size)
    assert abs(means["lhs"] - means["random"]) < 5 * se
    assert abs(means["sobol"] - means["random"]) < 5 * se


def test_correlations_leave_marginals_unchanged_and_reach_the_target(base):
    plain = override(base, {"sampling.correlations": []})
    with_corr = sample(base, 5000, rng=chunk_rng(3, 0))
    without = sample(plain, 5000, rng=chunk_rng(3, 0))
    for path in base.uncertain_paths():
        np.testing.assert_array_equal(np.sort(with_corr[path]), np.sort(without[path]))
    for spec in base.sampling.correlations:
        a, b = (with_corr[p] for p in spec.inputs)
        # within 4 standard errors of the request (Bonett-Wright; 0.02 at rho = 0.5, n = 5000):
        # the target is converted for the normal scores, so no 6/pi asin(rho/2) bias remains
        se = (1 - spec.rho**2) * np.sqrt((1 + spec.rho**2 / 2) / (5000 - 3))
        assert stats.spearmanr(a, b).statistic == pytest.approx(spec.rho, abs=4 * se)


def test_correlations_valid_as_ranks_but_not_as_scores_are_refused(base):
    """0.8 and 0.6 with one input and 0 between the other two is singular but valid as
    Spearman correlations; the normal scores need 0.813 and 0.618, which are not."""
    a, b, c = ("suppliers.nvidia.price_performance_gain", "suppliers.amd.price_performance_gain",
               "suppliers.inhouse.price_performance_gain")
    specs = [{"inputs": [a, b], "rho": 0.8}, {"inputs": [a, c], "rho": 0.6}]
    with pytest.raises(ScenarioError, match=r"2 sin\(pi rho / 6\)"):
        override(base, {"sampling.correlations": specs})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        repaired = override(base, {"sampling.correlations": specs,
                                   "sampling.repair_correlations": True})
    assert any(w.category is CorrelationRepairWarning for w in caught)
    _, target = repaired.correlation_target()
    assert check_correlation(2 * np.sin(np.pi * target / 6)) == []


def invalid_correlations(base_dict: dict) -> dict:
    base_dict["sampling"]["correlations"] = [
        {"inputs": ["demand.growth.initial", "demand.growth.decay"], "rho": 0.9},
        {"inputs": ["demand.growth.decay", "energy.pue"], "rho": 0.9},
        {"inputs": ["demand.growth.initial", "energy.pue"], "rho": -0.9},
    ]
    return base_dict


def test_invalid_correlation_matrix_is_rejected_or_repaired(base):
    data = invalid_correlations(base.model_dump(mode="json", by_alias=True, exclude_none=True))
    with pytest.raises(ScenarioError, match="not positive semidefinite"):
        scenario_from_dict(data)
    data["sampling"]["repair_correlations"] = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        repaired = scenario_from_dict(data)
    message = str(next(w.message for w in caught if w.category is CorrelationRepairWarning))
    assert "requested +0.900, used +0.5" in message
    _, target = repaired.correlation_target()
    assert np.all(np.linalg.eigvalsh(target) > 0)


def test_correlating_a_fixed_input_is_an_error(base):
    with pytest.raises(ScenarioError, match="is fixed, so it cannot be correlated"):
        override(base, {"sampling.correlations": [
            {"inputs": ["demand.growth.initial", "demand.start.gw"], "rho": 0.3}]})


def test_tornado_swings_match_hand_calculation(tiny):
    sc = scenario_from_dict(one_uncertain_price(tiny, {"dist": "uniform", "low": 8, "high": 12}))
    table = tornado(sc).set_index("input")
    row = table.loc["suppliers.a.price_per_unit"]
    fixed = hand_fixed_other()
    assert row["value_low"] == pytest.approx(8.4) and row["value_high"] == pytest.approx(11.6)
    assert row["base"] == pytest.approx(fixed + 10 * CHIPS_PER_PRICE, rel=1e-6)
    assert row["at_low"] == pytest.approx(fixed + 8.4 * CHIPS_PER_PRICE, rel=1e-6)
    assert row["swing"] == pytest.approx(3.2 * CHIPS_PER_PRICE, rel=1e-5)


def test_rank_correlation_of_the_only_uncertain_input_is_one(tiny):
    sc = scenario_from_dict(one_uncertain_price(tiny, {"dist": "uniform", "low": 8, "high": 12}))
    table = rank_correlations(simulate(sc, trials=500))
    assert table.set_index("input").loc["suppliers.a.price_per_unit", "spearman"] == \
        pytest.approx(1.0)


def test_sobol_indices_of_an_additive_model(tiny):
    """Spend is linear in the two uncertain inputs (price of a; O&M cost), so S1 = ST and they
    are the shares of each input's variance contribution."""
    tiny = one_uncertain_price(tiny, {"dist": "uniform", "low": 8, "high": 12})
    tiny["operations"]["cost_per_mw_year"] = {"dist": "uniform", "low": 0, "high": 8000}
    table = sobol_analysis(scenario_from_dict(tiny), n_base=4096, n_bootstrap=0, seed=1)
    table = table.set_index("input")
    # variances of the two terms: (K * 4)^2 / 12 and (sum of MW * 8000)^2 / 12
    v_price = (4 * CHIPS_PER_PRICE) ** 2 / 12
    v_om = (8000 * (0.2 + 0.25 + 0.1375)) ** 2 / 12
    share = v_price / (v_price + v_om)
    assert table.loc["suppliers.a.price_per_unit", "S1"] == pytest.approx(share, abs=0.01)
    assert table.loc["suppliers.a.price_per_unit", "ST"] == pytest.approx(share, abs=0.01)
    assert table.loc["operations.cost_per_mw_year", "ST"] == pytest.approx(1 - share, abs=0.01)


def test_rank_correlations_agree_with_scipy_on_a_second_metric_of_the_same_run(base):
    """The inputs' ranks are kept between calls on the same Results (the analysis and the
    verdict ask for two metrics): the second call's numbers are SciPy's, as the first's."""
    from dataclasses import replace

    from simulator.analysis.sensitivity import metric_values

    results = simulate(base, trials=600, seed=3)
    for metric in ("cumulative_spend", "npv"):
        table = rank_correlations(results, metric=metric)
        fresh = rank_correlations(replace(results), metric=metric)  # a new Results: no cache
        assert table.equals(fresh)
        values = metric_values(results, metric)[0]
        for path in list(results.inputs)[:4]:
            row = table[(table["strategy"] == results.strategies[0]) & (table["input"] == path)]
            assert float(row["spearman"].iloc[0]) == pytest.approx(
                stats.spearmanr(results.inputs[path], values).statistic, abs=1e-12)
