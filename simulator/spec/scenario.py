"""The scenario schema (version 1) and :func:`load_scenario`, the only place input is checked.

A :class:`Scenario` is frozen and fully validated; the sampler and engine trust it. Every numeric
assumption is an :data:`Uncertain` value: a fixed number or a distribution from
:mod:`simulator.spec.distributions`, each with an optional ``source``. Units are written in brackets in
each field's description; money is nominal USD.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import warnings
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from simulator.errors import join_path
from simulator.spec.claim_spec import ClaimInput
from simulator.spec.distributions import FAMILIES, Discrete, Distribution, DistributionBase, Fixed
from simulator.spec.levers import Levers, check_lever_references
from simulator.spec.quantities import parse_quantity
from simulator.stats.correlation import (
    check_correlation,
    nearest_correlation,
    normal_scores_correlation,
    spearman_of_normal_scores,
)

SHARE_TOLERANCE = 1e-6


def _as_distribution(value: Any) -> Any:
    """Accept ``12``, ``"30k"`` or ``{value: 12, source: ...}`` as fixed distributions."""
    if isinstance(value, bool):
        raise ValueError("expected a number or a distribution, got a true/false value")
    if isinstance(value, int | float | str):
        return {"dist": "fixed", "value": parse_quantity(value)}
    if isinstance(value, dict) and "dist" not in value:
        if "value" in value:
            return {"dist": "fixed", **value}
        raise ValueError("a distribution needs 'dist: <family>' (one of "
                         f"{', '.join(FAMILIES)}), or 'value: <number>' for a fixed number")
    if isinstance(value, dict) and value.get("dist") not in FAMILIES:
        raise ValueError(f"unknown distribution {value.get('dist')!r}; choose one of "
                         f"{', '.join(FAMILIES)}")
    return value


def _within(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
            hi_open: bool = False, unit: str = "") -> AfterValidator:
    """Check that every value a distribution can produce lies in the field's allowed range."""

    def check(d: DistributionBase) -> DistributionBase:
        s_lo, s_hi = d.support()
        if d.is_fixed or isinstance(d, Discrete):
            # attained values: open bounds are strict
            bad_lo = lo is not None and (s_lo < lo or (lo_open and s_lo <= lo))
            bad_hi = hi is not None and (s_hi > hi or (hi_open and s_hi >= hi))
        else:
            # a continuous family touches its support's end with probability zero
            bad_lo = lo is not None and s_lo < lo
            bad_hi = hi is not None and s_hi > hi
        if bad_lo or bad_hi:
            rng = (f"{'(' if lo_open else '['}{'-inf' if lo is None else f'{lo:g}'}, "
                   f"{'inf' if hi is None else f'{hi:g}'}{')' if hi_open or hi is None else ']'}")
            what = "value" if d.is_fixed else "distribution"
            got = f"{s_lo:g}" if d.is_fixed else f"values in [{s_lo:.4g}, {s_hi:.4g}]"
            hint = "" if d.is_fixed else " (add min/max bounds or choose a family with that support)"
            raise ValueError(f"{what} must lie in {rng}{unit}; got {got}{hint}")
        return d

    return AfterValidator(check)


def Uncertain(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,  # noqa: N802
              hi_open: bool = False, description: str = "") -> Any:
    """Type of an uncertain input: a fixed number or a distribution, restricted to a range."""
    return Annotated[Distribution, BeforeValidator(_as_distribution),
                     _within(lo, hi, lo_open=lo_open, hi_open=hi_open),
                     Field(description=description)]


