"""The suppliers of a scenario: merchant vendors and in-house chip programs.

A :class:`Merchant` sells at a list price (or cost plus margin) and is unlimited except under
shocks or a foundry allocation (:class:`Capacity`); an :class:`InHouse` supplier builds at cost
with a performance penalty, Wright's-law learning, a capacity ramp and a risky
:class:`Program`. :data:`Supplier` is the field type that tells the two apart by ``kind``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from simulator.spec.distributions import Fixed
from simulator.spec.fields import (
    CHIP_PRICE,
    GAIN,
    KW_PER_UNIT,
    Fraction,
    NonNegative,
    Positive,
    SpecModel,
    Uncertain,
)
from simulator.spec.plausible import Plausible


class _SupplierBase(SpecModel):
    """What every supplier has: a price-performance trend and power per unit of compute."""

    description: str | None = None
    price_performance_gain: Uncertain(0, None, plausible=GAIN) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[1/yr] yearly gain in compute per dollar: price(v) = p0 / (1+g)^(v-start).")
    kw_per_unit: Uncertain(0, None, lo_open=True, plausible=KW_PER_UNIT) = Field(  # type: ignore[valid-type]
        description="[kW/unit] IT power per compute unit of the start year's chips, including "
        "host and network.")
    power_efficiency_gain: Uncertain(0, None, plausible=GAIN) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[1/yr] yearly gain in compute per watt: kw(v) = kw0 / (1+g)^(v-start).")


class Merchant(_SupplierBase):
    """A merchant vendor (Nvidia, AMD, ...): unlimited supply except under shocks.

    Price per unit = ``price_per_unit`` (or ``cost_per_unit / (1 - gross_margin)``) times the
    ``shortage_premium``, falling with the price-performance trend.
    """

    kind: Literal["merchant"] = "merchant"
    price_per_unit: Uncertain(0, None, lo_open=True, plausible=CHIP_PRICE) | None = Field(  # type: ignore[valid-type]
        None, description="[USD/unit] list price per compute unit in the start year, the "
        "vendor's margin included.")
    cost_per_unit: Uncertain(0, None, lo_open=True, plausible=CHIP_PRICE) | None = Field(  # type: ignore[valid-type]
        None, description="[USD/unit] the vendor's own cost; with gross_margin, an "
        "alternative to price_per_unit.")
    gross_margin: Uncertain(0, 1, hi_open=True) | None = Field(  # type: ignore[valid-type]
        None, description="[-] vendor gross margin: price = cost / (1 - margin).")
    shortage_premium: Uncertain(  # type: ignore[valid-type]
        0, None, lo_open=True, plausible=Plausible("-", (1, 2), limits=(0.5, 10))) = Field(
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


class Program(SpecModel):
    """An in-house chip program: paid from its start whether or not the chip ships.

    Generation g is designed from ``start_year + g * generation_years`` (its NRE is paid then)
    and ships from ``first_volume_year + delay + g * generation_years`` for ``generation_years``,
    unless it fails (probability ``failure_probability``, independently per generation).
    """

    start_year: int = Field(ge=1990, le=2200, description="First year of program spending.")
    first_volume_year: int = Field(ge=1990, le=2200, description="Planned first year of volume.")
    delay_years: Uncertain(0, None, plausible=Plausible("yr", (0, 5), limits=(0, 60))) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[yr] slip of every generation's volume start.")
    generation_years: int = Field(2, ge=1, le=10, description="[yr] cadence of chip generations.")
    failure_probability: Fraction = Field(default_factory=lambda: Fixed(value=0.0),
                                          description="[-] chance that a generation fails.")
    nre_per_generation: Uncertain(0, None, plausible=Plausible("USD", (0, 2e10))) = Field(  # type: ignore[valid-type]
        description="[USD] design cost (NRE) per generation.")
    team_cost_per_year: Uncertain(0, None, plausible=Plausible("USD/yr", (0, 2e10))) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
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


class Capacity(SpecModel):
    """What the foundry allocates, in chips (packages) per year, from the first volume year
    (in-house) or the start year (merchant), growing to a ceiling. Each year's chips carry that
    year's compute per chip, ``compute_per_chip x (1 + compute_per_chip_growth)^t``, so a fixed
    allocation yields more compute every year."""

    first_year: Positive = Field(description="[chips/yr] allocation in the first year.")
    growth: Uncertain(0, None, plausible=Plausible("1/yr", (0, 5), slip="rate")) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0), description="[1/yr] yearly allocation growth.")
    max: Positive | None = Field(None, description="[chips/yr] ceiling on the yearly allocation.")
    compute_per_chip: Positive = Field(default_factory=lambda: Fixed(value=1.0),
                                       description="[units/chip] compute units per chip in the "
                                       "start year (1: capacity stated in compute units).")
    compute_per_chip_growth: Uncertain(0, None, plausible=GAIN) = Field(  # type: ignore[valid-type]
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
    unit_cost: Uncertain(0, None, lo_open=True, plausible=CHIP_PRICE) = Field(  # type: ignore[valid-type]
        description="[USD/unit] cost per nominal compute unit in the start year (foundry, "
        "memory, packaging; no vendor margin).")
    performance_penalty: Uncertain(0, 1, hi_open=True) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[-] share of nominal compute lost to software and performance gaps.")
    learning_rate: Uncertain(0, 1, lo_open=True, plausible=Plausible("-", (0.6, 1))) = Field(  # type: ignore[valid-type]
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

