"""Field types shared by every section of the scenario schema, and its base model.

Every numeric assumption is an :func:`Uncertain` value: a fixed number (``12``, ``"30k"``,
``{value: 12, source: ...}``) or a distribution from :mod:`simulator.spec.distributions`,
checked against the field's domain and, where declared, its physical range
(:class:`~simulator.spec.plausible.Plausible`). This module also holds the common aliases
(:data:`Positive`, :data:`Fraction`, ...), the ranges several fields share, and
:class:`SpecModel`, the frozen, strict pydantic base of every schema section.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from simulator.spec.distributions import FAMILIES, Discrete, Distribution, DistributionBase
from simulator.spec.plausible import Plausible, slip_hint
from simulator.spec.quantities import parse_quantity


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
            slip = None if ranges is None else slip_hint(ranges, s_hi if bad_hi else s_lo)
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
        slip = slip_hint(p, x)
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


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