Positive = Uncertain(0, None, lo_open=True)
NonNegative = Uncertain(0, None)
Fraction = Uncertain(0, 1)
GrowthRate = Uncertain(-1, None, lo_open=True)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Horizon(_Model):
    """First and last simulated calendar year (inclusive)."""

    start: int = Field(ge=1990, le=2200, description="First simulated year.")
    end: int = Field(ge=1990, le=2200, description="Last simulated year (inclusive).")
    observed_through: int | None = Field(
        None, ge=1990, le=2200, description="Last year that is history, not projection: up to "
        "it no supply shock starts, demand carries no noise and no chip generation in volume "
        "fails (e.g. the start year when its installed capacity is reported).")

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"end year {self.end} is before start year {self.start}")
        if self.end - self.start > 60:
            raise ValueError("the horizon spans more than 60 years")
        if self.observed_through is not None \
                and not self.start <= self.observed_through <= self.end:
            raise ValueError(f"observed_through {self.observed_through} is outside the horizon "
                             f"{self.start}-{self.end}")
        return self

    @property
    def observed(self) -> np.ndarray:
        """Whether each year is observed history, shape (year,), bool."""
        last = self.start - 1 if self.observed_through is None else self.observed_through
        return self.years <= last

    @property
    def years(self) -> np.ndarray:
        """Calendar years, shape (year,)."""
        return np.arange(self.start, self.end + 1)


class Level(_Model):
    """An installed-compute level given either in gigawatts or in compute units."""

    gw: NonNegative | None = Field(None, description="[GW] IT power of the installed fleet.")
    compute_units: NonNegative | None = Field(None, description="[compute units]")

    @model_validator(mode="after")
    def _one(self):
        if (self.gw is None) == (self.compute_units is None):
            raise ValueError("give exactly one of 'gw' or 'compute_units'")
        return self


class Growth(_Model):
    """Demand growth: ``g_t = initial * (1 - decay)^(t-1)`` with optional lognormal yearly noise."""

    initial: GrowthRate = Field(description="[1/yr] growth of required compute in the first "
                                "projected year (1.0 = doubling).")
    decay: Fraction = Field(default_factory=lambda: Fixed(value=0.0),
                            description="[-] fraction of the growth rate lost each year.")
    noise_sd: NonNegative = Field(default_factory=lambda: Fixed(value=0.0),
                                  description="[-] sd of the yearly log-noise on demand growth.")


class Demand(_Model):
    """Required installed AI compute.

    A start level in GW becomes compute units so that the baseline strategy's installed power in
    the start year equals it: the surviving pre-start fleet counts at ``kw_per_unit`` and the rest
    at the power of the start year's new chips under the baseline's supplier mix.
    """

    unit: str = Field("H100e", description="Name of the compute unit (e.g. H100-equivalents).")
    kw_per_unit: Positive | None = Field(None, description="[kW/unit] IT power per compute unit "
                                         "of the fleet in service before the start year; needed "
                                         "when before_start is given in GW.")
    start: Level = Field(description="Required installed compute in the start year.")
    before_start: Level | None = Field(None, description="Fleet in service the year before the "
                                       "start (sunk; retires as it ages). Default: none.")
    growth: Growth

    @model_validator(mode="after")
    def _conversion(self):
        if self.before_start is not None and self.before_start.gw is not None \
                and self.kw_per_unit is None:
            raise ValueError("kw_per_unit is required to convert before_start.gw into compute units")
        if self.before_start is not None and (self.before_start.gw is None) != (self.start.gw is None):
            raise ValueError("give start and before_start in the same unit (both gw or both "
                             "compute_units)")
        return self


#: Upper bound on lead times [yr]: the engine runs this many years past the horizon at most.
MAX_LEAD_YEARS = 5


class Fleet(_Model):
    lifetime_years: Positive = Field(description="[yr] service life of an accelerator; a chip "
                                     "bought in year v serves while age < lifetime.")
    order_lead_years: Uncertain(0, MAX_LEAD_YEARS) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[yr] chips, servers and networking are paid over this many years before "
        "they serve (orders, prepayments, delivery); 0 pays them in their first year of service.")


class _SupplierBase(_Model):
    """What every supplier has: a price-performance trend and power per unit of compute."""

    description: str | None = None
    price_performance_gain: Uncertain(0, None) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[1/yr] yearly gain in compute per dollar: price(v) = p0 / (1+g)^(v-start).")
    kw_per_unit: Positive = Field(description="[kW/unit] IT power per compute unit of the start "
                                  "year's chips, including host and network.")
    power_efficiency_gain: Uncertain(0, None) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[1/yr] yearly gain in compute per watt: kw(v) = kw0 / (1+g)^(v-start).")


