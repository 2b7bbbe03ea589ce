"""Claim metrics: several claims read in one go give each the numbers it gives on its own."""

from __future__ import annotations

import numpy as np

from simulator import load_scenario, simulate
from simulator.results.metrics import claim_metric, claim_metrics
from simulator.spec.claim_spec import ClaimSpec


def test_claims_read_together_equal_each_claim_on_its_own():
    """Funding gaps through two years from one pass (not through the horizon's end), next to
    the other metrics: bit for bit what claim_metric gives each claim, and nothing kept."""
    scenario = load_scenario("scenarios/base.yaml")
    claims = [*scenario.claims,
              ClaimSpec(name="an early gap", metric="funding_gap", year=2027, op=">=",
                        threshold=1e9)]
    assert sum(c.base_metric == "funding_gap" for c in claims) == 2
    results = simulate(scenario, trials=300, seed=3)
    together = claim_metrics(results, claims)
    assert not any(key[0] == "funding_gap" for key in results._summaries)
    for claim, values in zip(claims, together, strict=True):
        expected = claim_metric(results, claim)
        assert values.shape == (len(results.strategies), 300)
        assert values.dtype == np.float64
        assert values.tobytes() == expected.tobytes(), claim.label
