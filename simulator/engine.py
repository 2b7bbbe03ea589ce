"""The orchestrator: Scenario -> Draws -> cost formulas -> Results, chunk by chunk of trials.

All strategies run on the same draws (common random numbers), so their differences are paired.
Trials are processed in chunks of ``chunk_size``; chunk k draws from its own stream
``SeedSequence(seed, spawn_key=(k,))``, so a run is reproducible bit for bit from
``(scenario, seed, trials, chunk_size)``. No Python loop runs per trial: the loops are over
chunks, strategies, suppliers and (for the fleet) years.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from simulator import cost_model as cm
from simulator.results import Results, provenance
from simulator.sampling import Draws, sample
from simulator.scenario import Scenario

#: Default number of trials per chunk: big enough to amortise NumPy overhead, small enough that
#: the (trial, year, vintage) fleet array of a chunk stays around 30 MB.
CHUNK_SIZE = 32_768

OTHER_CATEGORIES = ("servers_networking", "datacentre", "energy", "operations")


def categories(scenario: Scenario) -> list[str]:
    """Spend categories, in reporting order: one ``accelerators_<supplier>`` per supplier, then
    servers and networking, data-centre construction, energy and operations."""
    return [f"accelerators_{s}" for s in scenario.supplier_names] + list(OTHER_CATEGORIES)


@dataclass(frozen=True)
class ChunkOutput:
    """Engine output for one chunk of n trials (see :class:`Results` for meanings and units)."""

    spend: np.ndarray         # (strategy, n, year, category) [USD]
    npv: np.ndarray           # (strategy, n) [USD]
    installed_gw: np.ndarray  # (strategy, n, year) [GW]
    demand_units: np.ndarray  # (n, year) [compute units]
    purchases: np.ndarray     # (n, year) [compute units]


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
        before = (np.zeros(n) if dem.before_start is None
                  else d["demand.before_start.compute_units"])
        legacy_kw = d["demand.kw_per_unit"] if dem.kw_per_unit is not None else new_kw
        return d["demand.start.compute_units"], before, legacy_kw
    if dem.before_start is None:
        return d["demand.start.gw"] * 1e6 / new_kw, np.zeros(n), new_kw
    legacy_kw = d["demand.kw_per_unit"]
    before = d["demand.before_start.gw"] * 1e6 / legacy_kw
    surviving = before * cm.survival(lifetime, np.array([1.0]))[:, 0]
    extra_kw = np.maximum(d["demand.start.gw"] * 1e6 - surviving * legacy_kw, 0.0)
    return surviving + extra_kw / new_kw, before, legacy_kw


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
    d = draws
    n, years = d.n_trials, scenario.years
    n_years = len(years)
    offsets = np.arange(n_years)
    suppliers = scenario.supplier_names
    price = {s: cm.trend(d[f"suppliers.{s}.price_per_unit"],
                         d[f"suppliers.{s}.price_performance_gain"], offsets) for s in suppliers}
    kw = {s: cm.trend(d[f"suppliers.{s}.kw_per_unit"],
                      d[f"suppliers.{s}.power_efficiency_gain"], offsets) for s in suppliers}
    base_shares = scenario.strategies[scenario.baseline_strategy].share_matrix(years, suppliers)
    new_kw = sum(base_shares[0, j] * kw[s][:, 0] for j, s in enumerate(suppliers))

    lifetime = d["fleet.lifetime_years"]
    start, before, legacy_kw = _start_levels(scenario, d, lifetime, new_kw)
    demand = cm.demand_path(start, d["demand.growth.initial"], d["demand.growth.decay"],
                            d["demand.growth.noise_sd"], d.demand_noise)
    legacy = cm.legacy_in_service(before, lifetime, n_years)
    purchases, in_service = cm.fleet_purchases(demand, lifetime, legacy)
    legacy_mw = before * legacy_kw * 1e-3
    discount = cm.discount_factors(d["discount_rate"], n_years)
    multiple = d["servers_networking.multiple_of_chips"][:, None]
    cost_per_mw = d["datacentre.cost_per_mw"][:, None]
    om = d["operations.cost_per_mw_year"][:, None]

    n_cat = len(suppliers) + len(OTHER_CATEGORIES)
    spend = np.empty((len(scenario.strategies), n, n_years, n_cat))
    gw = np.empty((len(scenario.strategies), n, n_years))
    for i, strategy in enumerate(scenario.strategies.values()):
        shares = strategy.share_matrix(years, suppliers)  # (year, supplier)
        kw_vintage = np.zeros((n, n_years))
        for j, s in enumerate(suppliers):
            spend[i, :, :, j] = purchases * shares[:, j] * price[s]
            kw_vintage += shares[:, j] * kw[s]
        chips = spend[i, :, :, : len(suppliers)].sum(axis=-1)
        power = cm.installed_power_mw(in_service, kw_vintage, legacy, legacy_kw)
        k = len(suppliers)
        spend[i, :, :, k] = multiple * chips
        spend[i, :, :, k + 1] = cm.datacentre_build_mw(power, legacy_mw) * cost_per_mw
        spend[i, :, :, k + 2] = cm.energy_cost(power, d["energy.utilisation"], d["energy.pue"],
                                               d["energy.price_per_mwh"])
        spend[i, :, :, k + 3] = power * om
        gw[i] = power * 1e-3
    npv = np.einsum("sntc,nt->sn", spend, discount)
    return ChunkOutput(spend=spend, npv=npv, installed_gw=gw, demand_units=demand,
                       purchases=purchases)


def chunk_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of chunk ``index``: ``SeedSequence(seed, spawn_key=(index,))``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


def simulate(scenario: Scenario, *, trials: int | None = None, seed: int | None = None,
             chunk_size: int = CHUNK_SIZE, progress: bool = False) -> Results:
    """Run the Monte Carlo simulation of every strategy on common random numbers.

    Parameters
    ----------
    scenario : Scenario
        From :func:`simulator.load_scenario`.
    trials : int, optional
        Number of trials; default ``scenario.trials``.
    seed : int, optional
        Seed; default ``scenario.seed``. The same seed, trials and chunk size give the same
        numbers bit for bit.
    chunk_size : int
        Trials per chunk (bounds memory; part of the reproducibility key).
    progress : bool
        Show a progress bar on stderr (only when it is a terminal).

    Returns
    -------
    Results
        Frozen, with raw per-trial arrays and provenance.
    """
    n = scenario.trials if trials is None else int(trials)
    seed = scenario.seed if seed is None else int(seed)
    if n < 1:
        raise ValueError(f"trials must be at least 1, got {n}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    t0 = time.perf_counter()
    n_strat, n_years = len(scenario.strategies), len(scenario.years)
    cats = categories(scenario)
    # float32 storage halves memory; its 6e-8 relative error is far below any Monte Carlo error.
    # Totals and NPV are summed in float64 inside each chunk and kept in float64.
    spend = np.empty((n_strat, n, n_years, len(cats)), dtype=np.float32)
    annual = np.empty((n_strat, n, n_years))
    npv = np.empty((n_strat, n))
    gw = np.empty((n_strat, n, n_years), dtype=np.float32)
    demand = np.empty((n, n_years), dtype=np.float32)
    inputs: dict[str, np.ndarray] = {}
    starts = range(0, n, chunk_size)
    bar = _progress_bar(len(starts), enabled=progress and len(starts) > 1)
    for k, lo in enumerate(starts):
        hi = min(lo + chunk_size, n)
        draws = sample(scenario, hi - lo, rng=chunk_rng(seed, k))
        out = run_chunk(scenario, draws)
        spend[:, lo:hi] = out.spend
        annual[:, lo:hi] = out.spend.sum(axis=-1)
        npv[:, lo:hi] = out.npv
        gw[:, lo:hi] = out.installed_gw
        demand[lo:hi] = out.demand_units
        for key, v in draws.values.items():
            inputs.setdefault(key, np.empty(n))[lo:hi] = v
        bar.update(1)
    bar.close()
    prov = provenance(scenario, seed=seed, trials=n, chunk_size=chunk_size,
                      wall_seconds=time.perf_counter() - t0)
    return Results(scenario=scenario, strategies=tuple(scenario.strategy_names),
                   years=scenario.years, categories=tuple(cats), spend=spend, annual=annual,
                   npv=npv, installed_gw=gw, demand_units=demand, inputs=inputs, provenance=prov)


def _progress_bar(total: int, *, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, unit="chunk", desc="simulating", leave=False)