class Merchant(_SupplierBase):
    """A merchant vendor (Nvidia, AMD, ...): unlimited supply except under shocks.

    Price per unit = ``price_per_unit`` (or ``cost_per_unit / (1 - gross_margin)``) times the
    ``shortage_premium``, falling with the price-performance trend.
    """

    kind: Literal["merchant"] = "merchant"
    price_per_unit: Positive | None = Field(None, description="[USD/unit] list price per compute "
                                            "unit in the start year, the vendor's margin included.")
    cost_per_unit: Positive | None = Field(None, description="[USD/unit] the vendor's own cost; "
                                           "with gross_margin, an alternative to price_per_unit.")
    gross_margin: Uncertain(0, 1, hi_open=True) | None = Field(  # type: ignore[valid-type]
        None, description="[-] vendor gross margin: price = cost / (1 - margin).")
    shortage_premium: Uncertain(0, None, lo_open=True) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=1.0),
        description="[-] multiplier on the price while supply is tight (1 = list price).")
    capacity: Capacity | None = Field(None, description="Foundry allocation capping deliveries "
                                      "(default: unlimited except under shocks).")

    @model_validator(mode="after")
    def _one_price(self):
        by_cost = self.cost_per_unit is not None or self.gross_margin is not None
        if (self.price_per_unit is None) == (not by_cost):
            raise ValueError("give either price_per_unit, or cost_per_unit and gross_margin")
        if by_cost and (self.cost_per_unit is None or self.gross_margin is None):
            raise ValueError("cost_per_unit and gross_margin go together")
        return self


class Program(_Model):
    """An in-house chip program: paid from its start whether or not the chip ships.

    Generation g is designed from ``start_year + g * generation_years`` (its NRE is paid then)
    and ships from ``first_volume_year + delay + g * generation_years`` for ``generation_years``,
    unless it fails (probability ``failure_probability``, independently per generation).
    """

    start_year: int = Field(ge=1990, le=2200, description="First year of program spending.")
    first_volume_year: int = Field(ge=1990, le=2200, description="Planned first year of volume.")
    delay_years: NonNegative = Field(default_factory=lambda: Fixed(value=0.0),
                                     description="[yr] slip of every generation's volume start.")
    generation_years: int = Field(2, ge=1, le=10, description="[yr] cadence of chip generations.")
    failure_probability: Fraction = Field(default_factory=lambda: Fixed(value=0.0),
                                          description="[-] chance that a generation fails.")
    nre_per_generation: NonNegative = Field(description="[USD] design cost (NRE) per generation.")
    team_cost_per_year: NonNegative = Field(default_factory=lambda: Fixed(value=0.0),
                                            description="[USD/yr] team and tools, every year.")
    cancel_after_failures: int | None = Field(
        None, ge=1, le=20, description="Cancel the program when this many generations have "
        "failed (default: never): no team cost after the year the last failure shows (its "
        "planned volume start), no NRE for generations designed after it, no later chips.")
    cancellation_cost: NonNegative = Field(default_factory=lambda: Fixed(value=0.0),
                                           description="[USD] one-off cost of stopping "
                                           "(contracts, severance), paid in the cancellation year.")

    def generations(self, last_year: int) -> int:
        """Number of generations whose design starts by ``last_year`` (at least one)."""
        return max(1, (last_year - self.start_year) // self.generation_years + 1)

    @model_validator(mode="after")
    def _ordered(self):
        if self.first_volume_year < self.start_year:
            raise ValueError(f"first_volume_year {self.first_volume_year} is before start_year "
                             f"{self.start_year}")
        return self


class Capacity(_Model):
    """What the foundry allocates, in chips (packages) per year, from the first volume year
    (in-house) or the start year (merchant), growing to a ceiling. Each year's chips carry that
    year's compute per chip, ``compute_per_chip x (1 + compute_per_chip_growth)^t``, so a fixed
    allocation yields more compute every year."""

    first_year: Positive = Field(description="[chips/yr] allocation in the first year.")
    growth: Uncertain(0, None) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0), description="[1/yr] yearly allocation growth.")
    max: Positive | None = Field(None, description="[chips/yr] ceiling on the yearly allocation.")
    compute_per_chip: Positive = Field(default_factory=lambda: Fixed(value=1.0),
                                       description="[units/chip] compute units per chip in the "
                                       "start year (1: capacity stated in compute units).")
    compute_per_chip_growth: Uncertain(0, None) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[1/yr] yearly growth of compute per chip (newer generations).")


