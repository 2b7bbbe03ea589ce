"""The sections of a scenario other than suppliers and strategies.

The horizon, demand and the installed fleet; supply shocks; servers, data centres, energy and
operations; leasing, revenue and funding; and how per-trial inputs are sampled (design and rank
correlations). Units are written in brackets in each field's description; money is nominal USD.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from simulator.spec.distributions import Fixed
from simulator.spec.fields import (
    CHIP_PRICE,
    GAIN,
    KW_PER_UNIT,
    Fraction,
    GrowthRate,
    NonNegative,
    Positive,
    SpecModel,
    Uncertain,
)
from simulator.spec.plausible import Plausible


class Horizon(SpecModel):
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


class Level(SpecModel):
    """An installed-compute level given either in gigawatts or in compute units."""

    gw: NonNegative | None = Field(None, description="[GW] IT power of the installed fleet.")
    compute_units: NonNegative | None = Field(None, description="[compute units]")

    @model_validator(mode="after")
    def _one(self):
        if (self.gw is None) == (self.compute_units is None):
            raise ValueError("give exactly one of 'gw' or 'compute_units'")
        return self


class Growth(SpecModel):
    """Demand growth: ``g_t = initial * (1 - decay)^(t-1)`` with optional lognormal yearly noise."""

    initial: GrowthRate = Field(description="[1/yr] growth of required compute in the first "
                                "projected year (1.0 = doubling).")
    decay: Fraction = Field(default_factory=lambda: Fixed(value=0.0),
                            description="[-] fraction of the growth rate lost each year.")
    noise_sd: Uncertain(0, None, plausible=Plausible("-", (0, 0.5))) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[-] sd of the yearly log-noise on demand growth.")


class Demand(SpecModel):
    """Required installed AI compute.

    A start level in GW becomes compute units so that the baseline strategy's installed power in
    the start year equals it: the surviving pre-start fleet counts at ``kw_per_unit`` and the rest
    at the power of the start year's new chips under the baseline's supplier mix.
    """

    unit: str = Field("H100e", description="Name of the compute unit (e.g. H100-equivalents).")
    kw_per_unit: Uncertain(0, None, lo_open=True, plausible=KW_PER_UNIT) | None = Field(  # type: ignore[valid-type]
        None, description="[kW/unit] IT power per compute unit of the fleet in service before "
        "the start year; needed when before_start is given in GW.")
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


class Fleet(SpecModel):
    lifetime_years: Uncertain(  # type: ignore[valid-type]
        0, None, lo_open=True, plausible=Plausible("yr", (2, 10), limits=(0, 30))) = Field(
        description="[yr] service life of an accelerator; a chip bought in year v serves "
        "while age < lifetime.")
    order_lead_years: Uncertain(0, MAX_LEAD_YEARS) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[yr] chips, servers and networking are paid over this many years before "
        "they serve (orders, prepayments, delivery); 0 pays them in their first year of service.")



class Window(SpecModel):
    start: int = Field(ge=1990, le=2200)
    end: int = Field(ge=1990, le=2200)

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"end year {self.end} is before start year {self.start}")
        return self


class Shock(SpecModel):
    """A supply-chain event: starts in any year with ``annual_probability`` and lasts
    ``duration_years`` (rounded up to whole years); while active, the affected suppliers' prices
    are multiplied by ``price_multiplier`` and they deliver at most ``supply_fraction`` of what
    is ordered from them. Drawn once per trial and shared by every strategy."""

    description: str | None = None
    annual_probability: Fraction = Field(description="[1/yr] chance the event starts in a year.")
    duration_years: Uncertain(  # type: ignore[valid-type]
        0, None, lo_open=True, plausible=Plausible("yr", (0.1, 10), limits=(0, 60))) = Field(
        default_factory=lambda: Fixed(value=1.0), description="[yr] how long it lasts.")
    suppliers: list[str] = Field(min_length=1, description="Suppliers affected.")
    price_multiplier: Uncertain(  # type: ignore[valid-type]
        0, None, lo_open=True, plausible=Plausible("-", (1, 5), limits=(0.1, 100))) = Field(
        default_factory=lambda: Fixed(value=1.0), description="[-] price multiplier while active.")
    supply_fraction: Fraction = Field(default_factory=lambda: Fixed(value=1.0),
                                      description="[-] share of orders delivered while active.")
    window: Window | None = Field(None, description="Years in which the event can start "
                                  "(default: the whole horizon).")
    source: str | None = None


class ServersNetworking(SpecModel):
    """Servers, memory and networking around the accelerators: costed per compute unit with a
    trend of their own, so that they carry no chip vendor's margin."""

    cost_per_unit: Uncertain(0, None, plausible=CHIP_PRICE) = Field(  # type: ignore[valid-type]
        description="[USD/unit] servers, CPUs, networking and other IT per compute unit bought "
        "in the start year.")
    price_performance_gain: Uncertain(0, None, plausible=GAIN) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[1/yr] yearly fall of that cost per compute unit: c(v) = c0 / (1+g)^v.")


