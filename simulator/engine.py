"""The orchestrator: Scenario -> Draws -> cost formulas -> Results, chunk by chunk of trials.

All strategies run on the same draws (common random numbers), so their differences are paired.
Trials are processed in chunks of ``chunk_size``; chunk k draws from its own stream
``SeedSequence(seed, spawn_key=(k,))``, so a run is reproducible bit for bit from
``(scenario, seed, trials, chunk_size)``. No Python loop runs per trial: the loops are over
chunks, strategies, suppliers and (for the fleet) years.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, replace

import numpy as np
from threadpoolctl import threadpool_limits

from simulator import cost_model as cm
from simulator.errors import NumericalError
from simulator.results import Results, provenance
from simulator.run_totals import RunTotals
from simulator.sampling import Draws, draws_from_uniforms, sample
from simulator.scenario import InHouse, Merchant, Scenario, input_ranges
from simulator.streaming import LogHistogram

#: Runs with fewer chunks than this stay in one process by default: starting a pool costs
#: about half a second.
PARALLEL_MIN_CHUNKS = 8

#: Per-trial arrays are kept for at most this many trials by default (about 0.75 GB for the
#: base scenario's five strategies); beyond, statistics stream (see :func:`simulate`).
KEEP_TRIALS = 500_000

#: Default number of trials per chunk: big enough to amortise NumPy overhead (larger chunks
#: are no faster), small enough that a chunk's temporaries stay well under 150 MB.
CHUNK_SIZE = 16_384

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
                            d["demand.growth.noise_sd"], d.demand_noise.T)
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
                                  energy_per_mw, om, d["leasing.provider_margin"])
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


def chunk_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of chunk ``index``: ``SeedSequence(seed, spawn_key=(index,))``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


#: Per-trial fields kept in Results (named as in :class:`Results` and :class:`ChunkOutput`):
#: name -> (dtype, axes: s strategy, n trial, t year); ``Results.TRIAL_AXIS`` is the position
#: of "n" in each (checked by the tests).
#: Paths are float32, as the engine computes them (:data:`DTYPE`); totals over the horizon
#: (npv, the dependence share over the horizon, economic cost, leases owed) are accumulated in
#: float64 inside each chunk and kept in float64, as are the in-house saving and break-even.
TRIAL_FIELDS = {
    "annual": (np.float32, "snt"),
    "npv": (np.float64, "sn"),
    "installed_gw": (np.float32, "snt"),
    "unmet_units": (np.float32, "snt"),
    "dependence_share": (np.float32, "snt"),
    "dependence_share_total": (np.float64, "sn"),
    "inhouse_net_saving": (np.float64, "sn"),
    "inhouse_breakeven_year": (np.float64, "sn"),
    "economic_cost": (np.float64, "sn"),
    "committed_lease": (np.float64, "sn"),
    "demand_units": (np.float32, "nt"),
    "operating_cash_flow": (np.float32, "nt"),
    "funding": (np.float32, "nt"),
    "interest": (np.float32, "nt"),
}


def simulate(scenario: Scenario, *, trials: int | None = None, seed: int | None = None,
             design: str | None = None, chunk_size: int = CHUNK_SIZE,
             keep_spend: bool = False, keep_trials: int | None = KEEP_TRIALS,
             workers: int | None = None,
             backend: str = "local", scheduler: str | None = None,
             progress: bool = False) -> Results:
    """Run the Monte Carlo simulation of every strategy on common random numbers.

    Parameters
    ----------
    scenario : Scenario
        From :func:`simulator.load_scenario`.
    trials : int, optional
        Number of trials; default ``scenario.trials``.
    seed : int, optional
        Seed; default ``scenario.seed``. The same seed, trials, design and chunk size give the
        same numbers bit for bit.
    design : {"random", "lhs", "sobol"}, optional
        Sampling design; default ``scenario.sampling.design``.
    chunk_size : int
        Trials per chunk (bounds memory; part of the reproducibility key).
    keep_spend : bool
        Also keep spend per trial, year and category (``Results.spend``, float32, S x n x T x C
        numbers: fine for thousands of trials, too big for millions). Category statistics are
        always available from streaming histograms.
    keep_trials : int or None
        Keep per-trial arrays for at most this many trials (the first ones: a uniform random
        subsample), bounding memory; means, claim probabilities and paired comparisons still
        cover every trial (exact streaming totals), and category percentiles too (histograms).
        None keeps all.
    workers : int, optional
        Local processes (default: one per core for runs of ``PARALLEL_MIN_CHUNKS`` chunks or
        more, else one). Results do not depend on it: chunk k always draws from stream k.
    backend : {"local", "dask"}
        ``dask`` sends blocks of chunks to a Dask cluster (``pip install ".[dask]"``); with
        it, ``workers`` sizes the local cluster.
    scheduler : str, optional
        Address of a Dask scheduler (e.g. ``tcp://10.0.0.5:8786``); default: a local cluster.
        Only with ``backend="dask"``.
    progress : bool
        Show a progress bar on stderr (only when it is a terminal).

    Returns
    -------
    Results
        Frozen, with per-trial arrays, category histograms and provenance.
    """
    n = scenario.trials if trials is None else int(trials)
    seed = scenario.seed if seed is None else int(seed)
    if n < 1:
        raise ValueError(f"trials must be at least 1, got {n}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    if backend not in ("local", "dask"):
        raise ValueError(f"backend must be 'local' or 'dask', got {backend!r}")
    if scheduler is not None and backend != "dask":
        raise ValueError("a scheduler address needs backend='dask'")
    t0 = time.perf_counter()
    plan = RunPlan(scenario=scenario, trials=n, seed=seed, design=design,
                   chunk_size=chunk_size, keep_spend=keep_spend, keep_trials=keep_trials)
    acc, workers_used = _execute(plan, workers=workers, backend=backend, scheduler=scheduler,
                                 progress=progress)
    prov = provenance(scenario, seed=seed, trials=n, chunk_size=chunk_size,
                      design=design or scenario.sampling.design,
                      wall_seconds=time.perf_counter() - t0)
    prov["backend"] = backend
    prov["workers"] = workers_used
    prov["kept_trials"] = plan.n_kept
    return acc.results(prov)


def _execute(plan: RunPlan, *, workers: int | None, backend: str, scheduler: str | None,
             progress: bool) -> tuple[_Accumulator, int | None]:
    """Run a plan's chunks here, on local processes or on Dask; returns the filled accumulator
    and the number of local processes used (None for Dask)."""
    n_chunks = -(-plan.trials // plan.chunk_size)
    if backend == "dask":
        from simulator.parallel import run_dask

        return run_dask(plan, scheduler=scheduler, workers=workers, progress=progress), None
    if workers is None:  # small runs are faster in this process than on a pool
        workers_used = 1 if n_chunks < PARALLEL_MIN_CHUNKS else min(os.cpu_count() or 1, n_chunks)
    else:
        workers_used = max(1, min(int(workers), n_chunks))
    if workers_used > 1:
        from simulator.parallel import run_local, shared_bytes, shared_memory_free

        need, free = shared_bytes(plan), shared_memory_free()
        if free is None or need <= free:
            return run_local(plan, workers=workers_used, progress=progress), workers_used
        # workers writing past a full shared-memory file system would die of SIGBUS
        warnings.warn(f"running in one process: the {workers_used} workers need "
                      f"{need / 1e9:.2f} GB of shared memory but only {free / 1e9:.2f} GB is free "
                      "in /dev/shm (enlarge it, e.g. docker run --shm-size=2g)", RuntimeWarning,
                      stacklevel=3)
        workers_used = 1
    bar = _progress_bar(n_chunks, enabled=progress and n_chunks > 1)
    acc = run_block(plan, range(n_chunks), on_chunk=lambda: bar.update(1))
    bar.close()
    return acc, 1


def evaluate_design(scenario: Scenario, u: np.ndarray, *, central: bool = True,
                    seed: int | None = None, chunk_size: int = CHUNK_SIZE,
                    workers: int | None = None, backend: str = "local",
                    scheduler: str | None = None, progress: bool = False,
                    note: str = "given design") -> Results:
    """Run the model on a design of uniforms chosen by the caller (sensitivity analyses),
    through the same chunked, parallel path as :func:`simulate`.

    Parameters
    ----------
    scenario : Scenario
    u : ndarray, shape (n, d)
        One row per model run: uniforms for :meth:`Scenario.uncertain_paths`, in that order.
    central : bool
        Hold yearly noise at zero and discrete events at their median outcomes (see
        :func:`simulator.sampling.draws_from_uniforms`); else draw them from chunk k's stream.
    seed : int, optional
        Seed of those streams when not ``central``; default ``scenario.seed``.
    chunk_size, workers, backend, scheduler, progress
        As for :func:`simulate`. Every row's per-trial outputs are kept.

    Returns
    -------
    Results
        Row i of ``u`` is trial i; no category histograms or run totals.
    """
    u = np.asarray(u, dtype=float)
    if u.ndim != 2 or u.shape[1] != len(scenario.uncertain_paths()):
        raise ValueError(f"design of shape {u.shape} for {len(scenario.uncertain_paths())} "
                         "uncertain inputs")
    t0 = time.perf_counter()
    seed = scenario.seed if seed is None else int(seed)
    plan = RunPlan(scenario=scenario, trials=len(u), seed=seed, design=None,
                   chunk_size=chunk_size, keep_spend=False, keep_trials=None, uniforms=u,
                   central=central, streaming=False)
    acc, workers_used = _execute(plan, workers=workers, backend=backend, scheduler=scheduler,
                                 progress=progress)
    prov = provenance(scenario, seed=seed, trials=len(u), chunk_size=chunk_size, design=note,
                      wall_seconds=time.perf_counter() - t0)
    prov["backend"] = backend
    prov["workers"] = workers_used
    return acc.results(prov)


@dataclass(frozen=True)
class RunPlan:
    """What a run computes: everything a worker needs to reproduce any chunk on its own."""

    scenario: Scenario
    trials: int
    seed: int
    design: str | None
    chunk_size: int
    keep_spend: bool
    keep_trials: int | None = None
    #: a caller's design (:func:`evaluate_design`): rows ``first_row ..`` of the run's uniforms
    uniforms: np.ndarray | None = None
    first_row: int = 0
    central: bool = False
    #: category histograms and run totals (off for designs: callers read per-trial arrays)
    streaming: bool = True

    @property
    def n_kept(self) -> int:
        """Trials whose per-trial arrays the run keeps."""
        return self.trials if self.keep_trials is None else min(self.trials, self.keep_trials)

    def chunk_bounds(self, k: int) -> tuple[int, int]:
        """Trials ``[lo, hi)`` of chunk k."""
        lo = k * self.chunk_size
        return lo, min(lo + self.chunk_size, self.trials)

    def _design_rows(self, lo: int, hi: int) -> np.ndarray:
        """Rows of the given design for run trials ``[lo, hi)``."""
        return self.uniforms[lo - self.first_row:hi - self.first_row]

    def for_chunks(self, chunks: range) -> RunPlan:
        """The plan a worker needs for ``chunks``: a given design is cut to their rows, so
        that each worker receives only its own."""
        if self.uniforms is None:
            return self
        lo, hi = self.chunk_bounds(chunks.start)[0], self.chunk_bounds(chunks.stop - 1)[1]
        return replace(self, uniforms=self._design_rows(lo, hi), first_row=lo)

    def draws(self, k: int) -> Draws:
        """The inputs of chunk k: sampled from its own stream, or mapped from the design."""
        lo, hi = self.chunk_bounds(k)
        rng = chunk_rng(self.seed, k)
        if self.uniforms is None:
            return sample(self.scenario, hi - lo, rng=rng, design=self.design)
        return draws_from_uniforms(self.scenario, self._design_rows(lo, hi),
                                   rng=None if self.central else rng, central=self.central)


FLOAT32_MAX = float(np.finfo(np.float32).max)

#: Outputs that must be finite (NaN is allowed where documented: shares without purchases,
#: in-house metrics of strategies without a program; inf only for "never" years).
_MUST_BE_FINITE = ("annual", "npv", "installed_gw", "unmet_units", "economic_cost",
                   "committed_lease", "operating_cash_flow", "funding", "interest")


def _trial_major(name: str, value: np.ndarray) -> np.ndarray:
    """A view of an engine output (trials last) in the axis order of :data:`TRIAL_FIELDS`."""
    axes = TRIAL_FIELDS[name][1]
    if axes == "snt":
        return value.transpose(0, 2, 1)
    if axes == "nt":
        return value.T
    return value


def _trial_slice(name: str, trials: slice) -> tuple[slice, ...]:
    """Index selecting ``trials`` along the trial axis of a :data:`TRIAL_FIELDS` array."""
    return (slice(None),) * TRIAL_FIELDS[name][1].index("n") + (trials,)


#: Growth of required compute over the horizon beyond which an overflow is blamed on the demand
#: inputs: a million-fold is far beyond any scenario (base.yaml's P95 is about 50-fold).
DEMAND_RUNAWAY = 1e6


def _suspects(scenario: Scenario, draws: Draws, trial: int, paths: list[str], n: int = 3
              ) -> list[str]:
    """The inputs of one trial most likely to have caused an overflow: furthest outside their
    field's usual range (in decades), then largest in magnitude."""
    ranges = input_ranges(scenario)

    def oddness(path: str) -> tuple[float, float]:
        x = abs(float(draws.values[path][trial]))
        p = ranges.get(path)
        if p is None or not np.isfinite(x):
            return (np.inf if not np.isfinite(x) else 0.0, x)
        lo, hi = p.usual
        with np.errstate(all="ignore"):
            decades = max(np.log10(x / hi) if hi > 0 and x > hi else 0.0,
                          np.log10(lo / x) if lo > 0 and 0 < x < lo else 0.0)
        return (float(decades), x)

    return sorted(paths, key=oddness, reverse=True)[:n]


def check_finite(scenario: Scenario, draws: Draws, out: ChunkOutput, *, first_trial: int = 0
                 ) -> None:
    """Refuse to let NaN or infinity reach an output.

    Raises
    ------
    NumericalError
        Naming the first bad trial, the output, and the inputs that most likely caused it: the
        demand inputs when demand itself ran away (grew over ``DEMAND_RUNAWAY``-fold), else
        that trial's inputs furthest outside their usual ranges, then largest in magnitude.
    """
    for name in ("demand_units", *_MUST_BE_FINITE):
        value = getattr(out, name)
        bad = ~np.isfinite(value)
        if TRIAL_FIELDS.get(name, (None,))[0] == np.float32:
            bad |= np.abs(value) > FLOAT32_MAX  # would become inf when stored
        if not bad.any():
            continue
        trial = int(np.argmax(bad.reshape(-1, value.shape[-1]).any(axis=0)))
        paths = list(draws.values)  # fixed inputs too: a fixed 1e306 overflows as well
        demand = np.asarray(out.demand_units, dtype=np.float64)[:, trial]
        with np.errstate(all="ignore"):
            runaway = not np.isfinite(demand).all() or demand.max() > DEMAND_RUNAWAY * max(
                float(demand[0]), 1e-300)
        if name == "demand_units" or runaway:  # compounding growth, not a price, overflowed
            demand_paths = [p for p in paths if p.startswith("demand.")] or paths
            suspects = _suspects(scenario, draws, trial, demand_paths)
        else:
            suspects = _suspects(scenario, draws, trial, paths)
        values = ", ".join(f"{p} = {float(draws.values[p][trial]):.4g}" for p in suspects)
        raise NumericalError(
            f"the model produced a non-finite or out-of-range {name.replace('_', ' ')} in trial "
            f"{first_trial + trial:,} (overflow or an invalid operation); likely cause: "
            f"{values}. Narrow the distributions that can reach such values, or bound them "
            "with min/max.")


def run_block(plan: RunPlan, chunks: range, on_chunk=None,
              arrays: dict[str, np.ndarray] | None = None) -> _Accumulator:
    """Run consecutive chunks and collect them; the unit of work of every backend.

    Parameters
    ----------
    plan : RunPlan
    chunks : range
        Consecutive chunk indices.
    on_chunk : callable, optional
        Called after each chunk (progress).
    arrays : dict of str to ndarray, optional
        The whole run's per-trial arrays (shared memory) to write into, instead of the block's
        own.

    Returns
    -------
    _Accumulator
        Holding trials ``[chunks.start * chunk_size, ...)`` of the run.
    """
    lo = plan.chunk_bounds(chunks.start)[0]
    hi = plan.chunk_bounds(chunks.stop - 1)[1]
    acc = _Accumulator(plan.scenario, hi - lo, keep_spend=plan.keep_spend, offset=lo,
                       keep_trials=plan.keep_trials, streaming=plan.streaming, arrays=arrays)
    # the engine's matrix products are small (a few columns): extra BLAS threads only spin,
    # taking the core another worker needs
    with threadpool_limits(limits=1, user_api="blas"):
        for k in chunks:
            _run_one_chunk(plan, k, lo, acc, on_chunk)
    return acc


def _run_one_chunk(plan: RunPlan, k: int, lo: int, acc: _Accumulator, on_chunk) -> None:
    """Sample, evaluate, check and fold in chunk k of a block starting at trial ``lo``."""
    c_lo = plan.chunk_bounds(k)[0]
    draws = plan.draws(k)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = run_chunk(plan.scenario, draws)  # check_finite reports what matters
    check_finite(plan.scenario, draws, out, first_trial=c_lo)
    acc.add(k, c_lo - lo, draws, out)
    if on_chunk is not None:
        on_chunk()


@dataclass(frozen=True)
class BlockSummary:
    """A block's histogram (non-empty bins only), per-chunk sums and per-chunk totals."""

    bins: np.ndarray
    counts: np.ndarray
    n: int
    chunk_sums: dict[int, np.ndarray]
    chunk_totals: dict[int, RunTotals]


class _Accumulator:
    """Per-trial arrays, streaming histograms and run totals of a span of trials.

    A worker fills one for its block of chunks; the caller merges blocks into the run's.
    Per-trial arrays are kept only for run trials below ``keep_trials``; the totals
    (:class:`RunTotals`) and histograms cover every trial. Histogram sums and totals are kept
    per chunk and combined in chunk order at the end, so a run's numbers are the same bit for
    bit whatever the number of workers.
    """

    def __init__(self, scenario: Scenario, n: int, *, keep_spend: bool, offset: int = 0,
                 keep_trials: int | None = None, streaming: bool = True,
                 arrays: dict[str, np.ndarray] | None = None) -> None:
        self.scenario = scenario
        self.offset = offset
        self.cats = categories(scenario)
        keep_end = offset + n if keep_trials is None else min(offset + n, keep_trials)
        self.n_kept = max(0, keep_end - offset)
        self.histogram = LogHistogram(self.cells(scenario)) if streaming else None
        self.chunk_sums: dict[int, np.ndarray] = {}
        self.chunk_totals: dict[int, RunTotals] = {}
        self.uncertain = scenario.uncertain_paths()
        if arrays is not None:
            # the whole run's arrays (shared memory): this span writes at its own offset
            self.write_at, self._arrays = offset, arrays
        else:
            self.write_at = 0
            self._arrays = {name: np.empty(shape, dtype=dtype) for name, (shape, dtype)
                            in self.layout(scenario, self.n_kept, keep_spend).items()}
        self.kept = {name: self._arrays[name] for name in TRIAL_FIELDS}
        self.spend = self._arrays.get("spend")
        self.inputs = {path: self._arrays[f"input:{path}"] for path in self.uncertain}

    @staticmethod
    def cells(scenario: Scenario) -> tuple[int, int, int]:
        """Cells of the category histogram: (strategy, category, year)."""
        return len(scenario.strategies), len(categories(scenario)), len(scenario.years)

    @staticmethod
    def layout(scenario: Scenario, n_kept: int, keep_spend: bool
               ) -> dict[str, tuple[tuple[int, ...], type]]:
        """Shape and dtype of every per-trial array for ``n_kept`` kept trials."""
        n_strat, n_years = len(scenario.strategies), len(scenario.years)
        sizes = {"s": n_strat, "n": n_kept, "t": n_years}
        out = {name: (tuple(sizes[a] for a in axes), dtype)
               for name, (dtype, axes) in TRIAL_FIELDS.items()}
        if keep_spend:
            out["spend"] = ((n_strat, n_kept, n_years, len(categories(scenario))), DTYPE)
        for path in scenario.uncertain_paths():
            out[f"input:{path}"] = ((n_kept,), np.float32)
        return out

    def _store(self, lo: int, m: int, draws: Draws, out: ChunkOutput) -> None:
        """Keep the first ``m`` trials of a chunk at position ``lo`` of this span."""
        lo += self.write_at
        for name in TRIAL_FIELDS:
            self.kept[name][_trial_slice(name, slice(lo, lo + m))] = \
                _trial_major(name, getattr(out, name)[..., :m])
        if self.spend is not None:
            self.spend[:, lo:lo + m] = out.spend[..., :m].transpose(0, 3, 2, 1)
        for path in self.uncertain:
            self.inputs[path][lo:lo + m] = draws.values[path][:m]

    def add(self, k: int, lo: int, draws: Draws, out: ChunkOutput) -> None:
        """Fold in chunk k, whose trials start at position ``lo`` of this span."""
        n_chunk = draws.n_trials
        m = max(0, min(n_chunk, self.n_kept - lo))
        if m > 0:
            self._store(lo, m, draws, out)
        if self.histogram is None:
            return
        totals = RunTotals()
        totals.add(self.chunk_results(draws, out))
        self.chunk_totals[k] = totals
        self.chunk_sums[k] = self.histogram.add(out.spend, axis=3)  # cells (S, C, T)

    def chunk_results(self, draws: Draws, out: ChunkOutput) -> Results:
        """One chunk on its own as Results, so that its totals come from the same metrics code
        as a run's: views of the engine's arrays in Results' axis order (nothing is copied,
        and every chunk, kept or not, is summed the same way)."""
        return self._as_results(
            {name: _trial_major(name, getattr(out, name)[...]) for name in TRIAL_FIELDS},
            {path: draws.values[path][...] for path in self.uncertain})

    def absorb(self, block: _Accumulator | BlockSummary) -> None:
        """Fold in a worker's block: its summary, and its per-trial arrays unless the worker
        wrote them in place (shared memory)."""
        if isinstance(block, _Accumulator):
            lo, m = block.offset - self.offset, block.n_kept
            for name in TRIAL_FIELDS:
                self.kept[name][_trial_slice(name, slice(lo, lo + m))] = block.kept[name]
            if self.spend is not None:
                self.spend[:, lo:lo + m] = block.spend
            for path in self.uncertain:
                self.inputs[path][lo:lo + m] = block.inputs[path]
            block = block.summary()
        if self.histogram is not None:
            self.histogram.counts.ravel()[block.bins] += block.counts
            self.histogram.n += block.n
        self.chunk_sums.update(block.chunk_sums)
        self.chunk_totals.update(block.chunk_totals)

    def summary(self) -> BlockSummary:
        """What a block contributes besides per-trial arrays, small enough to send back."""
        if self.histogram is None:
            return BlockSummary(bins=np.empty(0, dtype=np.intp), counts=np.empty(0, np.int32),
                                n=0, chunk_sums={}, chunk_totals={})
        flat = self.histogram.counts.ravel()
        bins = np.flatnonzero(flat)  # most bins are empty: send only the others
        return BlockSummary(bins=bins, counts=flat[bins], n=self.histogram.n,
                            chunk_sums=self.chunk_sums, chunk_totals=self.chunk_totals)

    def results(self, prov: dict) -> Results:
        totals = None
        if self.histogram is not None:
            # sums and totals in chunk order: the same additions whatever the blocks were
            sums = np.zeros_like(self.histogram.sums)
            totals = RunTotals()
            for k in sorted(self.chunk_sums):
                sums += self.chunk_sums[k]
                totals.merge(self.chunk_totals[k])
            self.histogram.sums = sums
        return self._as_results(self.kept, self.inputs, totals=totals, prov=prov,
                                histogram=self.histogram, spend=self.spend)

    def _as_results(self, k: dict[str, np.ndarray], inputs: dict[str, np.ndarray], *,
                    totals: RunTotals | None = None, prov: dict | None = None,
                    histogram: LogHistogram | None = None,
                    spend: np.ndarray | None = None) -> Results:
        sc = self.scenario
        return Results(scenario=sc, strategies=tuple(sc.strategy_names), years=sc.years,
                       categories=tuple(self.cats), category_spend=histogram,
                       totals=totals, **k, inputs=inputs, provenance=prov or {},
                       spend=spend)


class _NoBar:
    def update(self, _n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, *, enabled: bool):
    """A tqdm bar on stderr, or a stand-in that does nothing (importing tqdm.auto inside a
    notebook warns about widgets, so it is imported only when a bar is wanted)."""
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    # disable=None: silent unless stderr is a terminal; delay: only runs longer than a second
    return tqdm(total=total, unit="chunk", desc="simulating", leave=False, disable=None,
                delay=1.0)
