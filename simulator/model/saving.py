"""The in-house program's net saving: the whole paired difference, category by category,
against buying the same units from the strategy's fallback supplier (its price, power and
servers) with everything else unchanged.

:func:`simulator.model.chunk.run_chunk` calls :func:`inhouse_saving` for every strategy that
uses an in-house supplier, after the steps of :mod:`simulator.model.steps`; the counterfactual
reuses them (:func:`counterfactual`). Shapes as there: trial axis last.
"""

from __future__ import annotations

import numpy as np

from simulator.model import cash_timing as ct
from simulator.model import cost_model as cm
from simulator.model import sourcing as so
from simulator.model import steps as st
from simulator.model.paths import DTYPE
from simulator.spec.strategies import Strategy

SAVING_PARTS = ("chips", "servers", "facilities", "program")


def inhouse_saving(ctx: st.Context, strategy: Strategy, f: st.Fleet, paid: dict[str, np.ndarray],
                   lease: st.Leases | None, program: np.ndarray
                   ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The in-house program's net saving: the whole paired difference against buying the same
    units from the fallback (its price, power and servers), by category.

    Returns
    -------
    parts : dict of str to ndarray, each (n,) float64
        ``chips``, ``servers``, ``facilities`` (buildings, energy, operations, leases) and
        ``program`` (minus its cost) [USD]; they sum to the net saving.
    breakeven : ndarray, shape (n,)
        First year from which the cumulative net saving stays non-negative (``inf``: never).
    """
    rows = [ctx.inhouse[name] for name in ctx.inhouse if strategy.uses(name)]
    cf_chips, cf, cf_lease = counterfactual(ctx, f, rows, paid, lease)
    own_lease = 0.0 if lease is None else lease.payments

    # cash is a sum of non-negative products, never -0: adding the +0 of no leases, or
    # starting a sum from 0, would change no bit and is left out
    def facilities(c, extra):
        out = c["datacentre"] + c["energy"]
        out += c["operations"]
        if isinstance(extra, np.ndarray):
            out += extra
        return out

    yearly = {"chips": cf_chips - cm.sum_rows(paid["chips"]),
              "servers": cf["servers_networking"] - paid["servers_networking"],
              "facilities": facilities(cf, cf_lease) - facilities(paid, own_lease),
              "program": -program}
    total = yearly["chips"] + yearly["servers"]
    total += yearly["facilities"]
    total += yearly["program"]
    path = cm.running(np.add, total.astype(np.float64))
    parts = {k: v.sum(axis=0, dtype=np.float64) for k, v in yearly.items()}
    return parts, so.breakeven_year(path, ctx.years_all[:ctx.n_years])


def counterfactual(ctx: st.Context, f: st.Fleet, rows: list[int], paid: dict[str, np.ndarray],
                   lease: st.Leases | None) -> tuple[np.ndarray, dict[str, np.ndarray],
                                                   np.ndarray | float]:
    """Cash of the same purchases with the in-house units bought from the fallback instead.

    Parameters
    ----------
    rows : list of int
        The in-house suppliers the strategy uses.
    paid : dict of str to ndarray
        The strategy's own cash (:func:`cash`): the other suppliers' chips are paid as there.
    lease : Leases or None
        The strategy's leases.

    Returns
    -------
    chips : ndarray, shape (T, n)
        Chips of every supplier [USD], summed in supplier order.
    facilities : dict of str to ndarray, each (T, n)
        ``servers_networking``, ``datacentre``, ``energy`` and ``operations`` [USD].
    lease_payments : ndarray, shape (T, n), or 0.0 without leases [USD]
    """
    if counterfactual_owned_only(lease):
        return _counterfactual_owned(ctx, f, rows, paid)
    fb, sup = f.fallback, ctx.supply
    r = f.rows
    alt = f.delivered[r].copy()
    alt[fb - r.start] += alt[[j - r.start for j in rows]].sum(axis=0)
    alt[[j - r.start for j in rows]] = 0.0
    service = st.service_costs(ctx, alt, f.price[r], sup.kw[r], sup.server[r], f.lease)
    cf = st.facility_cash(ctx, service, np.zeros((4, *paid["energy"].shape), dtype=DTYPE))
    # of the chips, only the fallback's change: the in-house rows now pay +0
    chips = paid["chips"].copy()
    chips[rows] = 0.0
    ct.cash_by_year(service.chips[fb - r.start], ctx.cash_weights[0], ctx.n_years,
                    out=chips[fb])
    cf_lease = 0.0 if lease is None else st.leasing(ctx, f, service).payments
    return chips.sum(axis=0), cf, cf_lease


def counterfactual_owned_only(lease: st.Leases | None) -> bool:
    """Whether :func:`counterfactual` takes its shortcut for a strategy that leases nothing
    (always; the tests switch it off to compare with the general path)."""
    return lease is None


def _facility_rows(ctx: st.Context, shape: tuple[int, ...]) -> np.ndarray:
    """Room for :func:`facility_cash`, (4, T, n): the rows of the costs it leaves as they are
    (zero in every trial) zeroed, the others written there."""
    out = np.empty((4, *shape), dtype=DTYPE)
    for k, name in enumerate(("servers_networking", "datacentre", "energy", "operations")):
        if name in ctx.free:
            out[k] = 0.0
    return out


def _counterfactual_owned(ctx: st.Context, f: st.Fleet, rows: list[int], paid: dict[str, np.ndarray]
                          ) -> tuple[np.ndarray, dict[str, np.ndarray], float]:
    """:func:`counterfactual` without leases, computing only what it reads: of the chips, the
    fallback's alone; of the suppliers, those that deliver something. The others (the in-house
    rows, now +0, and suppliers never ordered from) add +0 to non-negative sums, and the sums
    run in the same order, so every bit is the general path's."""
    fb, sup = f.fallback, ctx.supply
    ordered = set(np.flatnonzero(f.shares.any(axis=0)).tolist()) | {fb}
    keep = [j for j in range(f.rows.start, f.rows.stop) if j in ordered and j not in rows]
    # a contiguous run of suppliers is a view, not a copy
    take = (slice(keep[0], keep[-1] + 1) if keep[-1] - keep[0] == len(keep) - 1 else keep)
    alt = f.delivered[take].copy() if isinstance(take, slice) else f.delivered[take]
    i = keep.index(fb)
    # a single in-house supplier's row is its own sum: added without copies
    alt[i] += f.delivered[rows[0]] if len(rows) == 1 else f.delivered[rows].sum(axis=0)
    server_value = np.einsum("stn,stn->tn", alt, sup.server[take])
    kw_bought = np.einsum("stn,stn->tn", alt, sup.kw[take])
    value = alt[i] * f.price[fb]
    chips, servers, kw_owned = value, server_value, kw_bought
    owned = st.owned_share(f.lease)
    if owned is not None:
        chips, servers, kw_owned = value * owned, server_value * owned, kw_bought * owned
    power, build = st.power_and_build(ctx, kw_owned)
    service = st.Service(chips=chips[None], servers=servers, build=build, power=power,
                      kw_bought=kw_bought, values=value[None], server_value=server_value)
    cf = st.facility_cash(ctx, service, _facility_rows(ctx, paid["energy"].shape))
    fb_cash = ct.cash_by_year(chips, ctx.cash_weights[0], ctx.n_years)
    # numpy sums the supplier axis row after row: the same sum, the in-house rows as +0 (cash
    # is never -0, so adding their +0 after the first row changes no bit and is left out)
    total = None
    for j in range(len(ctx.names)):
        row = fb_cash if j == fb else paid["chips"][j]
        if total is None:
            total = np.zeros_like(fb_cash) if j in rows else row.copy()
        elif j not in rows:
            total += row
    return total, cf, 0.0
