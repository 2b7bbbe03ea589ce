"""The engine against a floor: the minimal scenario's equations written by hand in NumPy.

Run from the repository root (on demand, not in CI)::

    python benchmarks/bench_floor.py [--trials 200000 1000000] [--repeat 5]
        [--scenario benchmarks/minimal.yaml] [--base scenarios/base.yaml]

``benchmarks/minimal.yaml`` has one merchant supplier, one strategy and three uncertain inputs
(initial growth, its decay, the chip price); no shocks, leases, in-house program, funding or
demand noise. :func:`floor_chunk` computes what a run of it computes, vectorised over trials
(trial axis last, float32 like the engine, chunks of 16,384 trials like the engine) and
without any project code: the draws (three uniforms, their inverse CDFs), demand, fleet
purchases with retirement, chip prices and power by vintage, servers per compute unit, data-centre build,
energy and operations, annual spend, NPV, installed GW, and the run's summaries (category
means and per-trial totals kept). It is the least a NumPy engine could spend on this scenario.

Measured side by side in one process (and for two workers, the same chunks shared out between
two processes):

- ``floor``: :func:`floor_chunk` over every chunk.
- ``engine``: ``simulate(minimal, workers=W)``, whole.
- ``base draws`` / ``base engine``: for ``--base``, the time to draw its inputs alone
  (``RunPlan.draws`` over the same chunks) and the whole ``simulate``.

Every figure is the median of ``--repeat`` runs; ns per trial-year divides by trials x years.
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
from simulator.run.plan import CHUNK_SIZE, RunPlan

#: The minimal scenario's values (benchmarks/minimal.yaml), written out again on purpose: the
#: floor uses no project code.
YEARS = 11
START_UNITS = 1e6
GROWTH = (0.8, 1.5)        # lognormal P5, P95
DECAY = (0.06, 0.16)       # uniform
PRICE = (15e3, 25e3)       # lognormal P5, P95 [USD/unit]
PRICE_GAIN, KW, KW_GAIN = 0.3, 1.0, 0.3
LIFETIME = 5
SERVERS, SERVERS_GAIN = 12e3, 0.3  # per compute unit [USD/unit], its yearly fall
COST_PER_MW, ENERGY_PER_MW_YEAR, OM_PER_MW_YEAR = 10e6, 0.0, 0.0
DISCOUNT = 0.08
Z95 = 1.6448536269514722
F32 = np.float32


def _lognormal(u: np.ndarray, low: float, high: float) -> np.ndarray:
    mu, sigma = (np.log(low) + np.log(high)) / 2, (np.log(high) - np.log(low)) / (2 * Z95)
    return np.exp(mu + sigma * ndtri(u))


def floor_chunk(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """The minimal scenario for ``n`` trials: draws, then :func:`floor_model`."""
    u = rng.random((3, n))
    return floor_model(_lognormal(u[0], *GROWTH).astype(F32),
                       (DECAY[0] + (DECAY[1] - DECAY[0]) * u[1]).astype(F32),
                       _lognormal(u[2], *PRICE).astype(F32))


def floor_model(g1: np.ndarray, decay: np.ndarray, p0: np.ndarray) -> dict[str, np.ndarray]:
    """The minimal scenario's equations for per-trial inputs, each shape (n,), float32."""
    n = g1.size
    t = np.arange(YEARS, dtype=F32)[:, None]
    # demand: D_t = D_{t-1} (1 + g_1 (1 - d)^(t-1))
    growth = g1 * (1 - decay) ** t[:-1]
    demand = np.empty((YEARS, n), dtype=F32)
    demand[0] = START_UNITS
    demand[1:] = START_UNITS * np.cumprod(1 + growth, axis=0)
    # fleet: a chip serves LIFETIME years; buy what demand needs beyond the fleet in service
    bought = np.empty((YEARS, n), dtype=F32)
    alive = np.zeros(n, dtype=F32)
    for y in range(YEARS):
        bought[y] = np.maximum(demand[y] - alive, 0)
        alive += bought[y]
        if y + 1 >= LIFETIME:
            alive -= bought[y + 1 - LIFETIME]
    price = p0 / F32(1 + PRICE_GAIN) ** t
    kw = F32(KW) / F32(1 + KW_GAIN) ** t
    chips = bought * price
    power_new = bought * kw * F32(1e-3)  # MW added by each vintage
    power = np.cumsum(power_new, axis=0)
    power[LIFETIME:] -= power[:-LIFETIME]
    capacity = np.maximum.accumulate(power, axis=0)
    build = np.diff(capacity, axis=0, prepend=0) * F32(COST_PER_MW)
    servers = bought * (F32(SERVERS) / F32(1 + SERVERS_GAIN) ** t)
    spend = np.stack([chips, servers, build, power * F32(ENERGY_PER_MW_YEAR),
                      power * F32(OM_PER_MW_YEAR)])
    annual = spend.sum(axis=0)
    discount = (1 + DISCOUNT) ** -np.arange(YEARS)
    return {"annual": annual, "npv": discount @ annual.astype(np.float64),
            "installed_gw": power * F32(1e-3), "category_sums": spend.sum(axis=2, dtype=np.float64),
            "cumulative": annual.sum(axis=0, dtype=np.float64)}


