"""The contract every distribution family obeys: ppf monotone (finite inside (0, 1)), values
inside the support,
quantiles equal to scipy's (continuous families), truncation exact, the family listed in
FAMILIES. One subclass per family; a new family gets the whole contract by adding one."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
from pydantic import TypeAdapter

from simulator.spec.distributions import FAMILIES, Distribution

ADAPTER = TypeAdapter(Distribution)
#: Uniforms from the extreme tails to the middle, including both ends of [0, 1).
U = np.concatenate([[0.0, 1e-12, 1e-6], np.linspace(0.001, 0.999, 999), [1 - 1e-6, 1 - 1e-12]])


class FamilyContract:
    """Subclasses set ``spec`` (a scenario mapping) and may set ``truncated`` (the same with
    ``min``/``max``)."""

    spec: ClassVar[dict]
    truncated: ClassVar[dict | None] = None
    continuous = True

    @pytest.fixture
    def d(self):
        return ADAPTER.validate_python(self.spec)

    def test_family_is_listed(self, d):
        assert d.dist in FAMILIES

    def test_ppf_is_monotone_and_finite_inside_the_unit_interval(self, d):
        x = d.ppf(U)
        assert x.shape == U.shape
        assert np.isfinite(x[1:]).all()  # u = 0 is an unbounded family's -inf
        assert (np.diff(x) >= 0).all()

    def test_values_lie_in_the_support(self, d):
        lo, hi = d.support()
        x = d.ppf(U)
        assert (x >= lo).all() and (x <= hi).all()

    def test_quantiles_equal_scipys(self, d):
        if not self.continuous:
            pytest.skip("discrete family: no scipy counterpart")
        q = U[3:-2]
        np.testing.assert_allclose(d.ppf(q), d.scipy().ppf(q), rtol=1e-7, atol=1e-12)

    def test_truncation_is_exact(self):
        if self.truncated is None:
            pytest.skip("no truncation for this family")
        d = ADAPTER.validate_python(self.truncated)
        x = d.ppf(U)
        assert x.min() >= self.truncated["min"] and x.max() <= self.truncated["max"]
        # truncation keeps the shape: the conditional quantile of the untruncated family
        full = d.scipy()
        lo, hi = full.cdf(self.truncated["min"]), full.cdf(self.truncated["max"])
        q = U[3:-2]
        np.testing.assert_allclose(x[3:-2], full.ppf(lo + q * (hi - lo)), rtol=1e-6)


class TestNormal(FamilyContract):
    spec: ClassVar[dict] = {"dist": "normal", "mean": 0.8, "sd": 0.2}
    truncated: ClassVar[dict | None] = {**spec, "min": 0.5, "max": 1.0}


class TestLognormal(FamilyContract):
    spec: ClassVar[dict] = {"dist": "lognormal", "low": 12_000, "high": 22_000}
    truncated: ClassVar[dict | None] = {**spec, "min": 13_000, "max": 20_000}


class TestUniform(FamilyContract):
    spec: ClassVar[dict] = {"dist": "uniform", "low": 1.1, "high": 1.4}


class TestTriangular(FamilyContract):
    spec: ClassVar[dict] = {"dist": "triangular", "low": 3, "mode": 4, "high": 7}


class TestPert(FamilyContract):
    spec: ClassVar[dict] = {"dist": "pert", "low": 0.1, "mode": 0.3, "high": 0.8}


class TestBeta(FamilyContract):
    spec: ClassVar[dict] = {"dist": "beta", "a": 2.0, "b": 5.0, "low": 0.1, "high": 0.6}


class TestDiscrete(FamilyContract):
    spec: ClassVar[dict] = {"dist": "discrete", "values": [4, 5, 6], "weights": [0.3, 0.4, 0.3]}
    continuous = False


class TestFixed(FamilyContract):
    spec: ClassVar[dict] = {"dist": "fixed", "value": 18_000}
    continuous = False


def test_every_family_has_a_contract():
    tested = {cls.spec["dist"] for cls in FamilyContract.__subclasses__()}
    assert tested == set(FAMILIES)
