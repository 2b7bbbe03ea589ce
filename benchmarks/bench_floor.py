"""The engine against a floor: the minimal scenario's run written by hand in NumPy.

Run from the repository root (on demand, not in CI)::

    python benchmarks/bench_floor.py [--trials 200000 1000000] [--repeat 5]
        [--scenario benchmarks/minimal.yaml] [--base scenarios/base.yaml]

``benchmarks/minimal.yaml`` has one merchant supplier, one strategy and three uncertain inputs
(initial growth, its decay, the chip price); no shocks, leases, in-house program, funding or
demand noise. The floor is what a careful person would write by hand for that scenario alone,
vectorised over trials (trial axis last, float32 like the engine, chunks of 16,384 trials like
the engine), without any project code:

- :func:`floor_model`, the model: demand, fleet purchases with retirement, chip prices and
  power by vintage, servers per compute unit, data-centre build, energy and operations, then
  every output a run reports for this scenario: spend by category and year, annual spend, NPV,
  installed GW, unmet demand, the dependence share by year and over the horizon, units bought
  from the dependence supplier, and the economic cost (hardware and buildings depreciated over
  their lives, plus energy and operations).
- :func:`floor`, the run: three uniforms per trial and their inverse CDFs, the model, and what
  a run keeps of it: per-trial paths in trial-major order for the first ``KEEP`` trials (as
  analyses read them), the inputs drawn, means and variances of the headline totals over every
  trial, and histograms of spend by category and year read from the float bits (percentiles
  without keeping every value).

It computes no constant field the scenario cannot change (lease, in-house, funding, work in
progress), which the engine still carries.

Measured side by side in one process (and for two workers, the same chunks shared out between
two processes), each the median of ``--repeat`` runs in ns per trial-year (trials x years):

- ``model``: :func:`floor_model` against the engine's ``run_chunk`` on the same draws, every
  chunk of ``trials``.
- ``run``: :func:`floor` against ``simulate(minimal, workers=W)``, whole.
- ``base draws`` / ``base engine``: for ``--base``, the time to draw its inputs alone
  (``RunPlan.draws`` over the same chunks) and the whole ``simulate``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from multiprocessing import get_context

import numpy as np
from scipy.special import ndtri
from threadpoolctl import threadpool_limits

from simulator import load_scenario, simulate
from simulator.model.chunk import run_chunk
from simulator.run.plan import CHUNK_SIZE, KEEP_TRIALS, RunPlan

#: The minimal scenario's values (benchmarks/minimal.yaml), written out again on purpose: the
#: floor uses no project code.
YEARS = 11
START_UNITS = 1e6
GROWTH = (0.8, 1.5)        # lognormal P5, P95
DECAY = (0.06, 0.16)       # uniform
PRICE = (15e3, 25e3)       # lognormal P5, P95 [USD/unit]
PRICE_GAIN, KW, KW_GAIN = 0.3, 1.0, 0.3
LIFETIME, DC_LIFE = 5, 20  # [yr]
SERVERS, SERVERS_GAIN = 12e3, 0.3  # per compute unit [USD/unit], its yearly fall
COST_PER_MW, ENERGY_PER_MW_YEAR, OM_PER_MW_YEAR = 10e6, 0.0, 0.0
DISCOUNT = 0.08
UNMET_RESIDUE = 1e-5       # shortfalls below this share of demand are float32 rounding
KEEP = KEEP_TRIALS         # per-trial paths kept for analyses
Z95 = 1.6448536269514722
F32 = np.float32
#: Histogram bins from float32 bits: the exponent and the top 9 mantissa bits
BIN_SHIFT = 23 - 9
KEY_LOW = int(np.array(1.0, dtype=F32).view(np.int32)) >> BIN_SHIFT
N_BINS = 54 * 512 + 2
PATHS = ("annual", "installed_gw", "unmet", "dependence_share", "demand")  # (T, n) each
TOTALS = ("cumulative", "npv", "spend_last", "gw_last", "dependence_total", "unmet_share",
          "economic_cost")


def _lognormal(u: np.ndarray, low: float, high: float) -> np.ndarray:
    mu, sigma = (np.log(low) + np.log(high)) / 2, (np.log(high) - np.log(low)) / (2 * Z95)
    return np.exp(mu + sigma * ndtri(u))


def floor_draws(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """The three uncertain inputs for ``n`` trials, float64 like the engine's draws."""
    u = rng.random((3, n))
    return (_lognormal(u[0], *GROWTH), DECAY[0] + (DECAY[1] - DECAY[0]) * u[1],
            _lognormal(u[2], *PRICE))


