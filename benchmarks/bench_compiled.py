"""What compiled kernels would buy the cost model: NumPy against Numba on the model's block size.

Run from the repository root (on demand, not in CI), in the project's environment with Numba
added (it is not a dependency of the project)::

    pip install numba
    python benchmarks/bench_compiled.py [--repeat 300]

Three kernels on (11, 8,192) float32 blocks (11 years, one block of trials: the size the engine
evaluates a strategy at), each in NumPy (the engine's own functions where it has them) and as a loop
compiled with ``@njit`` (no fast-math: every result is checked to be bit-identical):

- ``in_service``: one step alone, the fleet's sum over vintages (``cost_model.in_service``
  itself);
- ``chain``: six element-wise operations and a running sum over years (the running sum row by
  row, with the model's ``cost_model.running``; ``np.cumsum(axis=0)`` is shown beside it);
- ``fleet``: a small fleet model fused whole, from seven per-trial inputs: demand growth,
  demand, price, the fleet alive from earlier vintages, units bought, spend and its running
  sum, year by year; compiled once with a pass over the trials per year (which the compiler
  vectorises) and once with a loop per trial.

Prints the median microseconds per call of each and the ratio NumPy / compiled.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from simulator.model.cost_model import in_service, kernel_ages, running

try:
    from numba import njit
except ImportError:  # pragma: no cover - depends on the environment
    raise SystemExit("this benchmark needs Numba: pip install numba") from None

T, N = 11, 8192
F32 = np.float32


# --- one step: the sum over vintages -------------------------------------------------------

def np_in_service(bought: np.ndarray, surv: np.ndarray, ages: tuple) -> np.ndarray:
    """The engine's own step, with the kernel's ages found once, as the engine passes them."""
    return in_service(bought, surv, ages=ages)


@njit(cache=True)
def nb_in_service(bought, surv, ages):  # ages: unused, the loop needs none
    n_t, n = bought.shape
    out = np.empty_like(bought)
    for t in range(n_t):
        for j in range(n):
            out[t, j] = bought[t, j] * surv[0, j]
        for a in range(1, t + 1):
            for j in range(n):
                out[t, j] += bought[t - a, j] * surv[a, j]
    return out


# --- a chain of element-wise steps and a running sum ---------------------------------------

def _np_steps(a, b, c, d, e, f) -> np.ndarray:
    x = a * b
    x -= c
    np.maximum(x, 0, out=x)
    x *= d
    x += e * f
    return x


def np_chain(a, b, c, d, e, f) -> np.ndarray:
    return running(np.add, _np_steps(a, b, c, d, e, f))


def np_chain_cumsum(a, b, c, d, e, f) -> np.ndarray:
    return np.cumsum(_np_steps(a, b, c, d, e, f), axis=0)


@njit(cache=True)
def nb_chain(a, b, c, d, e, f):
    n_t, n = a.shape
    out = np.empty_like(a)
    for t in range(n_t):
        for j in range(n):
            x = a[t, j] * b[t, j] - c[t, j]
            if x < 0:
                x = np.float32(0)
            x = x * d[t, j] + e[t, j] * f[t, j]
            out[t, j] = out[t - 1, j] + x if t else x
    return out


# --- a small fleet model, fused whole -------------------------------------------------------

def np_fleet(d0, g, decay, p0, r, opex, surv):
    n = d0.shape[0]
    growth = np.empty((T, n), F32)
    growth[0] = g
    for t in range(1, T):
        np.multiply(growth[t - 1], decay, out=growth[t])
    demand = np.empty((T, n), F32)
    demand[0] = d0
    for t in range(1, T):
        np.multiply(demand[t - 1], 1 + growth[t], out=demand[t])
    price = np.empty((T, n), F32)
    price[0] = p0
    for t in range(1, T):
        np.divide(price[t - 1], 1 + r, out=price[t])
    bought, alive = np.empty((T, n), F32), np.empty(n, F32)
    for t in range(T):
        np.einsum("an,an->n", bought[:t][::-1], surv[1:t + 1], out=alive)
        np.subtract(demand[t], alive, out=bought[t])
        np.maximum(bought[t], 0, out=bought[t])
    spend = bought * price
    spend += demand * opex
    return spend, running(np.add, spend)


@njit(cache=True)
def nb_fleet_by_year(d0, g, decay, p0, r, opex, surv):
    n = d0.shape[0]
    spend, cum = np.empty((T, n), np.float32), np.empty((T, n), np.float32)
    bought = np.empty((T, n), np.float32)
    gr, dem, pr = g.copy(), d0.copy(), p0.copy()
    for t in range(T):
        for j in range(n):
            if t:
                gr[j] = gr[j] * decay[j]
                dem[j] = dem[j] * (np.float32(1) + gr[j])
                pr[j] = pr[j] / (np.float32(1) + r[j])
            alive = np.float32(0)
            for a in range(1, t + 1):
                alive += bought[t - a, j] * surv[a, j]
            b = dem[j] - alive
            if b < 0:
                b = np.float32(0)
            bought[t, j] = b
            s = b * pr[j] + dem[j] * opex[j]
            spend[t, j] = s
            cum[t, j] = cum[t - 1, j] + s if t else s
    return spend, cum


@njit(cache=True)
def nb_fleet_by_trial(d0, g, decay, p0, r, opex, surv):
    n = d0.shape[0]
    spend, cum = np.empty((T, n), np.float32), np.empty((T, n), np.float32)
    bought, sv = np.empty(T, np.float32), np.empty(T, np.float32)
    for j in range(n):
        for a in range(T):
            sv[a] = surv[a, j]
        gr, dem, pr, c = g[j], d0[j], p0[j], np.float32(0)
        for t in range(T):
            if t:
                gr = gr * decay[j]
                dem = dem * (np.float32(1) + gr)
                pr = pr / (np.float32(1) + r[j])
            alive = np.float32(0)
            for a in range(1, t + 1):
                alive += bought[t - a] * sv[a]
            b = dem - alive
            if b < 0:
                b = np.float32(0)
            bought[t] = b
            s = b * pr + dem * opex[j]
            spend[t, j] = s
            c = c + s if t else s
            cum[t, j] = c
    return spend, cum


def _median_us(fn: Callable, args: tuple, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e6


def _same(a, b) -> bool:
    a, b = (a if isinstance(a, tuple) else (a,)), (b if isinstance(b, tuple) else (b,))
    return all(x.tobytes() == y.tobytes() for x, y in zip(a, b, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    blocks = tuple(rng.random((T, N)).astype(F32) for _ in range(6))
    inputs = tuple(rng.random(N).astype(F32) + F32(0.5) for _ in range(6))
    surv = np.clip(1 - np.arange(T, dtype=F32)[:, None] / (inputs[5] * F32(8)), 0, 1
                   ).astype(F32)
    fleet_args = (*inputs, surv)
    cases = [
        ("in_service (one step)", np_in_service, nb_in_service,
         (*blocks[:2], kernel_ages(blocks[1]))),
        ("chain, running sum by rows", np_chain, nb_chain, blocks),
        ("chain, np.cumsum(axis=0)", np_chain_cumsum, nb_chain, blocks),
        ("fleet model, pass per year", np_fleet, nb_fleet_by_year, fleet_args),
        ("fleet model, loop per trial", np_fleet, nb_fleet_by_trial, fleet_args),
    ]
    print(f"({T}, {N:,}) float32 blocks; medians of {args.repeat} calls; us per call\n")
    print("| kernel | NumPy | compiled | NumPy / compiled | bit-identical |")
    print("|---|---:|---:|---:|---|")
    for name, numpy_fn, compiled_fn, call in cases:
        same = _same(numpy_fn(*call), compiled_fn(*call))  # also compiles (or loads) it
        t_np = _median_us(numpy_fn, call, args.repeat)
        t_nb = _median_us(compiled_fn, call, args.repeat)
        print(f"| {name} | {t_np:.0f} | {t_nb:.0f} | {t_np / t_nb:.2f}x | {same} |")


if __name__ == "__main__":
    main()