class InHouse(_SupplierBase):
    """A custom accelerator: cost without vendor margin, a performance penalty, Wright's-law
    learning, a capacity ramp, and a risky program (:class:`Program`).

    Price per delivered compute unit = ``unit_cost / (1 - performance_penalty)`` times the trend
    and times ``(cumulative volume / V0) ** log2(learning_rate)`` once the cumulative volume
    exceeds ``V0 = capacity.first_year x capacity.compute_per_chip`` (the first year's
    allocation in compute units). Power and servers per unit are divided by
    ``1 - performance_penalty`` too.
    """

    kind: Literal["inhouse"]
    unit_cost: Positive = Field(description="[USD/unit] cost per nominal compute unit in the "
                                "start year (foundry, memory, packaging; no vendor margin).")
    performance_penalty: Uncertain(0, 1, hi_open=True) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[-] share of nominal compute lost to software and performance gaps.")
    learning_rate: Uncertain(0, 1, lo_open=True) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=1.0),
        description="[-] Wright's-law progress ratio: cost x rate per doubling of volume.")
    program: Program
    capacity: Capacity


def _supplier_kind(value: Any) -> Any:
    if isinstance(value, dict) and "kind" not in value:
        return {"kind": "merchant", **value}
    return value


SUPPLIER_KINDS = {"merchant": Merchant, "inhouse": InHouse}
Supplier = Annotated[Annotated[Merchant | InHouse, Field(discriminator="kind")],
                     BeforeValidator(_supplier_kind)]


def _share_table(value: Any) -> Any:
    """Normalise ``{nvidia: 1}`` to the year-keyed form ``{"all": {nvidia: 1}}``; year keys
    become text (YAML and Python callers may write them as numbers)."""
    if isinstance(value, dict) and value and all(not isinstance(v, dict) for v in value.values()):
        return {"all": value}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value


def _check_year_keys(rows: dict[str, Any], what: str) -> None:
    for key in rows:
        if key != "all":
            try:
                int(key)
            except ValueError:
                raise ValueError(f"{what} are keyed by year; {key!r} is not a year") from None


def _by_year(years: np.ndarray, rows: dict[str, Any], values: list[list[float]]) -> np.ndarray:
    """A table keyed by year (or ``"all"``), linear between listed years and flat outside.

    Parameters
    ----------
    years : ndarray, shape (T,)
    rows : dict
        The table's keys, in the same order as ``values``.
    values : list of list of float, shape (rows, k)

    Returns
    -------
    ndarray, shape (T, k)
    """
    xs = np.array([years[0] if k == "all" else int(k) for k in rows], dtype=float)
    table = np.asarray(values, dtype=float)
    order = np.argsort(xs, kind="stable")
    return np.stack([np.interp(years, xs[order], table[order, j])
                     for j in range(table.shape[1])], axis=1)


def _lease_table(value: Any) -> Any:
    """``0.3`` or ``"30%"`` -> ``{"all": 0.3}``; year keys become text."""
    if isinstance(value, dict):
        return {str(k): parse_quantity(v) for k, v in value.items()}
    return {"all": parse_quantity(value)}


def _share_value(value: Any) -> float:
    return parse_quantity(value)


ShareRow = dict[str, Annotated[float, BeforeValidator(_share_value), Field(ge=0, le=1)]]


