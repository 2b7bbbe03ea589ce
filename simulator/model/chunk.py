"""One chunk of trials: the cost model for every strategy on the same block of draws.

:func:`run_chunk` composes the pure equations of :mod:`simulator.model.cost_model` into the
arrays of one chunk, trial axis last; the run (:mod:`simulator.run`) draws the inputs, checks
and collects the outputs. No Python loop runs per trial: the loops are over strategies,
suppliers and (for the fleet) years.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.model import cost_model as cm
from simulator.sample.draws import Draws
from simulator.spec.scenario import InHouse, Merchant, Scenario

#: The engine's arithmetic: float32 halves the memory every pass reads and writes (the engine is
#: bound by memory bandwidth) and doubles the SIMD width; its 6e-8 relative rounding, a few
#: times 1e-7 after the engine's sums over years and vintages, is far below any Monte Carlo
#: error. Sums over the horizon that feed totals (NPV, economic cost, dependence share) and the
#: category histograms' sums accumulate in float64.
DTYPE = np.float32

#: Shortfalls below this share of demand are the rounding residue of a fully served year in
#: float32 arithmetic (~1e-6), not unmet demand.
UNMET_RESIDUE = 1e-5

OTHER_CATEGORIES = ("servers_networking", "datacentre", "energy", "operations")
LEASE_CATEGORY, PROGRAM_CATEGORY = "lease_payments", "inhouse_program"


def categories(scenario: Scenario) -> list[str]:
    """Spend categories (cash), in reporting order: one ``accelerators_<supplier>`` per supplier
    (owned chips), then servers and networking, data-centre construction, energy, operations,
    lease payments when a strategy leases, and the in-house program (NRE and team) when the
    scenario has an in-house supplier."""
    cats = [f"accelerators_{s}" for s in scenario.supplier_names] + list(OTHER_CATEGORIES)
    if any(strategy.leases for strategy in scenario.strategies.values()):
        cats.append(LEASE_CATEGORY)
    if scenario.inhouse_suppliers():
        cats.append(PROGRAM_CATEGORY)
    return cats


@dataclass(frozen=True)
class ChunkOutput:
    """Engine output for one chunk of n trials, trial axis last (see :class:`Results` for
    meanings and units; the accumulator transposes into Results' trial-major layout)."""

    spend: np.ndarray          # (strategy, category, year, n) [USD]
    annual: np.ndarray         # (strategy, year, n) [USD]
    npv: np.ndarray            # (strategy, n) [USD]
    dependence_share: np.ndarray        # (strategy, year, n) [-], NaN without purchases
    dependence_share_total: np.ndarray  # (strategy, n) [-] over the horizon
    installed_gw: np.ndarray   # (strategy, year, n) [GW]
    demand_units: np.ndarray   # (year, n) [compute units]
    unmet_units: np.ndarray    # (strategy, year, n) [compute units]
    inhouse_net_saving: np.ndarray      # (strategy, n) [USD]
    inhouse_breakeven_year: np.ndarray  # (strategy, n) [calendar year; inf never; nan no program]
    economic_cost: np.ndarray  # (strategy, n) [USD] over the horizon
    committed_lease: np.ndarray        # (strategy, n) [USD] owed after the horizon
    operating_cash_flow: np.ndarray    # (year, n) [USD]
    funding: np.ndarray        # (year, n) [USD] cumulative committed funding
    interest: np.ndarray       # (year, n) [USD]


def _start_levels(scenario: Scenario, d: Draws, lifetime: np.ndarray, new_kw: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start demand and pre-start fleet in compute units, and the pre-start fleet's power.

    Parameters
    ----------
    new_kw : ndarray, shape (n,)
        Power of the start year's new chips under the baseline mix [kW/unit].

    Returns
    -------
    start : ndarray, shape (n,)
        Demand in the start year [compute units].
    before : ndarray, shape (n,)
        Fleet in service the year before the start [compute units].
    legacy_kw : ndarray, shape (n,)
        Power per unit of that fleet [kW/unit].
    """
    n = d.n_trials
    dem = scenario.demand
    if dem.start.compute_units is not None:
        before = (np.zeros(n, dtype=DTYPE) if dem.before_start is None
                  else d["demand.before_start.compute_units"])
        legacy_kw = d["demand.kw_per_unit"] if dem.kw_per_unit is not None else new_kw
        return d["demand.start.compute_units"], before, legacy_kw
    if dem.before_start is None:
        return d["demand.start.gw"] * 1e6 / new_kw, np.zeros(n, dtype=DTYPE), new_kw
    legacy_kw = d["demand.kw_per_unit"]
    before = d["demand.before_start.gw"] * 1e6 / legacy_kw
    surviving = before * cm.survival(lifetime, np.array([1.0]))[0]
    extra_kw = np.maximum(d["demand.start.gw"] * 1e6 - surviving * legacy_kw, 0.0)
    return surviving + extra_kw / new_kw, before, legacy_kw


@dataclass(frozen=True)
class _Supply:
    """Per-supplier paths shared by every strategy, each shape (supplier, year, n)."""

    price: np.ndarray          # [USD/unit] before learning, shock multipliers included
    kw: np.ndarray             # [kW/unit]
    fraction: np.ndarray       # [-] share of orders deliverable (shocks)
    capacity: np.ndarray       # [units/yr] (inf for merchants)
    program: dict[str, np.ndarray]  # in-house supplier -> (year, n) program spend [USD]


def _supply(scenario: Scenario, d: Draws) -> _Supply:
    n, n_years = d.n_trials, len(scenario.years)
    names = scenario.supplier_names
    shape = (len(names), n_years, n)
    price, kw = np.empty(shape, dtype=DTYPE), np.empty(shape, dtype=DTYPE)
    fraction, capacity = np.ones(shape, dtype=DTYPE), np.full(shape, np.inf, dtype=DTYPE)
    program = {}
    for j, name in enumerate(names):
        sup = scenario.suppliers[name]
        p = f"suppliers.{name}"
        if isinstance(sup, Merchant):
            list_price = (d[f"{p}.price_per_unit"] if sup.price_per_unit is not None
                          else d[f"{p}.cost_per_unit"] / (1.0 - d[f"{p}.gross_margin"]))
            base, penalty = list_price * d[f"{p}.shortage_premium"], 1.0
        else:
            penalty = 1.0 - d[f"{p}.performance_penalty"]
            base = d[f"{p}.unit_cost"] / penalty
        price[j] = cm.trend(base, d[f"{p}.price_performance_gain"], n_years)
        kw[j] = cm.trend(d[f"{p}.kw_per_unit"] / penalty, d[f"{p}.power_efficiency_gain"],
                         n_years)
        if isinstance(sup, InHouse):
            prog, start = sup.program, scenario.horizon.start
            delay = d[f"{p}.program.delay_years"]
            fails = d.generation_fails[name].T
            avail = cm.inhouse_availability(delay, prog.first_volume_year - start,
                                            prog.generation_years, fails, n_years)
            ceiling = (np.full(n, np.inf, dtype=DTYPE) if sup.capacity.max is None
                       else d[f"{p}.capacity.max"])
            ramp = cm.capacity_path(d[f"{p}.capacity.first_year"], d[f"{p}.capacity.growth"],
                                    ceiling, prog.first_volume_year - start + delay, n_years)
            capacity[j] = ramp * avail
            program[name] = cm.program_costs(d[f"{p}.program.nre_per_generation"],
                                             d[f"{p}.program.team_cost_per_year"],
                                             prog.start_year - start, prog.generation_years,
                                             fails.shape[0], n_years)
    for sname, shock in scenario.shocks.items():
        active = cm.shock_active(d.shock_starts[sname].T, d[f"shocks.{sname}.duration_years"])
        mult = np.where(active, d[f"shocks.{sname}.price_multiplier"], 1.0)
        frac = np.where(active, d[f"shocks.{sname}.supply_fraction"], 1.0)
        for supplier in shock.suppliers:
            j = names.index(supplier)
            price[j] *= mult
            fraction[j] *= frac
    return _Supply(price=price, kw=kw, fraction=fraction, capacity=capacity, program=program)


def run_chunk(scenario: Scenario, draws: Draws) -> ChunkOutput:
    """Evaluate the cost model for every strategy on one block of draws.

    Parameters
    ----------
    scenario : Scenario
        Validated scenario (structure: suppliers, strategies, horizon).
    draws : Draws
        Sampled inputs for n trials.

    Returns
    -------
    ChunkOutput
    """
    d = draws.astype(DTYPE)
    n, years = d.n_trials, scenario.years
    n_years = len(years)
    names = scenario.supplier_names
    supply = _supply(scenario, d)
    inhouse = {name: names.index(name) for name in scenario.inhouse_suppliers()}

    base_shares = scenario.strategies[scenario.baseline_strategy].share_matrix(years, names)
    new_kw = base_shares[0].astype(DTYPE) @ supply.kw[:, 0, :]
    lifetime = d["fleet.lifetime_years"]
    start, before, legacy_kw = _start_levels(scenario, d, lifetime, new_kw)
    demand = cm.demand_path(start, d["demand.growth.initial"], d["demand.growth.decay"],
                            d["demand.growth.noise_sd"], d.demand_noise.T,
                            int(scenario.horizon.observed.sum()))
    legacy = cm.legacy_in_service(before, lifetime, n_years)           # (T, n)
    surv = cm.survival_by_age(lifetime, n_years)                        # (age, n)
    legacy_mw = before * legacy_kw * 1e-3
    legacy_power = legacy * (legacy_kw * 1e-3)  # (T, n) [MW], the same for every strategy
    # shortfalls below this are float32 rounding residue, not unmet demand
    residue = UNMET_RESIDUE * demand
    discount = cm.discount_factors(d["discount_rate"], n_years)
    multiple = d["servers_networking.multiple_of_chips"]
    cost_per_mw = d["datacentre.cost_per_mw"]
    om = d["operations.cost_per_mw_year"]

    cats = categories(scenario)
    at = {c: k for k, c in enumerate(cats)}
    n_sup, n_strat = len(names), len(scenario.strategies)
    spend = np.zeros((n_strat, len(cats), n_years, n), dtype=DTYPE)
    gw = np.empty((n_strat, n_years, n), dtype=DTYPE)
    unmet = np.zeros((n_strat, n_years, n), dtype=DTYPE)
    annual = np.empty((n_strat, n_years, n), dtype=DTYPE)
    chips_all = np.empty((n_strat, n_years, n), dtype=DTYPE)  # owned chips, all suppliers
    economic = np.empty((n_strat, n))
    committed = np.zeros((n_strat, n))
    net_saving = np.full((n_strat, n), np.nan)
    breakeven = np.full((n_strat, n), np.nan)
    energy_per_mw = cm.HOURS_PER_YEAR * d["energy.utilisation"] * d["energy.pue"] \
        * d["energy.price_per_mwh"]
    dc_surv = cm.survival_by_age(d["datacentre.life_years"], n_years)
    for i, strategy in enumerate(scenario.strategies.values()):
        shares = strategy.share_matrix(years, names).astype(DTYPE)  # (year, supplier)
        lease = strategy.lease_path(years).astype(DTYPE)[:, None]   # (year, 1)
        contract = (cm.contract_by_age(scenario.leasing.contract_years, n_years, DTYPE)
                    if strategy.leases else None)
        fb = None if strategy.fallback is None else names.index(strategy.fallback)
        used = [name for name in inhouse if strategy.uses(name)]
        owned = np.zeros((n_years, n), dtype=DTYPE)
        leased = np.zeros((n_years, n), dtype=DTYPE)
        delivered = np.empty((n_sup, n_years, n), dtype=DTYPE)
        # learning lowers in-house prices year by year: a strategy using them needs its own copy
        price = supply.price.copy() if used else supply.price
        cumulative = {name: np.zeros(n, dtype=DTYPE) for name in used}
        for t in range(n_years):  # the fleet, learning and fallbacks depend on earlier years
            # vintages t-1, t-2, ... at ages 1, 2, ...
            alive = legacy[t] + np.einsum("an,an->n", owned[:t][::-1], surv[1:t + 1])
            if contract is not None:
                alive += np.einsum("an,a->n", leased[:t][::-1], contract[1:t + 1, 0])
            need = cm.units_needed(demand[t], alive)
            got = cm.allocate(shares[t][:, None] * need, supply.fraction[:, t],
                              supply.capacity[:, t], fb, out=delivered[:, t])
            total = got.sum(axis=0)
            if lease[t, 0] == 0.0:
                owned[t] = total
            else:
                np.multiply(total, 1.0 - lease[t], out=owned[t])
                np.multiply(total, lease[t], out=leased[t])
            for name in used:
                j, p = inhouse[name], f"suppliers.{name}"
                price[j, t] *= cm.wright_factor(cumulative[name], d[f"{p}.capacity.first_year"],
                                                d[f"{p}.learning_rate"])
                cumulative[name] += got[j]
        bought_value = delivered * price  # (supplier, year, n) [USD], owned and leased
        chips = spend[i, :n_sup]
        np.multiply(bought_value, 1.0 - lease, out=chips)  # owned chips only
        chips_total = chips.sum(axis=0, out=chips_all[i])
        kw_bought = np.einsum("stn,stn->tn", delivered, supply.kw)
        kw_owned = kw_bought * (1.0 - lease)
        power = cm.in_service(kw_owned, surv)  # owned [MW]
        power *= 1e-3
        power += legacy_power
        fleet = cm.in_service(owned, surv) + legacy
        leased_mw = 0.0
        if contract is not None:
            units = owned + leased
            with np.errstate(invalid="ignore", divide="ignore"):
                mix_price = np.where(units > 0, bought_value.sum(axis=0) / units, 0.0)
                mix_kw = np.where(units > 0, kw_bought / units, 0.0)
            rent = cm.lease_price(mix_price, multiple, mix_kw, cost_per_mw, lifetime,
                                  d["datacentre.life_years"], energy_per_mw, om,
                                  d["leasing.provider_margin"])
            payment = leased * rent  # yearly payment of each year's contracts [USD/yr]
            spend[i, at[LEASE_CATEGORY]] = cm.in_service(payment, contract)
            committed[i] = cm.committed_after_horizon(payment, scenario.leasing.contract_years)
            fleet += cm.in_service(leased, contract)
            leased_mw = cm.in_service(kw_bought * lease, contract) * 1e-3
        short = np.subtract(demand, fleet, out=fleet)
        np.copyto(unmet[i], short, where=short > residue)
        spend[i, at["servers_networking"]] = multiple * chips_total
        build = cm.datacentre_build_mw(power, legacy_mw) * cost_per_mw
        spend[i, at["datacentre"]] = build
        spend[i, at["energy"]] = power * energy_per_mw
        spend[i, at["operations"]] = power * om
        program = 0.0
        if used:
            program = sum(supply.program[name] for name in used)
            spend[i, at[PROGRAM_CATEGORY]] = program
            # merchant spend avoided: owned in-house units at the fallback's price that year
            own_units = sum(delivered[inhouse[name]] for name in used) * (1.0 - lease)
            own_spend = sum(chips[inhouse[name]] for name in used)
            path = cm.running(np.add, own_units * price[fb] - own_spend - program)
            net_saving[i] = path[-1]
            breakeven[i] = cm.breakeven_year(path, years)
        # economic cost: owned hardware depreciated over its life, buildings over theirs
        depreciation = cm.in_service(chips_total * (1.0 + multiple), surv) / lifetime \
            + cm.in_service(build, dc_surv) / d["datacentre.life_years"]
        opex = spend[i, at["energy"]] + spend[i, at["operations"]] + program
        if contract is not None:
            opex = opex + spend[i, at[LEASE_CATEGORY]]
        economic[i] = (depreciation + opex).sum(axis=0, dtype=np.float64)
        np.add(power, leased_mw, out=gw[i])
        gw[i] *= 1e-3
        spend[i].sum(axis=0, out=annual[i])  # while the strategy's spend is still in cache
    npv = np.einsum("stn,tn->sn", annual, discount, dtype=np.float64)
    dep = spend[:, names.index(scenario.dependence_supplier)]   # (S, T, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        # spend is non-negative, so no chips bought gives 0 / 0 = NaN: no share that year
        share = dep / chips_all
        share_total = (dep.sum(axis=1, dtype=np.float64)
                       / chips_all.sum(axis=1, dtype=np.float64))
    operating, funding, interest = _cash(scenario, d, n_years)
    return ChunkOutput(spend=spend, annual=annual, npv=npv, dependence_share=share,
                       dependence_share_total=share_total, installed_gw=gw,
                       demand_units=demand, unmet_units=unmet, inhouse_net_saving=net_saving,
                       inhouse_breakeven_year=breakeven, economic_cost=economic, committed_lease=committed,
                       operating_cash_flow=operating, funding=funding, interest=interest)


def _cash(scenario: Scenario, d: Draws, n_years: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Operating cash flow, cumulative committed funding and interest, each (T, n) [USD]."""
    n = d.n_trials
    if scenario.revenue is None:
        zeros = np.zeros((n_years, n), dtype=DTYPE)
        return zeros, zeros, zeros
    revenue = cm.growth_path(d["revenue.start"], d["revenue.growth"], d["revenue.decay"],
                             n_years)
    operating = revenue * (1.0 - d["revenue.other_costs_share"])
    raises = scenario.funding.raises
    funding, interest = cm.funding_paths(
        [d[f"funding.raises[{k}].amount"] for k in range(len(raises))], d.raises_happen,
        [r.year - scenario.horizon.start for r in raises],
        [d[f"funding.raises[{k}].interest_rate"] if r.kind == "debt" else np.zeros(n, DTYPE)
         for k, r in enumerate(raises)], n_years, n)
    return operating, funding + d["funding.cash_at_start"], interest
