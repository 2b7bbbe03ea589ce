"""The named steps of one chunk, each a few dozen lines over arrays with the trial axis last.

:func:`simulator.model.chunk.run_chunk` calls them in order for every strategy: the fleet
(:func:`fleet`: purchases year by year, allocation, learning), its costs at service
(:func:`service_costs`), cash by year with lead times (:func:`cash`), leasing
(:func:`leasing`), economic cost (:func:`economic_cost`) and why the dependence supplier's
units were ordered (:func:`dependence_units`); the in-house program's net saving against the
same purchases from the fallback is :mod:`simulator.model.saving`. ``T`` is the horizon's years, ``T + K``
the years simulated (lead times, :mod:`simulator.model.paths`), ``S`` the suppliers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.model import cash_timing as ct
from simulator.model import cost_model as cm
from simulator.model import finance as fi
from simulator.model import sourcing as so
from simulator.model.paths import DTYPE, Supply
from simulator.spec.strategies import Strategy


@dataclass(frozen=True)
class Context:
    """What every strategy of a chunk shares (shapes: (T + K, n) paths unless noted)."""

    names: list[str]           # suppliers
    inhouse: dict[str, int]    # in-house supplier -> row
    years_all: np.ndarray      # (T + K,) calendar years
    n_years: int               # T
    supply: Supply
    demand: np.ndarray         # [units]
    legacy: np.ndarray         # pre-start fleet in service [units]
    legacy_power: np.ndarray   # its power [MW]
    legacy_mw: np.ndarray      # (n,) building capacity before the start [MW]
    surv: np.ndarray           # survival by age [-] ((T + K, 1) for a fixed lifetime)
    surv_ages: tuple[np.ndarray, np.ndarray]  # its :func:`cost_model.kernel_ages`
    dc_surv: np.ndarray        # (T, n) building survival by age [-] ((T, 1) if fixed)
    dc_ages: tuple[np.ndarray, np.ndarray]
    lifetime: np.ndarray       # (n,) chip life [yr]
    dc_life: np.ndarray        # (n,) building life [yr]
    chip_weights: np.ndarray   # (K' + 1, n) payment weights of chips and servers [-], float64,
    dc_weights: np.ndarray     # and of buildings, each :func:`cost_model.paid_ahead` (K' <= K)
    cash_weights: tuple[np.ndarray, np.ndarray]  # both in DTYPE, for cash by year
    cost_per_mw: np.ndarray    # (n,) [USD/MW]
    energy_per_mw: np.ndarray  # (n,) [USD/(MW yr)]
    om: np.ndarray             # (n,) [USD/(MW yr)]
    free: frozenset[str]       # categories of zero cost in every trial ("energy", "operations")
    margin: np.ndarray         # (n,) lease provider margin [-]
    contract_years: int
    learning: dict[str, tuple[np.ndarray, np.ndarray]]  # in-house -> (V0 [units], rate [-])


@dataclass(frozen=True)
class Fleet:
    """A strategy's purchases, each year entering service; (S, T + K, n) or (T + K, n)."""

    delivered: np.ndarray  # (S, T+K, n) units by supplier, owned and leased [units]
    price: np.ndarray      # (S, T+K, n) price with learning [USD/unit]
    owned: np.ndarray      # [units]
    leased: np.ndarray     # [units]
    need: np.ndarray       # units ordered [units]
    orders: np.ndarray     # (S', T+K, n) units ordered from each supplier of ``rows`` [units]
    lease: np.ndarray      # (T+K, 1) lease share [-]
    shares: np.ndarray     # (T+K, S) planned shares [-]
    fallback: int | None
    rows: slice            # the suppliers ordered from; the others deliver nothing


def _ordering(shares: np.ndarray, fb: int | None) -> slice:
    """The rows of the suppliers a strategy orders from (a positive share in some year, or the
    fallback), first to last. The others receive +0 orders and deliver +0 units, which add
    nothing to any sum: leaving them out changes no bit of the results."""
    rows = set(np.flatnonzero(shares.any(axis=0)).tolist()) | ({fb} - {None})
    return slice(min(rows), max(rows) + 1)


