"""Checks of a scenario's inputs against their fields' usual ranges.

:func:`unusual_values` lists the inputs whose value lies far outside the usual range their
field declares (:class:`~simulator.spec.plausible.Plausible`), with the likely slip of units or
magnitude behind each, for :class:`UnusualValueWarning`; :func:`input_ranges` gives every
input's declared ranges by key path.
"""

from __future__ import annotations

import typing
from collections.abc import Collection, Iterator
from typing import Any

from pydantic import BaseModel

from simulator.errors import join_path
from simulator.spec.distributions import Discrete, DistributionBase
from simulator.spec.plausible import Plausible, field_plausible, slip_hint
from simulator.spec.scenario import Scenario


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
        hint = slip_hint(p, x, written=token)
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
