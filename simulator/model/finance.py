r"""Own versus lease, revenue and funding as pure array functions.

Shapes as in :mod:`simulator.model.cost_model`: trial axis last.

* Lease price [USD/(unit yr)]: :math:`(p/L + c_{srv}/L + k c_{MW} / L_{dc} + k (e + o))(1 + \mu)`
  with k in MW per unit: hardware over a chip life L, the building over its own life, so that
  at zero margin renting costs what owning does over any number of chip generations
  (:func:`lease_price`).
* Funding: cash need = cash spend + interest - operating cash flow, cumulated; committed
  funding = opening cash + raises that materialise; the gap is the largest excess
  (:func:`funding_gaps`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from simulator.model.cost_model import demand_path, running


def lease_price(chip_price: np.ndarray, server_cost: np.ndarray, kw_per_unit: np.ndarray,
                dc_cost_per_mw: np.ndarray, lifetime: np.ndarray, dc_life: np.ndarray,
                energy_per_mw_year: np.ndarray, om_per_mw_year: np.ndarray, margin: np.ndarray
                ) -> np.ndarray:
    """A cloud provider's price per compute unit-year: its own cost times ``1 + margin``.

    Own cost = (chip + servers) / chip life + kW/1000 x USD/MW / building life
    + kW/1000 x (energy + O&M per MW-year). The provider's building outlives the chips in it
    and houses generation after generation, so each unit-year carries one year of the
    building's depreciation, as an owner's economic cost does: at zero margin, renting costs
    what owning does over any number of chip generations.

    Parameters
    ----------
    chip_price, server_cost, kw_per_unit : ndarray, shape (T, n)
        Price [USD/unit], servers and networking [USD/unit] and power [kW/unit] of each year's
        chips.
    dc_cost_per_mw, lifetime, dc_life, energy_per_mw_year, om_per_mw_year, margin :
        ndarray, shape (n,)
        [USD/MW], [yr], [yr], [USD/(MW yr)], [USD/(MW yr)], [-].

    Returns
    -------
    ndarray, shape (T, n) [USD/(unit yr)]
    """
    mw = kw_per_unit * 1e-3
    hardware = (chip_price + server_cost) / lifetime
    building = mw * (dc_cost_per_mw / dc_life)
    return (hardware + building + mw * (energy_per_mw_year + om_per_mw_year)) * (1.0 + margin)


def contract_by_age(contract_years: int, n_years: int, dtype: type = float) -> np.ndarray:
    """Whether a contract runs ``a`` years after signing: ``a < contract_years``.

    Returns
    -------
    ndarray, shape (T, 1) [-], by age, broadcasting over trials (see :func:`in_service`)
    """
    return (np.arange(n_years) < contract_years).astype(dtype)[:, None]


def committed_after_horizon(payment_per_year: np.ndarray, contract_years: int) -> np.ndarray:
    """Lease payments still owed after the last year on contracts signed within the horizon.

    Parameters
    ----------
    payment_per_year : ndarray, shape (T, n)
        Yearly payment of the contracts signed in each year [USD/yr].
    contract_years : int

    Returns
    -------
    ndarray, shape (n,) [USD, nominal]
    """
    n_years = payment_per_year.shape[0]
    years_left = np.maximum(np.arange(n_years) + contract_years - n_years, 0)
    return years_left @ payment_per_year


def growth_path(start: np.ndarray, growth: np.ndarray, decay: np.ndarray, n_years: int
                ) -> np.ndarray:
    """``x_t = x_0 prod_{k<=t} (1 + g_k)`` with ``g_k = g_1 (1 - d)^(k-1)`` (no noise).

    Returns
    -------
    ndarray, shape (T, n) [unit of start]
    """
    no_noise = np.broadcast_to(np.zeros(1, dtype=start.dtype), (n_years, len(start)))
    return demand_path(start, growth, decay, no_noise[0], no_noise)


def funding_paths(amounts: list[np.ndarray], happen: list[np.ndarray], offsets: list[int],
                  rates: list[np.ndarray], n_years: int, n: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative funding and debt interest by year.

    A raise that happens adds its amount in its year (raises before the start count in the
    start year; after the end, not at all); debt pays ``rate x amount`` every later year.

    Parameters
    ----------
    amounts, happen, rates : list of ndarray, each shape (n,)
        Per raise: amount [USD], whether it materialises [bool], interest rate [1/yr] (0 for
        equity).
    offsets : list of int
        Per raise: its year minus the start year.
    n_years, n : int
        Years and trials.

    Returns
    -------
    funding : ndarray, shape (T, n)
        Cumulative funding received by each year [USD].
    interest : ndarray, shape (T, n)
        Interest paid each year [USD/yr].
    """
    dtype = np.result_type(*amounts) if amounts else np.float64
    received = np.zeros((n_years, n), dtype=dtype)
    interest = np.zeros((n_years, n), dtype=dtype)
    t = np.arange(n_years)[:, None]
    for amount, yes, offset, rate in zip(amounts, happen, offsets, rates, strict=True):
        if offset >= n_years:
            continue
        got = amount * yes
        received[max(offset, 0)] += got
        interest += np.where(t > offset, rate * got, 0.0)
    return running(np.add, received), interest


def funding_gaps(cash_need: np.ndarray, funding: np.ndarray, first_year: int,
                 ends: Iterable[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The most that must be raised beyond committed funding, and the year the gap opens,
    through several years at once, in one pass over the years.

    The gap through year t is ``max(0, max_{s <= t} (cash_need_s - funding_s))``, the running
    maximum of the shortfall: one pass over year-major rows gives every end, instead of
    reading the years of each end again (and along the short, strided year axis of
    trial-major arrays).

    Parameters
    ----------
    cash_need : ndarray, shape (T, n)
        Cumulative cash need by year, year-major [USD].
    funding : ndarray, shape (T, n)
        Cumulative committed funding received by each year, year-major [USD].
    first_year : int
        Calendar year of row 0.
    ends : iterable of int
        Years counted from the start (1 = the first year only), each in 1 .. T.

    Returns
    -------
    dict of int to (ndarray, ndarray)
        Per end, the gap (n,) [USD] and the first calendar year with a positive gap (n,)
        (``inf``: none).
    """
    ends = set(ends)
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    worst = first = None
    for t in range(max(ends, default=0)):
        short = cash_need[t] - funding[t]
        if worst is None:
            worst, first = short, np.where(short > 0, float(first_year), np.inf)
        else:
            np.maximum(worst, short, out=worst)
            first[np.isinf(first) & (short > 0)] = float(first_year + t)
        if t + 1 in ends:
            out[t + 1] = (np.maximum(worst, 0.0), first.copy())
    return out
