"""One chunk of trials: the cost model for every strategy on the same block of draws.

:func:`run_chunk` composes the pure equations of :mod:`simulator.model.cost_model` into the
arrays of one chunk, trial axis last; the run (:mod:`simulator.run`) draws the inputs, checks
and collects the outputs. No Python loop runs per trial: the loops are over strategies,
suppliers and (for the fleet) years.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from simulator.model import cost_model as cm
from simulator.model import finance as fi
from simulator.model import paths
from simulator.model import saving as sv
from simulator.model import steps as st
from simulator.model.paths import DTYPE
from simulator.sample.draws import Draws
from simulator.spec.scenario import Scenario

__all__ = ["BLOCK_TRIALS", "DTYPE", "ChunkOutput", "categories", "run_chunk"]

#: Shortfalls below this share of demand are the rounding residue of a fully served year in
#: float32 arithmetic (~1e-6), not unmet demand.
UNMET_RESIDUE = 1e-5

OTHER_CATEGORIES = ("servers_networking", "datacentre", "energy", "operations")
LEASE_CATEGORY, PROGRAM_CATEGORY = "lease_payments", "inhouse_program"

#: Trials the cost model evaluates at once. Its hundred-odd passes over (year, trial) arrays
#: are bound by memory traffic: with 8,192 trials a strategy's working arrays stay in a core's
#: L2 cache (2 MB on the development machine). On base.yaml that made the model 15-30% faster
#: per trial than on a whole 16,384-trial chunk while other processes shared the caches, 0-5%
#: on a quiet machine; 4,096 is slower again (Python's cost per pass).
BLOCK_TRIALS = 8192


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
    work_in_progress: np.ndarray       # (strategy, n) [USD] paid for capacity serving later
    inhouse_saving_chips: np.ndarray       # (strategy, n) [USD]; NaN without a program
    inhouse_saving_servers: np.ndarray     # (strategy, n) [USD]
    inhouse_saving_facilities: np.ndarray  # (strategy, n) [USD]
    inhouse_saving_program: np.ndarray     # (strategy, n) [USD], minus the program's cost
    dependence_units_planned: np.ndarray   # (strategy, n) [units] over the horizon
    dependence_units_cap: np.ndarray       # (strategy, n) [units]
    dependence_units_delay: np.ndarray     # (strategy, n) [units]
    dependence_units_failure: np.ndarray   # (strategy, n) [units]


def _context(scenario: Scenario, d: Draws) -> st.Context:
    """Paths every strategy shares: supply, demand, the pre-start fleet, survival, weights."""
    n_years, k = len(scenario.years), scenario.lead_years_max
    n_all = n_years + k
    names = scenario.supplier_names
    supply = paths.supply(scenario, d, n_all)
    base_shares = scenario.strategies[scenario.baseline_strategy].share_matrix(
        scenario.years[:1], names)
    new_kw = base_shares[0].astype(DTYPE) @ supply.kw[:, 0, :]
    lifetime = d["fleet.lifetime_years"]
    start, before, legacy_kw = paths.start_levels(scenario, d, lifetime, new_kw)
    one = cm.per_trial_or_one  # kernels of fixed inputs: (T, 1), broadcast over trials
    legacy = cm.legacy_in_service(before, one(lifetime), n_all)
    inhouse = {name: names.index(name) for name in scenario.inhouse_suppliers()}
    surv = cm.survival_by_age(one(lifetime), n_all)
    dc_surv = cm.survival_by_age(one(d["datacentre.life_years"]), n_years)
    weights = (cm.paid_ahead(cm.payment_weights(one(d["fleet.order_lead_years"]), k)),
               cm.paid_ahead(cm.payment_weights(one(d["datacentre.lead_years"]), k)))
    energy_per_mw = (cm.HOURS_PER_YEAR * d["energy.utilisation"] * d["energy.pue"]
                     * d["energy.price_per_mwh"])
    om = d["operations.cost_per_mw_year"]
    return st.Context(
        names=names, inhouse=inhouse,
        years_all=np.arange(scenario.horizon.start, scenario.horizon.start + n_all),
        n_years=n_years, supply=supply, demand=paths.demand(scenario, d, start, n_all),
        legacy=legacy, legacy_power=legacy * (legacy_kw * 1e-3),
        legacy_mw=before * legacy_kw * 1e-3, surv=surv, surv_ages=cm.kernel_ages(surv),
        dc_surv=dc_surv, dc_ages=cm.kernel_ages(dc_surv), lifetime=lifetime,
        dc_life=d["datacentre.life_years"], chip_weights=weights[0], dc_weights=weights[1],
        cash_weights=(weights[0].astype(DTYPE), weights[1].astype(DTYPE)),
        cost_per_mw=d["datacentre.cost_per_mw"], energy_per_mw=energy_per_mw, om=om,
        # a rate of +0 in every trial costs +0 bit for bit (x finite power, never -0): skipped
        free=frozenset(name for name, rate in (("energy", energy_per_mw), ("operations", om))
                       if cm.is_plus_zero(rate)),
        margin=(d["leasing.provider_margin"] if scenario.leasing is not None
                else np.zeros(d.n_trials, dtype=DTYPE)),
        contract_years=scenario.leasing.contract_years if scenario.leasing is not None else 1,
        learning={name: (d[f"suppliers.{name}.capacity.first_year"]
                         * d[f"suppliers.{name}.capacity.compute_per_chip"],
                         d[f"suppliers.{name}.learning_rate"]) for name in inhouse})


def _strategy(ctx: st.Context, strategy, dependence: int, cats: list[str],
              out: dict[str, np.ndarray], residue: np.ndarray) -> dict:
    """Every output of one strategy: spend by category, installed GW and unmet demand written
    into ``out``'s (C, T, n) and (T, n) arrays (unmet: zeros), and its per-trial results
    returned. ``residue``: shortfalls up to it are rounding, not unmet demand, (T, n)."""
    t = ctx.n_years
    spend = out["spend"]
    used = [name for name in ctx.inhouse if strategy.uses(name)]
    f = st.fleet(ctx, strategy)
    r = f.rows
    service = st.service_costs(ctx, f.delivered[r], f.price[r], ctx.supply.kw[r],
                               ctx.supply.server[r], f.lease)
    paid = st.cash(ctx, service, spend[:len(ctx.names) + len(OTHER_CATEGORIES)], r)
    spend[:r.start] = spend[r.stop:len(ctx.names)] = 0.0  # no orders, no chips
    for name in ctx.free:
        spend[cats.index(name)] = 0.0
    for name, has in ((LEASE_CATEGORY, strategy.leases), (PROGRAM_CATEGORY, bool(used))):
        if name in cats and not has:
            spend[cats.index(name)] = 0.0
    fleet_units = cm.in_service(f.owned[:t], ctx.surv, ages=ctx.surv_ages)
    fleet_units += ctx.legacy[:t]
    res = {"work_in_progress": paid["work_in_progress"], "committed_lease": np.zeros(spend.shape[-1])}
    gw = out["gw"]
    gw[...] = service.power[:t]
    lease = None
    if strategy.leases:
        lease = st.leasing(ctx, f, service)
        spend[cats.index(LEASE_CATEGORY)] = lease.payments
        res["committed_lease"] = lease.committed
        fleet_units += lease.units[:t]
        gw += lease.mw
    gw *= 1e-3
    short = ctx.demand[:t] - fleet_units
    np.copyto(out["unmet"], short, where=short > residue)
    program = sum(ctx.supply.program[name] for name in used) if used else 0.0
    if used:
        spend[cats.index(PROGRAM_CATEGORY)] = program
        res["saving"], res["breakeven"] = sv.inhouse_saving(ctx, strategy, f, paid, lease,
                                                            program)
    res["economic"] = st.economic_cost(ctx, service, paid, program,
                                       0.0 if lease is None else lease.payments)
    res["reasons"] = st.dependence_units(ctx, f, dependence)
    return res


def run_chunk(scenario: Scenario, draws: Draws, *,
              block_trials: int | None = None) -> ChunkOutput:
    """Evaluate the cost model for every strategy on one block of draws.

    Parameters
    ----------
    scenario : Scenario
        Validated scenario (structure: suppliers, strategies, horizon).
    draws : Draws
        Sampled inputs for n trials.
    block_trials : int, optional
        Most trials evaluated at once (default :data:`BLOCK_TRIALS`); the chunk is split into
        blocks of equal size. Every equation acts on each trial alone, so the numbers do not
        depend on it, bit for bit (blocks of one trial excepted: see below); only the speed
        does.

    Returns
    -------
    ChunkOutput
    """
    d = draws.astype(DTYPE)
    n, n_years = d.n_trials, len(scenario.years)
    cats = categories(scenario)
    n_strategies = len(scenario.strategies)
    # every strategy of every block writes into its slice: nothing stacked afterwards
    big = {"spend": np.empty((n_strategies, len(cats), n_years, n), dtype=DTYPE),
           "gw": np.empty((n_strategies, n_years, n), dtype=DTYPE),
           "unmet": np.zeros((n_strategies, n_years, n), dtype=DTYPE),
           "annual": np.empty((n_strategies, n_years, n), dtype=DTYPE),
           "chips": np.empty((n_strategies, n_years, n), dtype=DTYPE)}
    # blocks of equal size: none of a single trial, whose (T, 1) arrays can take other SIMD
    # paths through exp and log than wider ones and round their last bit differently
    n_blocks = max(1, -(-n // (block_trials or BLOCK_TRIALS)))
    edges = [k * n // n_blocks for k in range(n_blocks + 1)]
    blocks = [_block(scenario, d.trials(lo, hi), cats,
                     {name: a[..., lo:hi] for name, a in big.items()})
              for lo, hi in itertools.pairwise(edges)]

    def joined(key: str) -> np.ndarray:
        parts = [b[key] for b in blocks]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)

    spend, annual = big["spend"], big["annual"]
    dep = spend[:, scenario.supplier_names.index(scenario.dependence_supplier)]
    with np.errstate(invalid="ignore", divide="ignore"):
        # spend is non-negative, so no chips bought gives 0 / 0 = NaN: no share that year
        share = dep / big["chips"]
        share_total = (dep.sum(axis=1, dtype=np.float64)
                       / big["chips"].sum(axis=1, dtype=np.float64))
    saving = {k: joined(f"saving_{k}") for k in sv.SAVING_PARTS}
    operating, funding, interest = _cash(scenario, d, n_years)
    return ChunkOutput(
        spend=spend, annual=annual,
        npv=np.einsum("stn,tn->sn", annual, cm.discount_factors(d["discount_rate"], n_years),
                      dtype=np.float64),
        dependence_share=share, dependence_share_total=share_total,
        installed_gw=big["gw"], demand_units=joined("demand"), unmet_units=big["unmet"],
        inhouse_net_saving=sum(saving.values()), inhouse_breakeven_year=joined("breakeven"),
        economic_cost=joined("economic"), committed_lease=joined("committed_lease"),
        operating_cash_flow=operating, funding=funding, interest=interest,
        work_in_progress=joined("work_in_progress"),
        **{f"inhouse_saving_{k}": v for k, v in saving.items()},
        **{f"dependence_units_{k}": joined(f"reasons_{k}") for k in st.REASONS})


def _block(scenario: Scenario, d: Draws, cats: list[str], out: dict[str, np.ndarray]
           ) -> dict[str, np.ndarray]:
    """The strategies of one block of trials: spend, installed GW, unmet demand, annual and
    chip spend written into ``out``'s (S, ..., m) views; the per-trial results returned,
    strategies stacked (S, m), and the demand path (T, m)."""
    n, n_years = d.n_trials, len(scenario.years)
    ctx = _context(scenario, d)
    dependence = ctx.names.index(scenario.dependence_supplier)
    residue = UNMET_RESIDUE * ctx.demand[:n_years]
    spend, annual, chips = out["spend"], out["annual"], out["chips"]
    per = []
    for i, strategy in enumerate(scenario.strategies.values()):
        per.append(_strategy(ctx, strategy, dependence, cats,
                             {"spend": spend[i], "gw": out["gw"][i], "unmet": out["unmet"][i]},
                             residue))
        # summed while the strategy's spend is still in the cache
        spend[i].sum(axis=0, out=annual[i])
        spend[i, :len(ctx.names)].sum(axis=0, out=chips[i])
    nan = np.full(n, np.nan)
    res = {"demand": ctx.demand[:n_years],
           "breakeven": np.stack([p.get("breakeven", nan) for p in per]),
           **{key: np.stack([p[key] for p in per])
              for key in ("economic", "committed_lease", "work_in_progress")}}
    for k in sv.SAVING_PARTS:
        res[f"saving_{k}"] = np.stack([p["saving"][k] if "saving" in p else nan for p in per])
    for k in st.REASONS:
        res[f"reasons_{k}"] = np.stack([p["reasons"][k] for p in per])
    return res


def _cash(scenario: Scenario, d: Draws, n_years: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Operating cash flow, cumulative committed funding and interest, each (T, n) [USD]."""
    n = d.n_trials
    if scenario.revenue is None:
        zeros = np.zeros((n_years, n), dtype=DTYPE)
        return zeros, zeros, zeros
    revenue = fi.growth_path(d["revenue.start"], d["revenue.growth"], d["revenue.decay"],
                             n_years)
    operating = revenue * (1.0 - d["revenue.other_costs_share"])
    raises = scenario.funding.raises
    funding, interest = fi.funding_paths(
        [d[f"funding.raises[{k}].amount"] for k in range(len(raises))], d.raises_happen,
        [r.year - scenario.horizon.start for r in raises],
        [d[f"funding.raises[{k}].interest_rate"] if r.kind == "debt" else np.zeros(n, DTYPE)
         for k, r in enumerate(raises)], n_years, n)
    return operating, funding + d["funding.cash_at_start"], interest