def _running(ufunc: np.ufunc, x: np.ndarray) -> np.ndarray:
    """``ufunc.accumulate(x, axis=0)`` row by row: NumPy accumulates down the first axis of a
    C-ordered array one strided element at a time, about 10x slower."""
    out = np.empty_like(x)
    out[0] = x[0]
    for t in range(1, len(x)):
        ufunc(out[t - 1], x[t], out=out[t])
    return out


def _in_service(x: np.ndarray, life: int) -> np.ndarray:
    """Sum of the last ``life`` rows of x (vintages in service), (T, n)."""
    out = _running(np.add, x)
    out[life:] -= out[:-life].copy()
    return out


def floor_model(g1: np.ndarray, decay: np.ndarray, p0: np.ndarray) -> dict[str, np.ndarray]:
    """The minimal scenario's equations for per-trial inputs, each shape (n,), float32."""
    n = g1.size
    t = np.arange(YEARS, dtype=F32)[:, None]
    # demand: D_t = D_{t-1} (1 + g_1 (1 - d)^(t-1))
    growth = g1 * (1 - decay) ** t[:-1]
    demand = np.empty((YEARS, n), dtype=F32)
    demand[0] = START_UNITS
    demand[1:] = START_UNITS * _running(np.multiply, 1 + growth)
    # fleet: a chip serves LIFETIME years; buy what demand needs beyond the fleet in service
    bought = np.empty((YEARS, n), dtype=F32)
    fleet = np.empty((YEARS, n), dtype=F32)
    alive = np.zeros(n, dtype=F32)
    for y in range(YEARS):
        if y >= LIFETIME:
            alive -= bought[y - LIFETIME]
        bought[y] = np.maximum(demand[y] - alive, 0)
        alive += bought[y]
        fleet[y] = alive
    price = p0 / F32(1 + PRICE_GAIN) ** t
    kw = F32(KW) / F32(1 + KW_GAIN) ** t
    chips = bought * price
    power = _in_service(bought * kw * F32(1e-3), LIFETIME)  # MW in service
    capacity = _running(np.maximum, power)
    build = np.diff(capacity, axis=0, prepend=F32(0)) * F32(COST_PER_MW)
    servers = bought * (F32(SERVERS) / F32(1 + SERVERS_GAIN) ** t)
    spend = np.stack([chips, servers, build, power * F32(ENERGY_PER_MW_YEAR),
                      power * F32(OM_PER_MW_YEAR)])
    annual = spend.sum(axis=0)
    short = demand - fleet
    unmet = np.where(short > F32(UNMET_RESIDUE) * demand, short, F32(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = chips / chips  # one supplier: 1, or NaN in a year without purchases
    # depreciation: hardware over its life from its first year, buildings over theirs
    depreciation = (_in_service(chips + servers, LIFETIME) / F32(LIFETIME)
                    + _running(np.add, build) / F32(DC_LIFE))
    discount = (1 + DISCOUNT) ** -np.arange(YEARS)
    chips_total = chips.sum(axis=0, dtype=np.float64)
    return {"spend": spend, "annual": annual, "npv": discount @ annual.astype(np.float64),
            "installed_gw": power * F32(1e-3), "unmet": unmet, "demand": demand,
            "dependence_share": share, "dependence_total": chips_total / chips_total,
            "dependence_units": bought.sum(axis=0, dtype=np.float64),
            "economic_cost": (depreciation + spend[3] + spend[4]).sum(axis=0, dtype=np.float64)}


def _histogram(counts: np.ndarray, spend: np.ndarray) -> None:
    """Add spend (cells, n) float32 to counts (cells, N_BINS): bins from the float bits, each
    cell counted over the span of bins it reaches."""
    keys = spend.view(np.int32) >> BIN_SHIFT
    keys -= KEY_LOW - 1
    np.maximum(keys, 0, out=keys)  # below 1 USD (zero) to bin 0; spend never reaches 2^54
    for c, k in enumerate(keys):
        lo, hi = int(k.min()), int(k.max())
        if lo == hi:  # energy and operations cost nothing here
            counts[c, lo] += k.size
        else:
            counts[c, lo:hi + 1] += np.bincount(k - lo, minlength=hi - lo + 1)


def floor(trials: int, seed: int = 1) -> float:
    """Wall seconds of the floor's run over every chunk of ``trials``, in this process."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    keep = min(trials, KEEP)
    kept = {name: np.empty((keep, YEARS), dtype=F32) for name in PATHS}
    kept_totals = {name: np.empty(keep) for name in ("npv", "dependence_total",
                                                     "economic_cost", "dependence_units")}
    inputs = np.empty((3, keep))
    counts = np.zeros((5 * YEARS, N_BINS), dtype=np.int32)
    sums = np.zeros((5, YEARS))
    moments = np.zeros((3, len(TOTALS)))  # count, mean, M2: merged chunk by chunk (Chan)
    for lo in range(0, trials, CHUNK_SIZE):
        n = min(CHUNK_SIZE, trials - lo)
        x = floor_draws(rng, n)
        out = floor_model(*(v.astype(F32) for v in x))
        m = max(0, min(n, keep - lo))
        for name in PATHS:
            kept[name][lo:lo + m] = out[name][:, :m].T
        for name in kept_totals:
            kept_totals[name][lo:lo + m] = out[name][:m]
        inputs[:, lo:lo + m] = np.asarray(x)[:, :m]
        with np.errstate(invalid="ignore"):
            values = np.stack([out["annual"].sum(axis=0, dtype=np.float64), out["npv"],
                               out["annual"][-1], out["installed_gw"][-1], out["dependence_total"],
                               out["unmet"].sum(axis=0, dtype=np.float64)
                               / out["demand"].sum(axis=0, dtype=np.float64),
                               out["economic_cost"]])
        mean, m2 = values.mean(axis=1), values.var(axis=1) * n
        c0, mean0, m20 = moments
        delta = mean - mean0
        moments[:] = (c0 + n, mean0 + delta * n / (c0 + n), m20 + m2 + delta**2 * c0 * n / (c0 + n))
        _histogram(counts, out["spend"].reshape(5 * YEARS, n))
        sums += out["spend"].sum(axis=2, dtype=np.float64)
    return time.perf_counter() - t0


def _floor_part(args: tuple[int, int]) -> float:
    with threadpool_limits(limits=1, user_api="blas"):
        return floor(*args)


def floor_two(trials: int) -> float:
    """Wall seconds of the floor with its chunks shared out between two processes (pool
    start-up included, as a run with two workers pays it)."""
    t0 = time.perf_counter()
    half = (trials // 2 // CHUNK_SIZE) * CHUNK_SIZE or trials // 2
    with get_context("fork").Pool(2) as pool:
        pool.map(_floor_part, [(half, 1), (trials - half, 2)])
    return time.perf_counter() - t0


def _plan(scenario, trials: int) -> RunPlan:
    return RunPlan(scenario=scenario, trials=trials, seed=1, design=None, chunk_size=CHUNK_SIZE,
                   keep_spend=False, keep_trials=0)


def models(scenario, trials: int) -> tuple[float, float]:
    """Wall seconds of :func:`floor_model` and of ``run_chunk`` over every chunk of ``trials``,
    on the engine's own draws (drawn beforehand, not timed)."""
    plan = _plan(scenario, trials)
    floor_s = engine_s = 0.0
    for k in range(plan.n_chunks):
        d = plan.draws(k)
        x = [d[p].astype(F32) for p in ("demand.growth.initial", "demand.growth.decay",
                                        "suppliers.nvidia.price_per_unit")]
        t0 = time.perf_counter()
        floor_model(*x)
        t1 = time.perf_counter()
        with np.errstate(all="ignore"):
            run_chunk(scenario, d)
        engine_s += time.perf_counter() - t1
        floor_s += t1 - t0
    return floor_s, engine_s


def engine(scenario, trials: int, workers: int) -> float:
    t0 = time.perf_counter()
    simulate(scenario, trials=trials, seed=1, workers=workers, progress=False)
    return time.perf_counter() - t0


def draws_only(scenario, trials: int) -> float:
    plan = _plan(scenario, trials)
    t0 = time.perf_counter()
    for k in range(plan.n_chunks):
        plan.draws(k)
    return time.perf_counter() - t0


def check(scenario, trials: int = 5000) -> float:
    """Largest relative difference between the floor's outputs and the engine's, on the
    engine's own draws: the floor computes the same model."""
    d = _plan(scenario, trials).draws(0)
    ours = floor_model(*(d[k].astype(F32) for k in ("demand.growth.initial",
                                                     "demand.growth.decay",
                                                     "suppliers.nvidia.price_per_unit")))
    with np.errstate(all="ignore"):
        theirs = run_chunk(scenario, d)
    pairs = [(ours["annual"], theirs.annual[0]), (ours["npv"], theirs.npv[0]),
             (ours["economic_cost"], theirs.economic_cost[0]),
             (ours["installed_gw"], theirs.installed_gw[0]),
             (ours["spend"], theirs.spend[0]), (ours["demand"], theirs.demand_units),
             (ours["dependence_units"], theirs.dependence_units_planned[0])]
    # relative to each array's scale: a small difference of two large capacities (a year's
    # build) carries the rounding of the capacities, not a different model
    worst = max(float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in pairs)
    same_nan = np.array_equal(np.isnan(ours["dependence_share"]),
                              np.isnan(theirs.dependence_share[0]))
    same_unmet = np.array_equal(ours["unmet"] > 0, theirs.unmet_units[0] > 0)
    return worst if same_nan and same_unmet else np.inf


def measure(minimal, base, trials: int, workers: int, repeat: int) -> dict[str, float]:
    """Median wall seconds of each measurement, interleaved so that all see the same load."""
    times: dict[str, list[float]] = {k: [] for k in ("floor_model", "engine_model", "floor",
                                                     "engine", "draws", "base")}
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(repeat):
            if workers == 1:
                for key, value in zip(("floor_model", "engine_model"), models(minimal, trials),
                                      strict=True):
                    times[key].append(value)
            times["floor"].append(floor(trials) if workers == 1 else floor_two(trials))
            times["engine"].append(engine(minimal, trials, workers))
            times["draws"].append(draws_only(base, trials))
            times["base"].append(engine(base, trials, workers))
    return {k: statistics.median(v) if v else float("nan") for k, v in times.items()}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, nargs="+", default=[200_000, 1_000_000])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--scenario", default="benchmarks/minimal.yaml")
    p.add_argument("--base", default="scenarios/base.yaml")
    a = p.parse_args(argv)
    minimal, base = load_scenario(a.scenario), load_scenario(a.base)
    years_min, years_base = len(minimal.years), len(base.years)
    simulate(minimal, trials=1000, workers=1)  # warm-up: imports and first calls
    floor(1000)
    difference = check(minimal)
    print(f"floor against the engine on the same draws: every output within {difference:.1e} of its scale")
    if difference > 1e-4:
        raise SystemExit("the floor does not compute the minimal scenario's model")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; medians of "
          f"{a.repeat}; ns per trial-year\n")
    print("| trials | workers | model: floor | engine | ratio | run: floor | engine | ratio "
          "| base draws | base engine | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in a.trials:
        for workers in (1, 2):
            med = measure(minimal, base, n, workers, a.repeat)
            ns_min, ns_base = 1e9 / (n * years_min), 1e9 / (n * years_base)
            model = (f"{med['floor_model'] * ns_min:.0f} | {med['engine_model'] * ns_min:.0f} | "
                     f"{med['engine_model'] / med['floor_model']:.2f}x" if workers == 1
                     else "| |")
            print(f"| {n:,} | {workers} | {model} | {med['floor'] * ns_min:.0f} | "
                  f"{med['engine'] * ns_min:.0f} | {med['engine'] / med['floor']:.2f}x | "
                  f"{med['draws'] * ns_base:.0f} | {med['base'] * ns_base:.0f} | "
                  f"{med['base'] / med['draws']:.2f}x |", flush=True)
    print("\nmodel: one process, on draws made beforehand; base draws: one process whatever the "
          "workers (the ratio for two workers compares a two-process run with one process "
          "drawing)", file=sys.stderr)


if __name__ == "__main__":
    main()
