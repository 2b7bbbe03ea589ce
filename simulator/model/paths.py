"""From draws to the paths every strategy shares: start levels, demand and each supplier's
prices, power, server cost, deliverable share and capacity, over the horizon and the lead-time
years past its end.

Capacity that starts serving after the horizon can be paid within it (lead times,
:func:`simulator.model.cost_model.payment_weights`), so the chunk runs ``K =
Scenario.lead_years_max`` years past the end: demand follows its trend there without noise, no
new shock starts, and in-house generations designed after the end are taken to work. Only the
horizon's years are reported; the extension years feed the work in progress.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.model import cost_model as cm
from simulator.model import sourcing as so
from simulator.sample.draws import Draws
from simulator.spec.scenario import Scenario
from simulator.spec.suppliers import InHouse, Merchant

#: The engine's arithmetic: float32 halves the memory every pass reads and writes (the engine is
#: bound by memory bandwidth) and doubles the SIMD width; its 6e-8 relative rounding, a few
#: times 1e-7 after the engine's sums over years and vintages, is far below any Monte Carlo
#: error. Sums over the horizon that feed totals (NPV, economic cost, dependence share) and the
#: category histograms' sums accumulate in float64.
DTYPE = np.float32


@dataclass(frozen=True)
class Supply:
    """Per-supplier paths shared by every strategy, each shape (supplier, T + K, n).

    Attributes
    ----------
    price : [USD/unit] before learning, shock multipliers included.
    kw : [kW/unit] power per compute unit.
    server : [USD/unit] servers and networking per compute unit (in-house: / (1 - penalty)).
    fraction : [-] share of orders deliverable (shocks).
    capacity : [units/yr] deliveries allowed (``inf`` without a cap).
    cap_planned, cap_no_failure : [units/yr] capacity as planned (no delay, no failure) and
        with the delay but no failure; equal to ``capacity`` for merchants.
    shocked, capped : tuple of bool, one per supplier
        Whether a shock can cut its deliveries or raise its price, and whether its capacity is
        limited; where not, ``fraction`` is 1 and ``capacity`` is ``inf`` in every trial.
    program : dict of str to ndarray, each (T, n)
        In-house supplier -> program spend in the horizon's years [USD].
    """

    price: np.ndarray
    kw: np.ndarray
    server: np.ndarray
    fraction: np.ndarray
    capacity: np.ndarray
    cap_planned: np.ndarray
    cap_no_failure: np.ndarray
    program: dict[str, np.ndarray]
    shocked: tuple[bool, ...]
    capped: tuple[bool, ...]


def start_levels(scenario: Scenario, d: Draws, lifetime: np.ndarray, new_kw: np.ndarray
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


def demand(scenario: Scenario, d: Draws, start: np.ndarray, n_all: int) -> np.ndarray:
    """Required compute [units], shape (T + K, n): noise within the horizon, the trend after."""
    noise = d.demand_noise
    if cm.is_plus_zero(noise):  # no yearly noise: a broadcast of +0, no memory
        z = np.broadcast_to(np.zeros(1, dtype=noise.dtype), (n_all, d.n_trials))
    else:
        z = np.zeros((n_all, d.n_trials), dtype=noise.dtype)
        z[:noise.shape[1]] = noise.T
    return cm.demand_path(start, d["demand.growth.initial"], d["demand.growth.decay"],
                          d["demand.growth.noise_sd"], z, int(scenario.horizon.observed.sum()))


def _pad_years(a: np.ndarray, n_all: int, fill) -> np.ndarray:
    """(n, T) -> (T + K, n), the extra years filled."""
    out = np.full((n_all, a.shape[0]), fill, dtype=a.dtype)
    out[:a.shape[1]] = a.T
    return out


def _inhouse_capacity(scenario: Scenario, name: str, d: Draws, n_all: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An in-house supplier's capacity (actual, planned, without failures) [units/yr], each
    (T + K, n), and its program spend in the horizon [USD], (T, n)."""
    sup, p = scenario.suppliers[name], f"suppliers.{name}"
    prog, start, n = sup.program, scenario.horizon.start, d.n_trials
    delay = d[f"{p}.program.delay_years"]
    g_all = prog.generations(scenario.horizon.end + scenario.lead_years_max)
    fails = np.zeros((g_all, n), dtype=bool)  # generations designed after the end work
    fails[:d.generation_fails[name].shape[1]] = d.generation_fails[name].T
    first = prog.first_volume_year - start
    cancel = so.cancellation_offset(fails, delay, first, prog.generation_years,
                                    prog.cancel_after_failures)
    ceiling = (np.full(n, np.inf, dtype=DTYPE) if sup.capacity.max is None
               else d[f"{p}.capacity.max"])

    per_chip = so.compute_path(d[f"{p}.capacity.compute_per_chip"],
                               d[f"{p}.capacity.compute_per_chip_growth"], n_all)

    def ramp(slip):
        return so.capacity_path(d[f"{p}.capacity.first_year"], d[f"{p}.capacity.growth"],
                                ceiling, first + slip, n_all, per_chip)

    # as planned, no delay: availability is the same in every trial, (T + K, 1) (the ramp's
    # powers stay per trial: a power's last bit depends on the memory layout)
    on_time = np.zeros(1, dtype=delay.dtype)
    planned = ramp(np.zeros_like(delay)) * so.availabilities(
        on_time, first, prog.generation_years, g_all, n_all, [(None, None)])[0]
    delayed = ramp(delay)
    actual, no_failure = so.availabilities(delay, first, prog.generation_years, g_all, n_all,
                                           [(fails, cancel), (None, None)])
    n_years = len(scenario.years)
    program = so.program_costs(d[f"{p}.program.nre_per_generation"],
                               d[f"{p}.program.team_cost_per_year"], prog.start_year - start,
                               prog.generation_years, d.generation_fails[name].shape[1], n_years,
                               cancel, d[f"{p}.program.cancellation_cost"])
    return delayed * actual, planned, delayed * no_failure, program