class Strategy(_Model):
    """A sourcing mix: supplier shares of purchases, by year (linear between listed years)."""

    description: str | None = None
    fallback: str | None = Field(None, description="Supplier that serves what the others cannot "
                                 "(in-house late, failed or capped; shocks). Required when the "
                                 "strategy uses an in-house supplier; without one, shortfalls "
                                 "are unmet demand.")
    shares: Annotated[dict[str, ShareRow], BeforeValidator(_share_table)] = Field(
        description="Shares of each year's purchases per supplier, summing to 1; either one "
                    "mapping for all years or a mapping from year to shares.")
    lease_share: Annotated[dict[str, float], BeforeValidator(_lease_table)] = Field(
        default_factory=lambda: {"all": 0.0},
        description="[-] share of each year's new capacity rented from cloud providers instead "
                    "of bought: one number, or a mapping from year to share (linear between).")

    @field_validator("lease_share")
    @classmethod
    def _lease_rows(cls, rows: dict[str, float]) -> dict[str, float]:
        _check_year_keys(rows, "lease shares")
        for value in rows.values():
            if not 0 <= value <= 1:
                raise ValueError(f"lease share {value:g} is outside [0, 1]")
        return rows

    def lease_path(self, years: np.ndarray) -> np.ndarray:
        """Lease share by year, linear between listed years and flat outside, shape (year,)."""
        return _by_year(years, self.lease_share, [[v] for v in self.lease_share.values()])[:, 0]

    @property
    def leases(self) -> bool:
        return any(v > 0 for v in self.lease_share.values())

    @field_validator("shares")
    @classmethod
    def _rows(cls, rows: dict[str, ShareRow]) -> dict[str, ShareRow]:
        if not rows:
            raise ValueError("shares is empty: give each supplier's share, e.g. {nvidia: 1}")
        _check_year_keys(rows, "share rows")
        for key, row in rows.items():
            total = sum(row.values())
            if abs(total - 1) > SHARE_TOLERANCE:
                where = "" if key == "all" else f" in {key}"
                raise ValueError(f"shares{where} sum to {total:.6g}, not 1")
        return rows

    def share_matrix(self, years: np.ndarray, suppliers: list[str]) -> np.ndarray:
        """Shares by year, interpolated linearly between listed years and held flat outside.

        Returns
        -------
        ndarray, shape (year, supplier)
            Each row sums to 1.
        """
        return _by_year(years, self.shares,
                        [[row.get(s, 0.0) for s in suppliers] for row in self.shares.values()])


    def uses(self, supplier: str) -> bool:
        """Whether any year gives ``supplier`` a positive share."""
        return any(row.get(supplier, 0.0) > 0 for row in self.shares.values())


class Window(_Model):
    start: int = Field(ge=1990, le=2200)
    end: int = Field(ge=1990, le=2200)

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"end year {self.end} is before start year {self.start}")
        return self


class Shock(_Model):
    """A supply-chain event: starts in any year with ``annual_probability`` and lasts
    ``duration_years`` (rounded up to whole years); while active, the affected suppliers' prices
    are multiplied by ``price_multiplier`` and they deliver at most ``supply_fraction`` of what
    is ordered from them. Drawn once per trial and shared by every strategy."""

    description: str | None = None
    annual_probability: Fraction = Field(description="[1/yr] chance the event starts in a year.")
    duration_years: Uncertain(0, None, lo_open=True) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=1.0), description="[yr] how long it lasts.")
    suppliers: list[str] = Field(min_length=1, description="Suppliers affected.")
    price_multiplier: Positive = Field(default_factory=lambda: Fixed(value=1.0),
                                       description="[-] price multiplier while active.")
    supply_fraction: Fraction = Field(default_factory=lambda: Fixed(value=1.0),
                                      description="[-] share of orders delivered while active.")
    window: Window | None = Field(None, description="Years in which the event can start "
                                  "(default: the whole horizon).")
    source: str | None = None


class ServersNetworking(_Model):
    """Servers, memory and networking around the accelerators: costed per compute unit with a
    trend of their own, so that they carry no chip vendor's margin."""

    cost_per_unit: NonNegative = Field(description="[USD/unit] servers, CPUs, networking and "
                                       "other IT per compute unit bought in the start year.")
    price_performance_gain: Uncertain(0, None) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[1/yr] yearly fall of that cost per compute unit: c(v) = c0 / (1+g)^v.")


class Datacentre(_Model):
    cost_per_mw: Positive = Field(description="[USD/MW] construction cost per MW of IT capacity.")
    life_years: Positive = Field(default_factory=lambda: Fixed(value=20.0),
                                 description="[yr] service life of a building, for economic "
                                 "cost (straight-line depreciation).")
    lead_years: Uncertain(0, MAX_LEAD_YEARS) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[yr] construction: a building is paid over this many years before its "
        "capacity serves; 0 pays it in its first year of service.")


