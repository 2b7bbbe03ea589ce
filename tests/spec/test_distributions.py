"""Distributions: exact quantiles, truncation, money strings, and sampling against MC error."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from simulator.spec.distributions import Z95, Distribution
from simulator.spec.quantities import format_usd, parse_quantity

ADAPTER = TypeAdapter(Distribution)


def dist(**kw):
    return ADAPTER.validate_python(kw)


def test_lognormal_90_interval_has_median_sqrt_low_high_and_stated_percentiles():
    d = dist(dist="lognormal", low=5, high=10)
    assert d.quantile(0.5) == pytest.approx(math.sqrt(50), rel=1e-12)
    assert d.quantile(0.05) == pytest.approx(5, rel=1e-12)
    assert d.quantile(0.95) == pytest.approx(10, rel=1e-12)
    _, sigma = d.mu_sigma
    assert sigma == pytest.approx(math.log(2) / (2 * Z95))


def test_lognormal_sample_percentiles_within_monte_carlo_error():
    d = dist(dist="lognormal", low=5, high=10)
    n = 200_000
    x = d.ppf(np.random.default_rng(3).random(n))
    for q, target in ((0.05, 5.0), (0.5, math.sqrt(50)), (0.95, 10.0)):
        # fraction of draws below the target is binomial(n, q): 4 standard errors
        frac = np.mean(x < target)
        assert abs(frac - q) < 4 * math.sqrt(q * (1 - q) / n)


@pytest.mark.parametrize("spec, frozen", [
    ({"dist": "normal", "mean": 3, "sd": 2}, stats.norm(3, 2)),
    ({"dist": "uniform", "low": 1, "high": 4}, stats.uniform(1, 3)),
    ({"dist": "triangular", "low": 0, "mode": 1, "high": 4}, stats.triang(0.25, 0, 4)),
    ({"dist": "beta", "a": 2, "b": 5}, stats.beta(2, 5)),
    ({"dist": "pert", "low": 0, "mode": 1, "high": 4}, stats.beta(2, 4, loc=0, scale=4)),
])
def test_families_match_scipy(spec, frozen):
    d = dist(**spec)
    q = np.array([0.01, 0.3, 0.5, 0.9])
    np.testing.assert_allclose(d.ppf(q), frozen.ppf(q), rtol=1e-12)


def test_pert_mean_formula():
    d = dist(dist="pert", low=2, mode=3, high=10)
    assert d.scipy().mean() == pytest.approx((2 + 4 * 3 + 10) / 6)


def test_discrete_weights_and_monotone_ppf():
    d = dist(dist="discrete", values=[6, 4, 5], weights=[0.3, 0.2, 0.5])
    u = np.array([0.0, 0.19, 0.21, 0.69, 0.71, 0.999])
    np.testing.assert_array_equal(d.ppf(u), [4, 4, 5, 5, 6, 6])
    x = d.ppf(np.random.default_rng(0).random(100_000))
    assert np.mean(x == 5) == pytest.approx(0.5, abs=4 * math.sqrt(0.25 / 100_000))


def test_truncation_bounds_are_exact_and_keep_design():
    d = dist(dist="normal", mean=0, sd=1, min=0)
    assert d.support() == (0.0, math.inf)
    assert d.quantile(0.5) == pytest.approx(stats.norm.ppf(0.75))


def test_money_strings_in_distributions():
    d = dist(dist="lognormal", low="30k", high="$1.5M")
    assert (d.low, d.high) == (30_000, 1_500_000)


@pytest.mark.parametrize("spec, message", [
    ({"dist": "lognormal", "low": 10, "high": 5}, "must be above low"),
    ({"dist": "lognormal", "low": 1}, "missing high"),
    ({"dist": "lognormal", "low": 1, "high": 2, "median": 1}, "not both"),
    ({"dist": "uniform", "low": 3, "high": 3}, "must be above low"),
    ({"dist": "triangular", "low": 0, "mode": 5, "high": 4}, "low <= mode <= high"),
    ({"dist": "normal", "mean": 0, "sd": -1}, "greater than 0"),
    ({"dist": "discrete", "values": [1, 2], "weights": [1]}, "1 weights for 2 values"),
    ({"dist": "normal", "mean": 0, "sd": 1, "min": 2, "max": 1}, "must be above min"),
])
def test_bad_parameters_are_rejected(spec, message):
    with pytest.raises(ValidationError, match=message):
        dist(**spec)


@pytest.mark.parametrize("text, value", [
    ("30k", 30e3), ("$1.5B", 1.5e9), ("7T", 7e12), ("1,200", 1200.0), ("35%", 0.35),
    ("2.5M", 2.5e6), ("5bn", 5e9), (12, 12.0), ("-1e3", -1000.0),
])
def test_parse_quantity(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["abc", "", "$", "nan", "inf", "1e999", True, None])
def test_parse_quantity_rejects(text):
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_format_usd():
    assert format_usd(1.234e12) == "$1.23T"
    assert format_usd(-3e6) == "-$3M"


@pytest.mark.parametrize("a, b", [(1, 1), (1.1, 5), (2.2, 3.8), (1, 7), (30, 2), (100, 100)])
def test_fast_beta_quantiles_match_scipy_everywhere(a, b):
    from scipy import special

    from simulator.spec.distributions import beta_ppf

    u = np.concatenate([np.random.default_rng(0).random(20_000),
                        [0.0, 1e-300, 1e-12, 1e-6, 0.5, 1 - 1e-9, 1 - 1e-16, 1.0]])
    np.testing.assert_allclose(beta_ppf(a, b, u), special.betaincinv(a, b, u), rtol=0,
                               atol=1e-12)