def limits(scenario: Scenario) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    """Per supplier: whether a shock can touch it and whether its capacity is limited.

    Where neither, its deliverable share is 1 and its capacity ``inf`` in every trial and
    year, and the steps that apply them (``x * 1``, ``min(x, inf)``) leave every bit as it is:
    :func:`supply` and the fleet skip them.
    """
    names = scenario.supplier_names
    shocked = tuple(any(name in shock.suppliers for shock in scenario.shocks.values())
                    for name in names)
    capped = tuple(isinstance(scenario.suppliers[name], InHouse)
                   or scenario.suppliers[name].capacity is not None for name in names)
    return shocked, capped


def supply(scenario: Scenario, d: Draws, n_all: int) -> Supply:
    """Every supplier's paths over the horizon and the lead-time years after it."""
    n, names = d.n_trials, scenario.supplier_names
    shape = (len(names), n_all, n)
    price, kw, server = (np.empty(shape, dtype=DTYPE) for _ in range(3))
    shocked, capped = limits(scenario)
    # read-only constants where no supplier is shocked or capped: no memory, no fill
    fraction = (np.ones(shape, dtype=DTYPE) if any(shocked)
                else np.broadcast_to(DTYPE(1.0), shape))
    capacity = (np.full(shape, np.inf, dtype=DTYPE) if any(capped)
                else np.broadcast_to(DTYPE(np.inf), shape))
    planned, no_failure = ((np.full(shape, np.inf, dtype=DTYPE), np.full(shape, np.inf,
                                                                         dtype=DTYPE))
                           if any(capped) else (capacity, capacity))
    program = {}
    server_base = d["servers_networking.cost_per_unit"]
    # every supplier's servers improve at the same rate: its powers once
    server_steps = cm.trend_steps(d["servers_networking.price_performance_gain"], n_all)
    for j, name in enumerate(names):
        sup, p = scenario.suppliers[name], f"suppliers.{name}"
        if isinstance(sup, Merchant):
            list_price = (d[f"{p}.price_per_unit"] if sup.price_per_unit is not None
                          else d[f"{p}.cost_per_unit"] / (1.0 - d[f"{p}.gross_margin"]))
            base, keep = list_price * d[f"{p}.shortage_premium"], 1.0
        else:
            keep = 1.0 - d[f"{p}.performance_penalty"]
            base = d[f"{p}.unit_cost"] / keep
        cm.trend(base, d[f"{p}.price_performance_gain"], n_all, out=price[j])
        cm.trend(d[f"{p}.kw_per_unit"] / keep, d[f"{p}.power_efficiency_gain"], n_all,
                 out=kw[j])
        cm.trend(server_base / keep, None, n_all, out=server[j], steps=server_steps)
        if isinstance(sup, InHouse):
            capacity[j], planned[j], no_failure[j], program[name] = \
                _inhouse_capacity(scenario, name, d, n_all)
        elif sup.capacity is not None:
            c = sup.capacity
            ceiling = np.full(n, np.inf, dtype=DTYPE) if c.max is None else d[f"{p}.capacity.max"]
            capacity[j] = planned[j] = no_failure[j] = so.capacity_path(
                d[f"{p}.capacity.first_year"], d[f"{p}.capacity.growth"], ceiling,
                np.zeros(n, dtype=DTYPE), n_all, d[f"{p}.capacity.compute_per_chip"],
                d[f"{p}.capacity.compute_per_chip_growth"])
    for sname, shock in scenario.shocks.items():
        starts = _pad_years(d.shock_starts[sname], n_all, False)
        active = so.shock_active(starts, d[f"shocks.{sname}.duration_years"])
        # a multiplier fixed at 1 (a price spike that cuts no supply) changes nothing: x * 1 == x
        for key, target in (("price_multiplier", price), ("supply_fraction", fraction)):
            factor = d[f"shocks.{sname}.{key}"]
            if cm.is_one(factor):
                continue
            factor = np.where(active, factor, 1.0)
            for supplier in shock.suppliers:
                target[names.index(supplier)] *= factor
    return Supply(price=price, kw=kw, server=server, fraction=fraction, capacity=capacity,
                  cap_planned=planned, cap_no_failure=no_failure, program=program,
                  shocked=shocked, capped=capped)
