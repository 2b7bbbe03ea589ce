"""The scenario schema (version 1): :class:`Scenario` and its cross-section checks.

A :class:`Scenario` is frozen and fully validated (:func:`simulator.io.loading.load_scenario`
builds one); the sampler and engine trust it. Its sections live in
:mod:`simulator.spec.sections`, :mod:`simulator.spec.suppliers` and
:mod:`simulator.spec.strategies`; this module checks what spans them (supplier references,
a section that needs another, claims against the horizon, the correlation target) and offers the
derived views the rest of the package reads.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import warnings
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, PrivateAttr, model_validator

from simulator.errors import join_path
from simulator.spec.claim_spec import ClaimInput
from simulator.spec.distributions import DistributionBase, Fixed
from simulator.spec.fields import SpecModel, Uncertain
from simulator.spec.levers import Levers, check_lever_references
from simulator.spec.sections import (
    Datacentre,
    Demand,
    Energy,
    Fleet,
    Funding,
    Horizon,
    Leasing,
    Operations,
    Revenue,
    Sampling,
    ServersNetworking,
    Shock,
)
from simulator.spec.strategies import Strategy
from simulator.spec.suppliers import InHouse, Merchant, Supplier
from simulator.stats.correlation import (
    check_correlation,
    nearest_correlation,
    normal_scores_correlation,
    spearman_of_normal_scores,
)


class CorrelationRepairWarning(UserWarning):
    """The requested correlations were not a valid correlation matrix and were repaired."""


MAX_TRIALS = 50_000_000


class Scenario(SpecModel):
    """A validated, frozen scenario. Build it with :func:`load_scenario`."""

    schema_version: Literal[1] = 1
    name: str = Field(min_length=1, description="Short identifier; names the output folder.")
    title: str | None = None
    scope: str = Field(description="What is modelled: one company's infrastructure or the "
                       "industry's. Claims are read against it.")
    description: str | None = None
    horizon: Horizon
    trials: int = Field(10_000, ge=1, le=MAX_TRIALS)
    seed: int = Field(0, ge=0, description="Seed of the random streams (same seed, same numbers).")
    discount_rate: Uncertain(-0.5, 1) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[1/yr] discount rate for NPV to the start year.")
    demand: Demand
    fleet: Fleet
    suppliers: dict[str, Supplier] = Field(min_length=1)
    strategies: dict[str, Strategy] = Field(min_length=1)
    baseline: str | None = Field(None, description="Strategy the others are compared with; "
                                 "default: the first one.")
    servers_networking: ServersNetworking
    datacentre: Datacentre
    energy: Energy
    operations: Operations
    shocks: dict[str, Shock] = Field(default_factory=dict)
    leasing: Leasing | None = None
    revenue: Revenue | None = None
    funding: Funding = Field(default_factory=Funding)
    sampling: Sampling = Field(default_factory=Sampling)
    claims: list[ClaimInput] = Field(default_factory=list, description="Statements to test, "
                                     "e.g. 'cumulative_spend through 2030 >= 7T'.")
    dependence_on: str | None = Field(None, description="Supplier whose share of accelerator "
                                      "spend is reported as the dependence metric; default "
                                      "'nvidia' if there is one, else the first merchant.")
    levers: Levers | None = Field(None, description="Levers of a strategy template, and the "
                                  "objectives and constraints of a search over them "
                                  "(simulate optimize).")

    _source_file: str | None = PrivateAttr(None)
    _source_sha256: str | None = PrivateAttr(None)
    _correlation: tuple[list[str], np.ndarray] | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _references(self):
        known = set(self.suppliers)
        for name, strat in self.strategies.items():
            for year, row in strat.shares.items():
                for supplier in row:
                    if supplier not in known:
                        near = difflib.get_close_matches(supplier, known, n=1)
                        tip = f" (did you mean {near[0]!r}?)" if near else ""
                        row_key = "" if year == "all" else f".{year}"
                        raise ValueError(f"strategies.{name}.shares{row_key}.{supplier}: unknown "
                                         f"supplier {supplier!r}{tip}; suppliers are "
                                         f"{sorted(known)}")
            if strat.fallback is not None:
                if strat.fallback not in known:
                    raise ValueError(f"strategies.{name}.fallback: unknown supplier "
                                     f"{strat.fallback!r}; suppliers are {sorted(known)}")
                if not isinstance(self.suppliers[strat.fallback], Merchant):
                    raise ValueError(f"strategies.{name}.fallback: {strat.fallback!r} is an "
                                     "in-house supplier; the fallback must be a merchant vendor")
            inhouse = [s for s, v in self.suppliers.items()
                       if isinstance(v, InHouse) and strat.uses(s)]
            if inhouse and strat.fallback is None:
                raise ValueError(f"strategies.{name}: uses in-house supplier {inhouse[0]!r} and "
                                 "needs a 'fallback' merchant supplier for when it is late, "
                                 "fails or is capped")
        leasing = [name for name, strat in self.strategies.items() if strat.leases]
        if leasing and self.leasing is None:
            raise ValueError(f"strategies.{leasing[0]}.lease_share: leasing needs a 'leasing' "
                             "section (provider_margin, contract_years)")
        if (self.funding.raises or self.funding.cash_at_start.quantile(0.5) > 0) \
                and self.revenue is None:
            raise ValueError("funding: a funding view needs a 'revenue' section")
        for name, shock in self.shocks.items():
            for supplier in shock.suppliers:
                if supplier not in known:
                    raise ValueError(f"shocks.{name}.suppliers: unknown supplier {supplier!r}; "
                                     f"suppliers are {sorted(known)}")
        if self.dependence_on is not None and self.dependence_on not in known:
            raise ValueError(f"dependence_on: unknown supplier {self.dependence_on!r}")
        if not any(isinstance(v, Merchant) for v in self.suppliers.values()) \
                and self.dependence_on is None:
            raise ValueError("suppliers: at least one merchant supplier is needed")
        if self.baseline is not None and self.baseline not in self.strategies:
            raise ValueError(f"baseline {self.baseline!r} is not a strategy; strategies are "
                             f"{list(self.strategies)}")
        for k, claim in enumerate(self.claims):
            if claim.year is not None and not self.horizon.start <= claim.year <= self.horizon.end:
                raise ValueError(f"claims[{k}]: year {claim.year} is outside the horizon "
                                 f"{self.horizon.start}-{self.horizon.end}")
            if claim.base_metric == "dependence_share" and claim.metric != "dependence_share" \
                    and claim.metric != f"{self.dependence_supplier}_share":
                raise ValueError(f"claims[{k}]: {claim.metric!r} is not a metric; the dependence "
                                 f"share is '{self.dependence_supplier}_share'")
        check_lever_references(self)
        self._correlation = self._build_correlation()
        return self

    def _build_correlation(self) -> tuple[list[str], np.ndarray] | None:
        specs = self.sampling.correlations
        if not specs:
            return None
        uncertain = self.uncertain_paths()
        for k, spec in enumerate(specs):
            for path in spec.inputs:
                if path not in uncertain:
                    fixed = any(p == path for p, _ in self.uncertain_inputs())
                    near = difflib.get_close_matches(path, uncertain, n=1, cutoff=0.6)
                    why = ("is fixed, so it cannot be correlated" if fixed else
                           "is not an uncertain input" + (f" (did you mean {near[0]!r}?)"
                                                          if near else ""))
                    raise ValueError(f"sampling.correlations[{k}]: {path!r} {why}")
            if spec.inputs[0] == spec.inputs[1]:
                raise ValueError(f"sampling.correlations[{k}]: an input cannot be correlated "
                                 "with itself")
        # sorted by key path, so that reordering a file's mappings leaves the draws alone
        columns = sorted(p for p in uncertain if any(p in spec.inputs for spec in specs))
        target = np.eye(len(columns))
        for spec in specs:
            i, j = columns.index(spec.inputs[0]), columns.index(spec.inputs[1])
            target[i, j] = target[j, i] = spec.rho
        problems = check_correlation(target)
        if problems:
            if not self.sampling.repair_correlations:
                raise ValueError("sampling.correlations do not form a valid correlation matrix ("
                                 + "; ".join(problems) + "); fix them, or set "
                                 "sampling.repair_correlations: true to use the nearest valid "
                                 "matrix")
            repaired = nearest_correlation(target)
            changes = [f"{columns[i]} ~ {columns[j]}: requested {target[i, j]:+.3f}, "
                       f"used {repaired[i, j]:+.3f}"
                       for i in range(len(columns)) for j in range(i + 1, len(columns))
                       if abs(repaired[i, j] - target[i, j]) > 5e-4]
            warnings.warn(CorrelationRepairWarning(
                "the requested correlations are not a valid correlation matrix; using the "
                "nearest valid one:\n  " + "\n  ".join(changes)), stacklevel=2)
            target = repaired
        return columns, self._scores_valid(columns, target)

    def _scores_valid(self, columns: list[str], target: np.ndarray) -> np.ndarray:
        """The Spearman target, checked once more after conversion to the normal scores'
        Pearson correlation (2 sin(pi rho / 6)), which a nearly singular matrix can fail."""
        scores = normal_scores_correlation(target)
        problems = check_correlation(scores)
        if not problems:
            return target
        if not self.sampling.repair_correlations:
            raise ValueError("sampling.correlations: converted to the normal scores' correlations "
                             "the sampler induces (2 sin(pi rho / 6)), they do not form a valid "
                             "correlation matrix (" + "; ".join(problems) + "); weaken them, or "
                             "set sampling.repair_correlations: true")
        repaired = spearman_of_normal_scores(nearest_correlation(scores))
        np.fill_diagonal(repaired, 1.0)
        changes = [f"{columns[i]} ~ {columns[j]}: requested {target[i, j]:+.3f}, "
                   f"used {repaired[i, j]:+.3f}"
                   for i in range(len(columns)) for j in range(i + 1, len(columns))
                   if abs(repaired[i, j] - target[i, j]) > 5e-4]
        warnings.warn(CorrelationRepairWarning(
            "the requested rank correlations need normal-score correlations that are not a "
            "valid matrix; using the nearest valid one:\n  " + "\n  ".join(changes)),
            stacklevel=3)
        return repaired

    def correlation_target(self) -> tuple[list[str], np.ndarray] | None:
        """The correlated inputs (key paths) and their target rank-correlation matrix
        (repaired if invalid and repair was asked for), or None without correlations."""
        return self._correlation

    def uncertain_paths(self) -> list[str]:
        """Key paths of the inputs that are not fixed, in schema order."""
        return [p for p, d in self.uncertain_inputs() if not d.is_fixed]

    # -- derived views --------------------------------------------------------------------------
    @property
    def years(self) -> np.ndarray:
        """Calendar years of the horizon, shape (year,)."""
        return self.horizon.years

    @property
    def source_file(self) -> str | None:
        """The file this scenario was loaded from, if any."""
        return self._source_file

    @property
    def source_sha256(self) -> str | None:
        """SHA-256 of the file's bytes, if loaded from a file."""
        return self._source_sha256

    @property
    def supplier_names(self) -> list[str]:
        return list(self.suppliers)

    @property
    def strategy_names(self) -> list[str]:
        return list(self.strategies)

    @property
    def baseline_strategy(self) -> str:
        return self.baseline or self.strategy_names[0]

    @property
    def dependence_supplier(self) -> str:
        """Supplier whose share of accelerator spend measures dependence (e.g. ``nvidia``)."""
        if self.dependence_on is not None:
            return self.dependence_on
        if "nvidia" in self.suppliers:
            return "nvidia"
        return next(s for s, v in self.suppliers.items() if isinstance(v, Merchant))

    def inhouse_suppliers(self) -> list[str]:
        """Names of the in-house suppliers."""
        return [s for s, v in self.suppliers.items() if isinstance(v, InHouse)]

    @property
    def lead_years_max(self) -> int:
        """Years past the horizon whose capacity can be paid within it: the longest possible
        lead time, rounded up [yr]."""
        leads = (self.fleet.order_lead_years, self.datacentre.lead_years)
        return math.ceil(max(lead.support()[1] for lead in leads))

    def uncertain_inputs(self) -> Iterator[tuple[str, DistributionBase]]:
        """Every numeric input as ``(key path, distribution)``, in schema order."""
        yield from _walk(self, "")

    def content_hash(self) -> str:
        """SHA-256 of the validated content (not the file's bytes)."""
        blob = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()


def _walk(obj: Any, path: str) -> Iterator[tuple[str, DistributionBase]]:
    if isinstance(obj, DistributionBase):
        yield path, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk(getattr(obj, name), join_path(path, name))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, join_path(path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk(v, join_path(path, i))

