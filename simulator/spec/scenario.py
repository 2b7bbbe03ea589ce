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
import typing
import warnings
from collections.abc import Collection, Iterator
from dataclasses import dataclass
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
from simulator.spec.quantities import format_usd, parse_quantity
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


@dataclass(frozen=True)
class Plausible:
    """Where a field's values make sense, in the field's unit: the one home of its ranges.

    A value outside ``limits`` has no physical meaning (a chip that serves 1e300 years, a PUE of
    1e6) and is refused; a value outside ``usual`` is possible but most often a slip of units
    or magnitude (a GPU at $18, a growth of 150), and gets a warning naming the field, the
    value, the usual range and the likely slip. Both appear in ``simulate schema``
    (``x-unit``, ``x-usual-range``, ``x-physical-range``) and ``simulate describe``.

    Parameters
    ----------
    unit : str
        The field's unit, e.g. ``"USD/unit"``, ``"yr"``, ``"1/yr"``, ``"-"``.
    usual : tuple of float
        Low and high end of the values found in practice [unit].
    limits : tuple of float or None
        Physical range [unit]; None where the field's own range (e.g. positive) is the limit.
    slip : {"thousands", "rate", "fraction"} or None
        The likely slip beyond the usual range: an amount in thousands (``18.000`` read as
        18), a percentage written as a rate (``150`` for 150%), or a share written in percent.
    """

    unit: str
    usual: tuple[float, float]
    limits: tuple[float | None, float | None] = (None, None)
    slip: Literal["thousands", "rate", "fraction"] | None = None

    def json_schema(self) -> dict[str, Any]:
        """The ranges as JSON Schema annotations (unknown keywords editors ignore)."""
        out: dict[str, Any] = {"x-unit": self.unit, "x-usual-range": list(self.usual)}
        if self.limits != (None, None):
            out["x-physical-range"] = list(self.limits)
        return out

    @property
    def money(self) -> bool:
        """Whether values are amounts of money (USD, USD per something, not USD per USD)."""
        return self.unit.startswith("USD") and self.unit != "USD/USD"

    def text(self, lo: float, hi: float) -> str:
        """``'2 to 10 yr'``, ``'$1k to $200k per unit'``: a range in the field's unit."""
        if self.money:
            per = self.unit.removeprefix("USD").removeprefix("/")
            return f"{format_usd(lo)} to {format_usd(hi)}" + (f" per {per}" if per else "")
        unit = "" if self.unit == "-" else f" {self.unit}"
        return f"{_num(lo)} to {_num(hi)}{unit}"

    def value_text(self, x: float) -> str:
        """A value in the field's unit, e.g. ``'$18 per unit'`` or ``'12 yr'``."""
        if self.money:
            per = self.unit.removeprefix("USD").removeprefix("/")
            return format_usd(x) + (f" per {per}" if per else "")
        return _num(x) + ("" if self.unit == "-" else f" {self.unit}")


def _num(x: float) -> str:
    """A number as a reader writes it: 18, 0.35, 1.5k, 2M, 1e+300."""
    a = abs(x)
    if a >= 1e15 or (0 < a < 1e-4):
        return f"{x:.3g}"
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{x / div:.4g}{suffix}"
    return f"{x:.4g}"


def _plausible_in(annotation: Any) -> Plausible | None:
    """The :class:`Plausible` metadata inside a field's annotation (through Optional and
    Annotated), or None."""
    if isinstance(annotation, Plausible):
        return annotation
    for arg in typing.get_args(annotation):
        found = _plausible_in(arg)
        if found is not None:
            return found
    for item in getattr(annotation, "__metadata__", ()):
        if isinstance(item, Plausible):
            return item
    return None


def field_plausible(model: type[BaseModel], name: str) -> Plausible | None:
    """The ranges declared for field ``name`` of a schema model, or None."""
    field = model.model_fields.get(name)
    if field is None:
        return None
    for item in field.metadata:
        if isinstance(item, Plausible):
            return item
    return _plausible_in(field.annotation)


def _slip_hint(p: Plausible, x: float, *, written: str | None = None) -> str | None:
    """What a value outside the usual range most likely meant, or None."""
    lo, hi = p.usual
    if p.slip == "thousands" and x < lo and lo <= x * 1000 <= hi:
        if written is not None:
            return (f"'{written}' reads as {_num(x)}: in YAML the point is a decimal point; for "
                    f"{x * 1000:,.0f} write {x * 1000:.0f} or {_num(x * 1000)}")
        return f"is it in thousands? for {x * 1000:,.0f} write {_num(x * 1000)}"
    if p.slip == "rate" and x > hi and x >= 5:
        return (f"a growth rate is a fraction per year (1.0 = doubling): {_num(x)} means "
                f"{_num(x + 1)}x a year; for {_num(x)}% write {_num(x / 100)} or '{_num(x)}%'")
    if p.slip == "fraction" and 1 < x <= 100:
        return f"a share is a fraction: for {_num(x)}% write '{_num(x)}%' or {_num(x / 100)}"
    return None


