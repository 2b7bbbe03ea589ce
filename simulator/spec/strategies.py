"""Sourcing strategies: supplier shares and lease shares of each year's purchases.

A :class:`Strategy` gives each supplier's share of purchases, either one mapping for all years
or a table keyed by year (linear between listed years, flat outside), a fallback supplier, and
the share of new capacity leased instead of bought. This module also reads those year-keyed
tables.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from simulator.spec.fields import SpecModel
from simulator.spec.plausible import Plausible, slip_hint
from simulator.spec.quantities import parse_quantity

SHARE_TOLERANCE = 1e-6


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
        slip = slip_hint(Plausible("-", (0, 1), slip="fraction"), value)
        raise ValueError(f"share {value:g} is outside [0, 1]" + (f"; {slip}" if slip else ""))
    return value


ShareRow = dict[str, Annotated[float, BeforeValidator(_share_value),
                               AfterValidator(_share_in_range)]]


class Strategy(SpecModel):
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
                slip = slip_hint(Plausible("-", (0, 1), slip="fraction"), value)
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

