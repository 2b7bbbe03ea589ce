"""Readable numbers: ``"30k"``, ``"$1.5B"``, ``"7T"``, ``"35%"``.

Scenario authors write money the way analysts say it. This is the one place such strings become
floats; everything downstream sees plain numbers in USD (or the field's own unit).
"""

from __future__ import annotations

import math
import re

_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12}
#: The grammar of a readable number, in the common subset of Python's and JSON Schema's
#: (ECMA-262) regular expressions; named groups are Python's, dropped for JSON Schema
#: (:func:`readable_number_pattern`). A digit must come first or right after the point.
_GRAMMAR = (r"^\s*(?P<sign>[+-]?)\s*\$?\s*(?P<num>(?=\.?[0-9])([0-9][0-9_,]*)?(\.[0-9]+)?"
            r"([eE][+-]?[0-9]+)?)\s*(?P<suffix>bn|BN|Bn|bN|[kKmMbBtT%]?)\s*$")
_PATTERN = re.compile(_GRAMMAR)


def readable_number_pattern() -> str:
    """The readable-number grammar as a JSON Schema ``pattern`` (no named groups)."""
    return re.sub(r"\(\?P<[a-z]+>", "(", _GRAMMAR)


def parse_quantity(value: object) -> float:
    """Turn a number or a readable string into a float.

    Parameters
    ----------
    value : int, float or str
        ``12``, ``1.5e9``, ``"30k"``, ``"$1.5B"``, ``"7T"``, ``"1,200"``, ``"35%"``.
        Suffixes: k = 1e3, M = 1e6, B or bn = 1e9, T = 1e12, % = 0.01 (case-insensitive).

    Returns
    -------
    float
        The finite value.

    Raises
    ------
    ValueError
        If the text is not a number, or the number is NaN or infinite.
    """
    if isinstance(value, bool):
        raise ValueError("expected a number, got a true/false value")
    if isinstance(value, int | float):
        out = float(value)
    elif isinstance(value, str):
        m = _PATTERN.match(value)
        if m is None or not m.group("num") or not any(c.isdigit() for c in m.group("num")):
            raise ValueError(f"cannot read {value!r} as a number "
                             "(write e.g. 12, 1.5e9, '30k', '$1.5B', '7T' or '35%')")
        number = float(m.group("num").replace(",", "").replace("_", ""))
        suffix = m.group("suffix").lower()
        # divide for percent so that "35%" is exactly 0.35, as a reader would expect
        out = number / 100 if suffix == "%" else number * _SUFFIX[suffix]
        if m.group("sign") == "-":
            out = -out
    else:
        raise ValueError(f"expected a number, got {type(value).__name__}")
    if not math.isfinite(out):
        raise ValueError(f"{value!r} is not a finite number")
    return out


def format_number(x: float, digits: int = 3) -> str:
    """A quantity or count for people, never in scientific notation: ``digits`` significant
    digits below 100, whole numbers with thousands separators from 100 up
    (``21950.3 -> '21,950'``, ``0.0012345 -> '0.00123'``)."""
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    rounded = float(f"{x:.{digits}g}")
    text = f"{rounded:.{max(digits - 1 - math.floor(math.log10(abs(rounded))), 0)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_usd(x: float) -> str:
    """Format an amount in USD compactly: ``1.23e12 -> '$1.23T'``."""
    if not math.isfinite(x):
        return str(x)
    a = abs(x)
    sign = "-" if x < 0 else ""
    for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            v = a / div
            # past 999.5 of the largest unit, three significant digits would read '1e+03T'
            return f"{sign}${v:,.0f}{suf}" if v >= 999.5 else f"{sign}${v:,.3g}{suf}"
    return f"{sign}${a:,.3g}"