def _within(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
            hi_open: bool = False, plausible: Plausible | None = None) -> AfterValidator:
    """Check that every value a distribution can produce lies in the field's allowed range."""
    unit = "" if plausible is None or plausible.unit == "-" else f" {plausible.unit}"

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
            # a field whose domain ends at 1 is a share, whatever its declared ranges
            ranges = plausible or (Plausible("-", (0, 1), slip="fraction") if hi == 1 else None)
            slip = None if ranges is None else _slip_hint(ranges, s_hi if bad_hi else s_lo)
            raise ValueError(f"{what} must lie in {rng}{unit}; got {got}{hint}"
                             + (f"; {slip}" if slip else ""))
        return d

    return AfterValidator(check)


#: Tail quantiles of a continuous distribution held to a field's physical range: the whole
#: support of an unbounded family (a lognormal lifetime) would always cross it.
PHYSICAL_TAIL = 0.001


def _physical(p: Plausible) -> AfterValidator:
    """Refuse values outside the field's physical range (fixed and discrete: every value;
    continuous: the P0.1 to P99.9 range)."""
    lo, hi = p.limits

    def check(d: DistributionBase) -> DistributionBase:
        if d.is_fixed or isinstance(d, Discrete):
            s_lo, s_hi = d.support()
        else:
            s_lo, s_hi = d.quantile(PHYSICAL_TAIL), d.quantile(1 - PHYSICAL_TAIL)
        bad_lo, bad_hi = lo is not None and s_lo < lo, hi is not None and s_hi > hi
        if not (bad_lo or bad_hi):
            return d
        x = s_hi if bad_hi else s_lo
        rng = p.text(-np.inf if lo is None else lo, np.inf if hi is None else hi) \
            if lo is not None and hi is not None else \
            (f"at most {p.value_text(hi)}" if lo is None else f"at least {p.value_text(lo)}")
        got = p.value_text(x) if d.is_fixed or isinstance(d, Discrete) else \
            f"a distribution reaching {p.value_text(x)} (P{'99.9' if bad_hi else '0.1'})"
        slip = _slip_hint(p, x)
        raise ValueError(f"{got} is outside any physical meaning: the range is {rng} (usual: "
                         f"{p.text(*p.usual)})" + (f"; {slip}" if slip else ""))

    return AfterValidator(check)


def Uncertain(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,  # noqa: N802
              hi_open: bool = False, plausible: Plausible | None = None,
              description: str = "") -> Any:
    """Type of an uncertain input: a fixed number or a distribution, restricted to a range
    (``lo``, ``hi``: the field's domain) and, with ``plausible``, to its physical range, with a
    usual range for warnings (:func:`unusual_values`)."""
    checks: list[Any] = [_within(lo, hi, lo_open=lo_open, hi_open=hi_open, plausible=plausible)]
    if plausible is not None:
        if plausible.limits != (None, None):
            checks.append(_physical(plausible))
        checks.append(plausible)
    extra = None if plausible is None else plausible.json_schema()
    return Annotated[Distribution, BeforeValidator(_as_distribution), *checks,
                     Field(description=description, json_schema_extra=extra)]


Positive = Uncertain(0, None, lo_open=True)
NonNegative = Uncertain(0, None)
Fraction = Uncertain(0, 1, plausible=Plausible("-", (0, 1), slip="fraction"))
GrowthRate = Uncertain(-1, None, lo_open=True,
                       plausible=Plausible("1/yr", (-0.5, 3), slip="rate"))
#: Ranges shared by several fields (one declaration each).
KW_PER_UNIT = Plausible("kW/unit", (0.05, 5), limits=(1e-3, 1e3))
GAIN = Plausible("1/yr", (0, 1), limits=(0, 10), slip="rate")
CHIP_PRICE = Plausible("USD/unit", (1e3, 2e5), slip="thousands")


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
    noise_sd: Uncertain(0, None, plausible=Plausible("-", (0, 0.5))) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[-] sd of the yearly log-noise on demand growth.")


class Demand(_Model):
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


class Fleet(_Model):
    lifetime_years: Uncertain(  # type: ignore[valid-type]
        0, None, lo_open=True, plausible=Plausible("yr", (2, 10), limits=(0, 30))) = Field(
        description="[yr] service life of an accelerator; a chip bought in year v serves "
        "while age < lifetime.")
    order_lead_years: Uncertain(0, MAX_LEAD_YEARS) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[yr] chips, servers and networking are paid over this many years before "
        "they serve (orders, prepayments, delivery); 0 pays them in their first year of service.")


class _SupplierBase(_Model):
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


class Program(_Model):
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


class Capacity(_Model):
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


def _share_in_range(value: float) -> float:
    if not 0 <= value <= 1:
        slip = _slip_hint(Plausible("-", (0, 1), slip="fraction"), value)
        raise ValueError(f"share {value:g} is outside [0, 1]" + (f"; {slip}" if slip else ""))
    return value