class Datacentre(SpecModel):
    cost_per_mw: Uncertain(  # type: ignore[valid-type]
        0, None, lo_open=True, plausible=Plausible("USD/MW", (1e6, 1e8), slip="thousands")) = Field(
        description="[USD/MW] construction cost per MW of IT capacity.")
    life_years: Uncertain(  # type: ignore[valid-type]
        0, None, lo_open=True, plausible=Plausible("yr", (10, 40), limits=(0, 100))) = Field(
        default_factory=lambda: Fixed(value=20.0),
        description="[yr] service life of a building, for economic cost (straight-line "
        "depreciation).")
    lead_years: Uncertain(0, MAX_LEAD_YEARS) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[yr] construction: a building is paid over this many years before its "
        "capacity serves; 0 pays it in its first year of service.")


class Leasing(SpecModel):
    """Capacity rented from cloud providers.

    A provider prices a compute unit-year at its own cost times ``1 + provider_margin``: the
    chip and servers over the fleet lifetime, the data centre over its life, plus energy and
    operations; the contract runs ``contract_years`` and the rented units serve for that long.
    """

    provider_margin: Uncertain(  # type: ignore[valid-type]
        -0.5, None, plausible=Plausible("-", (0, 1), limits=(-0.5, 10))) = Field(
        description="[-] provider's margin over its own cost per compute unit-year.")
    contract_years: int = Field(5, ge=1, le=30, description="[yr] length of lease contracts.")
    source: str | None = None


class Revenue(SpecModel):
    """Revenue and the operating cash it leaves once non-infrastructure costs are paid."""

    start: Positive = Field(description="[USD/yr] revenue in the start year.")
    growth: GrowthRate = Field(description="[1/yr] growth in the first projected year.")
    decay: Fraction = Field(default_factory=lambda: Fixed(value=0.0),
                            description="[-] fraction of the growth rate lost each year.")
    other_costs_share: Fraction = Field(description="[-] operating costs other than "
                                        "infrastructure (staff, sales, ...) as a share of "
                                        "revenue.")


class Raise(SpecModel):
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


class Funding(SpecModel):
    cash_at_start: NonNegative = Field(default_factory=lambda: Fixed(value=0.0),
                                       description="[USD] cash on hand at the start of the "
                                       "first year.")
    raises: list[Raise] = Field(default_factory=list)


class Energy(SpecModel):
    price_per_mwh: Uncertain(0, None, plausible=Plausible("USD/MWh", (10, 500))) = Field(  # type: ignore[valid-type]
        description="[USD/MWh] electricity price.")
    pue: Uncertain(1, None, plausible=Plausible("-", (1.03, 2), limits=(1, 10))) = Field(  # type: ignore[valid-type]
        description="[-] power usage effectiveness: facility power / IT power.")
    utilisation: Uncertain(0, 1, lo_open=True) = Field(  # type: ignore[valid-type]
        description="[-] average IT load as a fraction of installed IT power.")


class Operations(SpecModel):
    cost_per_mw_year: Uncertain(  # type: ignore[valid-type]
        0, None, plausible=Plausible("USD/(MW yr)", (1e4, 5e6), slip="thousands")) = Field(
        description="[USD/(MW yr)] operations and maintenance per MW of installed IT power.")


class CorrelationSpec(SpecModel):
    """A rank (Spearman) correlation between two uncertain inputs, by key path."""

    inputs: tuple[str, str] = Field(description="Key paths of two uncertain inputs.")
    rho: float = Field(ge=-1, le=1, description="[-] target Spearman rank correlation.")
    source: str | None = None


#: Sampling designs of the per-trial inputs.
DESIGNS = ("random", "lhs", "sobol")


class Sampling(SpecModel):
    """How per-trial inputs are drawn."""

    design: Literal["random", "lhs", "sobol"] = Field(
        "random", description="Sampling design: plain random, Latin hypercube or scrambled Sobol.")
    correlations: list[CorrelationSpec] = Field(default_factory=list)
    repair_correlations: bool = Field(False, description="Replace an invalid correlation "
                                      "matrix by the nearest valid one (with a warning) "
                                      "instead of rejecting it.")

