"""Where a schema field's values make sense: :class:`Plausible` ranges and slip hints.

Each numeric field of the scenario schema may declare a unit, a usual range (a value outside it
earns a warning) and a physical range (a value outside it is refused). This module holds that
declaration, how its ranges and values are written for a reader, the hint naming the likely slip
of units or magnitude behind an odd value, and :func:`field_plausible`, which reads a field's
ranges back from a schema model.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from simulator.spec.quantities import format_usd


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


def slip_hint(p: Plausible, x: float, *, written: str | None = None) -> str | None:
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