ShareRow = dict[str, Annotated[float, BeforeValidator(_share_value),
                               AfterValidator(_share_in_range)]]


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
                slip = _slip_hint(Plausible("-", (0, 1), slip="fraction"), value)
                raise ValueError(f"lease share {value:g} is outside [0, 1]"
                                 + (f"; {slip}" if slip else ""))
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


class ServersNetworking(_Model):
    """Servers, memory and networking around the accelerators: costed per compute unit with a
    trend of their own, so that they carry no chip vendor's margin."""

    cost_per_unit: Uncertain(0, None, plausible=CHIP_PRICE) = Field(  # type: ignore[valid-type]
        description="[USD/unit] servers, CPUs, networking and other IT per compute unit bought "
        "in the start year.")
    price_performance_gain: Uncertain(0, None, plausible=GAIN) = Field(  # type: ignore[valid-type]
        default_factory=lambda: Fixed(value=0.0),
        description="[1/yr] yearly fall of that cost per compute unit: c(v) = c0 / (1+g)^v.")


class Datacentre(_Model):
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


class Leasing(_Model):
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
    price_per_mwh: Uncertain(0, None, plausible=Plausible("USD/MWh", (10, 500))) = Field(  # type: ignore[valid-type]
        description="[USD/MWh] electricity price.")
    pue: Uncertain(1, None, plausible=Plausible("-", (1.03, 2), limits=(1, 10))) = Field(  # type: ignore[valid-type]
        description="[-] power usage effectiveness: facility power / IT power.")
    utilisation: Uncertain(0, 1, lo_open=True) = Field(  # type: ignore[valid-type]
        description="[-] average IT load as a fraction of installed IT power.")


class Operations(_Model):
    cost_per_mw_year: Uncertain(  # type: ignore[valid-type]
        0, None, plausible=Plausible("USD/(MW yr)", (1e4, 5e6), slip="thousands")) = Field(
        description="[USD/(MW yr)] operations and maintenance per MW of installed IT power.")


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


class UnusualValueWarning(UserWarning):
    """A value far outside its field's usual range (:class:`Plausible`): possible, but most
    often a slip of units or magnitude."""


def unusual_values(scenario: Scenario, *, paths: Collection[str] | None = None,
                   written: typing.Callable[[str], str | None] | None = None
                   ) -> list[tuple[str, str, str | None]]:
    """Inputs whose value lies outside their field's usual range.

    A fixed value is checked as it is, a discrete distribution by each value, a continuous one
    by its median.

    Parameters
    ----------
    scenario : Scenario
    paths : collection of str, optional
        Check only these key paths and the inputs below them (e.g. the keys an override set);
        default: every input.
    written : callable, optional
        ``written(path)`` gives the text of the line where the input is written, so that a
        number written like ``18.000`` can be recognised as a thousands separator.

    Returns
    -------
    list of (key path, problem, hint or None)
    """
    out = []
    for path, dist, p in _walk_ranges(scenario, ""):
        if p is None or (paths is not None and not any(
                path == q or path.startswith(q + ".") or q.startswith(path + ".")
                for q in paths)):
            continue
        values = (dist.values if isinstance(dist, Discrete) else
                  [dist.value] if dist.is_fixed else [dist.quantile(0.5)])
        lo, hi = p.usual
        odd = [x for x in values if not lo <= x <= hi]
        if not odd:
            continue
        x = odd[0]
        what = (f"value {p.value_text(x)}" if dist.is_fixed else
                f"median {p.value_text(x)}" if not isinstance(dist, Discrete) else
                f"value {p.value_text(x)} (of {len(values)})")
        side = "below" if x < lo else "above"
        problem = f"{what} is far {side} the usual range, {p.text(lo, hi)}"
        text = written(path) if written is not None else None
        token = _thousands_token(text, p) if text and p.slip == "thousands" else None
        if token is not None:
            x = float(token)
        hint = _slip_hint(p, x, written=token)
        out.append((path, problem, hint or "check the unit and the magnitude; if the value is "
                    "meant, keep it (this is only a warning)"))
    return out


def input_ranges(scenario: Scenario) -> dict[str, Plausible]:
    """The declared ranges of every numeric input that has them, by key path."""
    return {path: p for path, _, p in _walk_ranges(scenario, "") if p is not None}


def _thousands_token(text: str, p: Plausible) -> str | None:
    """A number in ``text`` written like a thousands separator (``18.000``), below the usual
    range as YAML reads it and within it in thousands, or None."""
    import re

    lo, hi = p.usual
    for token in re.findall(r"(?<![\d.])\d{1,3}\.\d{3}(?![\d.])", text):
        if float(token) < lo <= float(token) * 1000 <= hi:
            return token
    return None


def _walk_ranges(obj: Any, path: str, plausible: Plausible | None = None
                 ) -> Iterator[tuple[str, DistributionBase, Plausible | None]]:
    """Every numeric input as (key path, distribution, its field's ranges or None)."""
    if isinstance(obj, DistributionBase):
        yield path, obj, plausible
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk_ranges(getattr(obj, name), join_path(path, name),
                                    field_plausible(type(obj), name))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk_ranges(v, join_path(path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk_ranges(v, join_path(path, i))