def fleet(ctx: Context, strategy: Strategy) -> Fleet:
    """Purchases year by year: units needed, allocated by shares within each supplier's limits
    (fallback for the rest), split into owned and leased, with in-house learning."""
    sup, n_all, n = ctx.supply, len(ctx.years_all), ctx.demand.shape[1]
    shares = strategy.share_matrix(ctx.years_all, ctx.names).astype(DTYPE)
    lease = strategy.lease_path(ctx.years_all).astype(DTYPE)[:, None]
    contract = (fi.contract_by_age(ctx.contract_years, n_all, DTYPE)[:, 0]
                if strategy.leases else None)
    fb = None if strategy.fallback is None else ctx.names.index(strategy.fallback)
    used = [name for name in ctx.inhouse if strategy.uses(name)]
    rows = _ordering(shares, fb)
    # every year of these is written below (leased only when the strategy leases)
    owned, need = np.empty((n_all, n), dtype=DTYPE), np.empty((n_all, n), dtype=DTYPE)
    leased = (np.empty((n_all, n), dtype=DTYPE) if contract is not None
              else np.broadcast_to(DTYPE(0.0), (n_all, n)))
    delivered = np.empty((len(ctx.names), n_all, n), dtype=DTYPE)
    delivered[:rows.start] = 0.0
    delivered[rows.stop:] = 0.0
    index = list(range(len(ctx.names)))[rows]  # the suppliers ordered from, in order
    # a supplier no shock touches delivers every order (x * 1 == x), one without a cap all
    # it can (min(x, inf) == x): those steps are left out
    fraction = sup.fraction[rows] if any(sup.shocked[j] for j in index) else None
    capacity = sup.capacity[rows] if any(sup.capped[j] for j in index) else None
    fb_row = None if fb is None else index.index(fb)
    # learning lowers in-house prices year by year: a strategy using them needs its own copy
    price = sup.price.copy() if used else sup.price
    cumulative = {name: np.zeros(n, dtype=DTYPE) for name in used}
    learning = {name: (ctx.inhouse[name], *ctx.learning[name],
                       np.log2(ctx.learning[name][1])) for name in used}
    # before an in-house unit is made, the price is multiplied by exactly 1: left out
    made = {name: not so.learning_starts_at_one(ctx.learning[name][0]) for name in used}
    surv = np.broadcast_to(ctx.surv, (n_all, n))  # a fixed lifetime's is (T + K, 1)
    # ages past the longest life (or contract) hold +0 units in every trial: those terms add
    # nothing to the non-negative sums and are left out
    last = _last_age(ctx.surv_ages[0])
    last_contract = 0 if contract is None else _last_age(cm.kernel_ages(contract[:, None])[0])
    alive, orders = np.empty(n, dtype=DTYPE), np.empty((len(index), n_all, n), dtype=DTYPE)
    for t in range(n_all):  # the fleet, learning and fallbacks depend on earlier years
        # vintages t-1, t-2, ... at ages 1, 2, ...
        hi = min(t, last)
        np.einsum("an,an->n", owned[t - hi:t][::-1], surv[1:hi + 1], out=alive)
        alive += ctx.legacy[t]
        if contract is not None:
            hi = min(t, last_contract)
            alive += np.einsum("an,a->n", leased[t - hi:t][::-1], contract[1:hi + 1])
        cm.units_needed(ctx.demand[t], alive, out=need[t])
        got = so.allocate(np.multiply(shares[t, rows][:, None], need[t], out=orders[:, t]),
                          None if fraction is None else fraction[:, t],
                          None if capacity is None else capacity[:, t], fb_row,
                          out=delivered[rows, t])
        if contract is None:  # all owned: total x (1 - 0) == total
            total = owned[t]
            if len(got) > 1:  # + 0 from the others: no change
                got.sum(axis=0, out=total)
            else:
                total[...] = got[0]
        else:
            total = got.sum(axis=0) if len(got) > 1 else got[0]
            np.multiply(total, 1.0 - lease[t], out=owned[t])
            np.multiply(total, lease[t], out=leased[t])
        for name in used:
            j, reference, rate, exponent = learning[name]
            if made[name]:
                price[j, t] *= so.wright_factor(cumulative[name], reference, rate,
                                                exponent=exponent)
            cumulative[name] += got[index.index(j)]
            made[name] = made[name] or bool(cumulative[name].any())
    return Fleet(delivered=delivered, price=price, owned=owned, leased=leased, need=need,
                 orders=orders, lease=lease, shares=shares, fallback=fb, rows=rows)


def _last_age(alive: np.ndarray) -> int:
    """The oldest age at which a kernel holds anything in some trial (0 if none)."""
    return int(alive[-1]) if len(alive) else 0


@dataclass(frozen=True)
class Service:
    """Owned hardware and buildings by the year they start serving, (T + K, n) unless noted;
    by supplier for the suppliers ordered from (S' <= S, :attr:`Fleet.rows`)."""

    chips: np.ndarray    # (S', T+K, n) owned chips by supplier [USD]
    servers: np.ndarray  # owned servers and networking [USD]
    build: np.ndarray    # buildings for new capacity [USD]
    power: np.ndarray    # owned IT power in service, pre-start fleet included [MW]
    kw_bought: np.ndarray  # power of all units bought, owned and leased [kW]
    values: np.ndarray     # (S', T+K, n) chips bought, owned and leased [USD]
    server_value: np.ndarray  # servers of all units bought [USD]