def floor(trials: int, seed: int = 1) -> float:
    """Wall seconds of the floor over every chunk of ``trials``, in this process."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    kept = []
    for lo in range(0, trials, CHUNK_SIZE):
        out = floor_chunk(rng, min(CHUNK_SIZE, trials - lo))
        kept.append(out["cumulative"])  # a run keeps per-trial totals
    np.concatenate(kept)
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


def engine(scenario, trials: int, workers: int) -> float:
    t0 = time.perf_counter()
    simulate(scenario, trials=trials, seed=1, workers=workers, progress=False)
    return time.perf_counter() - t0


def draws_only(scenario, trials: int) -> float:
    plan = RunPlan(scenario=scenario, trials=trials, seed=1, design=None, chunk_size=CHUNK_SIZE,
                   keep_spend=False, keep_trials=0)
    t0 = time.perf_counter()
    for k in range(plan.n_chunks):
        plan.draws(k)
    return time.perf_counter() - t0


def check(scenario, trials: int = 5000) -> float:
    """Largest relative difference between the floor's annual spend and the engine's, on the
    engine's own draws: the floor computes the same model."""
    from simulator.model.chunk import run_chunk

    plan = RunPlan(scenario=scenario, trials=trials, seed=1, design=None, chunk_size=CHUNK_SIZE,
                   keep_spend=False, keep_trials=0)
    d = plan.draws(0)
    ours = floor_model(*(d[k].astype(F32) for k in ("demand.growth.initial",
                                                     "demand.growth.decay",
                                                     "suppliers.nvidia.price_per_unit")))
    with np.errstate(all="ignore"):
        theirs = run_chunk(scenario, d).annual[0]
    return float(np.max(np.abs(ours["annual"] / theirs - 1)))


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
    print(f"floor against the engine on the same draws: annual spend within {difference:.1e}")
    if difference > 1e-4:
        raise SystemExit("the floor does not compute the minimal scenario's model")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; medians of "
          f"{a.repeat}; ns per trial-year\n")
    print("| trials | workers | floor ns | engine ns | engine / floor | base draws ns "
          "| base engine ns | base engine / draws |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in a.trials:
        for workers in (1, 2):
            times = {"floor": [], "engine": [], "draws": [], "base": []}
            with threadpool_limits(limits=1, user_api="blas"):
                for _ in range(a.repeat):  # interleaved, so that all see the same load
                    times["floor"].append(floor(n) if workers == 1 else floor_two(n))
                    times["engine"].append(engine(minimal, n, workers))
                    times["draws"].append(draws_only(base, n))
                    times["base"].append(engine(base, n, workers))
            med = {k: statistics.median(v) for k, v in times.items()}
            ns_min = 1e9 / (n * years_min)
            ns_base = 1e9 / (n * years_base)
            print(f"| {n:,} | {workers} | {med['floor'] * ns_min:.0f} | "
                  f"{med['engine'] * ns_min:.0f} | {med['engine'] / med['floor']:.2f}x | "
                  f"{med['draws'] * ns_base:.0f} | {med['base'] * ns_base:.0f} | "
                  f"{med['base'] / med['draws']:.2f}x |", flush=True)
    print("\nbase draws: one process whatever the workers (the ratio for two workers compares "
          "a two-process run with one process drawing)", file=sys.stderr)


if __name__ == "__main__":
    main()