class Leasing(_Model):
    """Capacity rented from cloud providers.

    A provider prices a compute unit-year at its own cost times ``1 + provider_margin``: the
    chip and servers over the fleet lifetime, the data centre over its life, plus energy and
    operations; the contract runs ``contract_years`` and the rented units serve for that long.
    """

    provider_margin: Uncertain(-0.5, None) = Field(  # type: ignore[valid-type]
        description="[-] provider's margin over its own cost per compute unit-year.")
    contract_years: int = Field(5, ge=1, le=30, description="[yr] length of lease contracts.")
    source: str | None = None


class Revenue(_Model):
    """Revenue and the operating cash it leaves once non-infrastructure costs are paid."""

    start: Positive = Field(description="[USD/yr] revenue in the start year.")
    growth: GrowthRate = Field(description="[1/yr] growth in the first projected year.")
    decay: Fraction = Field(default_factory=lambda: Fixed(value=0.0),
                            description="[-] fraction of the growth rate lost each year.")
    other_costs_share: Fraction = Field(description="[-] operating costs other than "
                                        "infrastructure (staff, sales, ...) as a share of "
                                        "revenue.")


class Raise(_Model):
    """An announced or expected raise: equity, or debt that pays interest from the next year."""

    name: str
    year: int = Field(ge=1990, le=2200)
    amount: Positive = Field(description="[USD] amount if it materialises in full.")
    probability: Fraction = Field(default_factory=lambda: Fixed(value=1.0),
                                  description="[-] chance it materialises in full (else 0).")
    kind: Literal["equity", "debt"] = "equity"
    interest_rate: Fraction | None = Field(None, description="[1/yr] interest on debt (debt "
                                           "only).")
    source: str | None = None

    @model_validator(mode="after")
    def _interest_for_debt(self):
        if self.kind == "debt" and self.interest_rate is None:
            raise ValueError("a debt raise needs an interest_rate")
        if self.kind == "equity" and self.interest_rate is not None:
            raise ValueError("interest_rate applies to debt only (kind: debt)")
        return self


class Funding(_Model):
    cash_at_start: NonNegative = Field(default_factory=lambda: Fixed(value=0.0),
                                       description="[USD] cash on hand at the start of the "
                                       "first year.")
    raises: list[Raise] = Field(default_factory=list)


class Energy(_Model):
    price_per_mwh: NonNegative = Field(description="[USD/MWh] electricity price.")
    pue: Uncertain(1, None) = Field(description="[-] power usage effectiveness.")  # type: ignore[valid-type]
    utilisation: Uncertain(0, 1, lo_open=True) = Field(  # type: ignore[valid-type]
        description="[-] average IT load as a fraction of installed IT power.")


class Operations(_Model):
    cost_per_mw_year: NonNegative = Field(description="[USD/(MW yr)] operations and maintenance "
                                          "per MW of installed IT power.")


class CorrelationSpec(_Model):
    """A rank (Spearman) correlation between two uncertain inputs, by key path."""

    inputs: tuple[str, str] = Field(description="Key paths of two uncertain inputs.")
    rho: float = Field(ge=-1, le=1, description="[-] target Spearman rank correlation.")
    source: str | None = None


#: Sampling designs of the per-trial inputs.
DESIGNS = ("random", "lhs", "sobol")


class Sampling(_Model):
    """How per-trial inputs are drawn."""

    design: Literal["random", "lhs", "sobol"] = Field(
        "random", description="Sampling design: plain random, Latin hypercube or scrambled Sobol.")
    correlations: list[CorrelationSpec] = Field(default_factory=list)
    repair_correlations: bool = Field(False, description="Replace an invalid correlation "
                                      "matrix by the nearest valid one (with a warning) "
                                      "instead of rejecting it.")


class CorrelationRepairWarning(UserWarning):
    """The requested correlations were not a valid correlation matrix and were repaired."""


MAX_TRIALS = 50_000_000


class Scenario(_Model):
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
                        loc = "" if year == "all" else f"[{year}]"
                        raise ValueError(f"strategies.{name}.shares{loc}: unknown supplier "
                                         f"{supplier!r}{tip}; suppliers are {sorted(known)}")
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