def owned_share(lease: np.ndarray) -> np.ndarray | None:
    """``1 - lease``, the owned share of each year's units, or None when nothing is leased:
    then ``x * (1 - 0) == x`` bit for bit and the products are skipped."""
    return 1.0 - lease if lease.any() else None


def service_costs(ctx: Context, delivered: np.ndarray, price: np.ndarray, kw: np.ndarray,
                  server: np.ndarray, lease: np.ndarray) -> Service:
    """What the strategy's purchases cost when they start serving, and the power they draw.

    Parameters
    ----------
    delivered, price, kw, server : ndarray, shape (S', T + K, n)
        Units [units], price [USD/unit], power [kW/unit] and servers [USD/unit] by supplier
        (those ordered from: the others add +0 to every sum).
    lease : ndarray, shape (T + K, 1)
        Leased share of each year's units [-].
    """
    value = delivered * price
    server_value = np.einsum("stn,stn->tn", delivered, server)
    kw_bought = np.einsum("stn,stn->tn", delivered, kw)
    chips, servers, kw_owned = value, server_value, kw_bought
    owned = owned_share(lease)
    if owned is not None:
        chips, servers, kw_owned = value * owned, server_value * owned, kw_bought * owned
    power, build = power_and_build(ctx, kw_owned)
    return Service(chips=chips, servers=servers, build=build, power=power,
                   kw_bought=kw_bought, values=value, server_value=server_value)


