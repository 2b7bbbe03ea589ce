"""How each metric a claim can name is computed from a run's per-trial arrays.

The names, units and meanings of the metrics live with the claim format
(:data:`simulator.spec.claim_spec.CLAIM_METRICS`); this module is where each becomes numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from simulator.results import tables
from simulator.spec.claim_spec import ClaimSpec

if TYPE_CHECKING:
    from simulator.results.container import Results


def claim_metric(results: Results, claim: ClaimSpec) -> np.ndarray:
    """The per-trial values of the claim's metric.

    Returns
    -------
    ndarray, shape (S, n), float64
        In the metric's unit (USD, GW or fraction); NaN where undefined (a share in a year
        without purchases).
    """
    metric, year = claim.base_metric, claim.year
    if metric == "cumulative_spend":
        return results.cumulative(year)
    if metric == "spend":
        return results.annual[:, :, results._year_index(year)].astype(np.float64)
    if metric == "npv":
        return results.npv
    if metric == "installed_gw":
        return results.installed_gw[:, :, results._year_index(year)].astype(np.float64)
    if metric == "dependence_share":
        if year is None:
            return results.dependence_share_total
        return results.dependence_share[:, :, results._year_index(year)].astype(np.float64)
    if metric == "unmet_demand":
        return results.metrics()["unmet_demand"][1]
    if metric == "funding_gap":
        return results.funding_gap(year)[0]
    raise ValueError(f"unknown claim metric {claim.metric!r}")


def claim_metrics(results: Results, claims: Sequence[ClaimSpec]) -> list[np.ndarray]:
    """The per-trial values of several claims' metrics, each as :func:`claim_metric` gives it,
    for Results read once (one chunk's trials): nothing is kept on ``results``.

    The funding gaps of every funding-gap claim come from one pass over the cash need through
    the latest of their years (:func:`tables.cash_pass`, where :meth:`Results.funding_gap` also
    reads through the horizon's end for the tables): the same running maxima, the same numbers.

    Returns
    -------
    list of ndarray, each shape (S, n), float64
        In the order of ``claims``.
    """
    ends = sorted({results._year_index(c.year) + 1 for c in claims
                   if c.base_metric == "funding_gap"})
    gaps = tables.cash_pass(results, ends, summaries=False)[0] if ends else {}
    return [gaps[results._year_index(c.year) + 1][0] if c.base_metric == "funding_gap"
            else claim_metric(results, c) for c in claims]