def power_and_build(ctx: Context, kw_owned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owned IT power in service [MW], pre-start fleet included, and the cost of the buildings
    for new capacity [USD], each (T + K, n), from the power of the owned units bought each
    year, ``kw_owned`` (T + K, n) [kW]."""
    power = cm.in_service(kw_owned, ctx.surv, ages=ctx.surv_ages)
    power *= 1e-3
    power += ctx.legacy_power
    build = cm.datacentre_build_mw(power, ctx.legacy_mw)
    build *= ctx.cost_per_mw
    return power, build


def cash(ctx: Context, service: Service, out: np.ndarray, rows: slice
         ) -> dict[str, np.ndarray]:
    """Cash paid in each horizon year [USD], written into ``out``.

    Parameters
    ----------
    service : Service
        Costs at service of the suppliers ``rows`` (:attr:`Fleet.rows`).
    out : ndarray, shape (S + 4, T, n)
        Chips by supplier, then servers and networking, data centres, energy and operations
        (the layout of a strategy's spend); the rows of suppliers not ordered from and of
        costs that are zero in every trial (``Context.free``) are left as they are.

    Returns
    -------
    dict of str to ndarray
        Views of ``out``: ``chips`` (S, T, n), ``servers_networking``, ``datacentre``,
        ``energy``, ``operations`` (T, n); and ``work_in_progress`` (n,) float64: paid within
        the horizon for capacity serving after it.
    """
    t, n_sup = ctx.n_years, len(ctx.names)
    paid = {"chips": out[:n_sup], **facility_cash(ctx, service, out[n_sup:])}
    ct.cash_by_year(service.chips, ctx.cash_weights[0], t, out=paid["chips"][rows])
    # only what serves after the horizon counts, and only where it is paid ahead: those years
    wip = np.zeros(out.shape[-1])
    if len(ctx.chip_weights) > 1:
        wip = ct.work_in_progress(cm.sum_rows(service.chips[:, t:], service.servers[t:]),
                                  ctx.chip_weights, 0)
    if len(ctx.dc_weights) > 1:
        wip = wip + ct.work_in_progress(service.build[t:], ctx.dc_weights, 0)
    paid["work_in_progress"] = wip
    return paid


def facility_cash(ctx: Context, service: Service, out: np.ndarray) -> dict[str, np.ndarray]:
    """Cash paid in each horizon year for everything but the chips [USD], written into
    ``out``, shape (4, T, n): ``servers_networking``, ``datacentre``, ``energy`` and
    ``operations`` (views of its rows). A cost that is zero in every trial
    (``Context.free``) is left as it is: zeros in ``out`` give its +0."""
    t = ctx.n_years
    paid = dict(zip(("servers_networking", "datacentre", "energy", "operations"), out,
                    strict=True))
    ct.cash_by_year(service.servers, ctx.cash_weights[0], t, out=paid["servers_networking"])
    ct.cash_by_year(service.build, ctx.cash_weights[1], t, out=paid["datacentre"])
    # power is finite and never -0, so a zero price gives +0 in every year: left as is
    if "energy" not in ctx.free:
        np.multiply(service.power[:t], ctx.energy_per_mw, out=paid["energy"])
    if "operations" not in ctx.free:
        np.multiply(service.power[:t], ctx.om, out=paid["operations"])
    return paid


@dataclass(frozen=True)
class Leases:
    """A leasing strategy's contracts signed within the horizon."""

    payments: np.ndarray   # (T, n) lease payments [USD]
    committed: np.ndarray  # (n,) owed after the horizon [USD]
    units: np.ndarray      # (T+K, n) leased units in service [units]
    mw: np.ndarray         # (T, n) leased IT power in service [MW]


def leasing(ctx: Context, f: Fleet, service: Service) -> Leases:
    """Lease payments at the provider's price (:func:`simulator.model.finance.lease_price`) on
    each year's mix of chips, and the leased fleet and power in service."""
    t, n_all = ctx.n_years, len(ctx.years_all)
    contract = fi.contract_by_age(ctx.contract_years, n_all, DTYPE)
    leased, lease = f.leased, f.lease
    # only contracts signed within the horizon are paid for: the rent of the years after it
    # is not needed
    units = f.owned[:t] + leased[:t]  # all units bought that year
    bought = units > 0
    values = service.values[:, :t]
    with np.errstate(invalid="ignore", divide="ignore"):
        per_unit = [np.where(bought, x / units, 0.0)
                    for x in (values[0] if len(values) == 1 else cm.sum_rows(values),
                              service.server_value[:t], service.kw_bought[:t])]
    rent = fi.lease_price(*per_unit[:2], per_unit[2], ctx.cost_per_mw, ctx.lifetime,
                          ctx.dc_life, ctx.energy_per_mw, ctx.om, ctx.margin)
    payment = np.multiply(leased[:t], rent, out=rent)  # of each year's contracts [USD/yr]
    mw = cm.in_service(service.kw_bought[:t] * lease[:t], contract[:t])
    mw *= 1e-3
    return Leases(payments=cm.in_service(payment, contract[:t]),
                  committed=fi.committed_after_horizon(payment, ctx.contract_years),
                  units=cm.in_service(leased, contract), mw=mw)


def economic_cost(ctx: Context, service: Service, paid: dict[str, np.ndarray],
                  program: np.ndarray | float, lease_payments: np.ndarray | float) -> np.ndarray:
    """Cost over the horizon [USD], (n,) float64: owned chips and servers depreciated over
    their life from their first year of service, buildings over theirs, plus energy,
    operations, the in-house program and lease payments."""
    t = ctx.n_years
    hardware = cm.sum_rows(service.chips[:, :t], service.servers[:t])
    depreciation = cm.in_service(hardware, ctx.surv[:t], ages=ctx.surv_ages)
    depreciation /= ctx.lifetime
    building = cm.in_service(service.build[:t], ctx.dc_surv, ages=ctx.dc_ages)
    building /= ctx.dc_life
    depreciation += building
    # costs that are zero in every trial add +0 to non-negative sums: left out
    opex = [paid[c] for c in ("energy", "operations") if c not in ctx.free]
    opex += [c for c in (program, lease_payments) if isinstance(c, np.ndarray)]
    if opex:
        # summed in the same order as sum(opex[1:], start=opex[0]), in one new array
        depreciation += opex[0] if len(opex) == 1 else cm.sum_rows(opex)
    return depreciation.sum(axis=0, dtype=np.float64)


REASONS = ("planned", "cap", "delay", "failure")


def dependence_units(ctx: Context, f: Fleet, dependence: int) -> dict[str, np.ndarray]:
    """Units ordered from the dependence supplier over the horizon, by reason, (n,) float64
    each: its planned share (``planned``), or as the fallback for what other suppliers could
    not deliver because of their capacity or a shock (``cap``), a slipped volume start
    (``delay``) or a failed or cancelled generation (``failure``)."""
    t, sup = ctx.n_years, ctx.supply
    r = f.rows
    # the fleet's orders are these products (share x need), bit for bit
    planned = (f.orders[dependence - r.start, :t] if r.start <= dependence < r.stop
               else f.shares[:t, dependence, None] * f.need[:t])
    out = {"planned": planned.sum(axis=0, dtype=np.float64)}
    causes = [np.zeros(f.need.shape[1])] * 3
    if f.fallback == dependence:
        for j in range(len(ctx.names)):
            if j == dependence or not f.shares[:t, j].any():
                continue
            orders = f.orders[j - r.start, :t]
            if not sup.capped[j]:
                # it delivered orders x share let through: the shortfall is all a supply cut,
                # and there is none without a shock (no delay, no failure: + 0 each)
                if sup.shocked[j]:
                    causes[0] = causes[0] + (orders - f.delivered[j, :t]).sum(axis=0,
                                                                           dtype=np.float64)
                continue
            parts = so.shortfall_causes(orders, sup.fraction[j, :t], f.delivered[j, :t],
                                        sup.cap_planned[j, :t], sup.cap_no_failure[j, :t])
            causes = [c + p.sum(axis=0, dtype=np.float64) for c, p in zip(causes, parts,
                                                                           strict=True)]
    return {**out, **dict(zip(REASONS[1:], causes, strict=True))}
