"""On-demand benchmark of the Monte Carlo engine (not a test; never run in CI).

Run from the repository root::

    python benchmarks/bench_engine.py [--trials 10000 100000 1000000 10000000]
        [--workers 1 2] [--scenario scenarios/base.yaml] [--repeat 3] [--seed 1]
        [--json OUT.json]

Each trial count is measured in its own fresh child process (this script re-run with
``--child N``), so peak memory is isolated. The child does a warm-up run on 100 trials, then
``--repeat`` full runs (``simulate`` then ``summary()`` then ``yearly()``; only 1 run for
>= 1,000,000 trials), then times the random draws alone. Columns of the printed table:

- ``trials``: Monte Carlo trials.
- ``simulate s``: wall time of ``simulate(...)``, median over the runs (``engine_time``).
- ``summary s`` / ``yearly s``: wall time of ``results.summary()`` / ``results.yearly()``.
- ``workers``: local worker processes (``simulate(workers=...)``); 1 runs in this process.
- ``peak MB``: ``ru_maxrss`` after the first full run (simulate + summary + yearly), i.e. the
  process high-water mark including the interpreter and imported libraries.
- ``worker peak MB``: the largest high-water mark of any worker process (``RUSAGE_CHILDREN``);
  with W workers the machine peak is at most ``peak MB + W x worker peak MB``.
- ``ns/trial-yr-strat``: ``engine_time / (trials * years * strategies)`` in nanoseconds.
- ``x sampling``: ``engine_time`` / time of ``sample(scenario, n_chunk, rng=chunk_rng(seed, k))``
  summed over the same chunks: every random draw of the model (uniforms, ppf, demand noise).
- ``x sampling CPU``: the same ratio in CPU seconds (this process and its workers) instead of
  wall seconds: with workers it counts the work of all of them, so it shows what running in
  parallel costs. (On a virtual machine, time the host gives to other guests can still count
  as this process's CPU time, so it is no cure for a noisy neighbour: see
  ``profile_engine.py --stages`` for stages measured under the same load.)
- ``x uniforms``: ``engine_time`` / time to draw the same number of uniform doubles with
  ``numpy.random.Generator.random`` (one call per chunk).

The JSON file (``--json``) holds the machine facts and every measured number, including the
baseline RSS of the child before the first measured run (``base_mb``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from simulator import load_scenario, simulate
from simulator.run.plan import CHUNK_SIZE, chunk_rng
from simulator.sample.draws import sample
from simulator.spec.scenario import Scenario

BIG = 1_000_000  # from this many trials on, a single run


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _peak_children_mb() -> float:
    """Largest peak of any finished worker process (0 when none ran)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _chunks(n: int) -> list[tuple[int, int]]:
    return [(k, min(lo + CHUNK_SIZE, n) - lo) for k, lo in enumerate(range(0, n, CHUNK_SIZE))]


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (pool workers)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def _time_sampling(scenario: Scenario, n: int, seed: int) -> tuple[float, float]:
    """Wall and CPU seconds of drawing every chunk's inputs, with one BLAS thread as in the
    engine's blocks."""
    with threadpool_limits(limits=1, user_api="blas"):
        t0, c0 = time.perf_counter(), _cpu()
        for k, m in _chunks(n):
            sample(scenario, m, rng=chunk_rng(seed, k))
        return time.perf_counter() - t0, _cpu() - c0


def _time_uniforms(scenario: Scenario, n: int, seed: int) -> float:
    per_trial = sum(not d.is_fixed for _, d in scenario.uncertain_inputs()) + len(scenario.years)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    for _, m in _chunks(n):
        rng.random(m * per_trial)
    return time.perf_counter() - t0


def child(scenario_path: str, n: int, repeat: int, seed: int, workers: int) -> dict[str, Any]:
    """Measure one trial count in this (fresh) process."""
    scenario = load_scenario(scenario_path)
    simulate(scenario, trials=100, seed=seed, workers=1).yearly()  # warm-up: lazy imports
    base_mb = _peak_mb()
    runs = 1 if n >= BIG else repeat
    sim, summ, yearly, samp, unif, sim_cpu, samp_cpu = [], [], [], [], [], [], []
    sim_peak = full_peak = 0.0
    for _ in range(runs):
        t0, c0 = time.perf_counter(), _cpu()
        results = simulate(scenario, trials=n, seed=seed, workers=workers)
        t1 = time.perf_counter()
        sim_cpu.append(_cpu() - c0)
        sim_peak = sim_peak or _peak_mb()
        results.summary()
        t2 = time.perf_counter()
        results.yearly()
        t3 = time.perf_counter()
        full_peak = full_peak or _peak_mb()
        del results  # free before the next run
        sim.append(t1 - t0)
        summ.append(t2 - t1)
        yearly.append(t3 - t2)
        wall, cpu = _time_sampling(scenario, n, seed)
        samp.append(wall)
        samp_cpu.append(cpu)
        unif.append(_time_uniforms(scenario, n, seed))
    engine = statistics.median(sim)
    cells = n * len(scenario.years) * len(scenario.strategies)
    return {
        "trials": n, "runs": runs, "years": len(scenario.years), "workers": workers,
        "worker_peak_mb": _peak_children_mb(),
        "strategies": len(scenario.strategies), "chunk_size": CHUNK_SIZE,
        "simulate_s": engine, "summary_s": statistics.median(summ),
        "yearly_s": statistics.median(yearly), "sampling_s": statistics.median(samp),
        "uniforms_s": statistics.median(unif), "base_mb": base_mb, "sim_peak_mb": sim_peak,
        "peak_mb": full_peak, "ns_per_trial_year_strategy": engine / cells * 1e9,
        "ratio_sampling": engine / statistics.median(samp),
        "ratio_uniforms": engine / statistics.median(unif),
        "simulate_cpu_s": statistics.median(sim_cpu), "sampling_cpu_s": statistics.median(samp_cpu),
        "ratio_sampling_cpu": statistics.median(sim_cpu) / statistics.median(samp_cpu),
    }


def machine() -> dict[str, Any]:
    """Facts about the machine and libraries that affect the timings."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    env = {k: v for k, v in os.environ.items()
           if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    return {"cpu_count": os.cpu_count(), "cpus_usable": affinity, "numpy": np.__version__,
            "python": platform.python_version(), "platform": platform.platform(),
            "thread_env": env}


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown table, one row per trial count."""
    head = ["trials", "workers", "simulate s", "summary s", "yearly s", "peak MB",
            "worker peak MB", "ns/trial-yr-strat", "x sampling", "x sampling CPU",
            "x uniforms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in rows:
        cells = [f"{r['trials']:,}", str(r["workers"]), f"{r['simulate_s']:.3f}",
                 f"{r['summary_s']:.3f}", f"{r['yearly_s']:.3f}", f"{r['peak_mb']:.0f}",
                 f"{r['worker_peak_mb']:.0f}" if r["worker_peak_mb"] else "-",
                 f"{r['ns_per_trial_year_strategy']:.0f}", f"{r['ratio_sampling']:.1f}",
                 f"{r['ratio_sampling_cpu']:.1f}", f"{r['ratio_uniforms']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--scenario", default="scenarios/base.yaml")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, nargs="+", default=[1],
                   help="worker processes to measure (e.g. 1 2)")
    p.add_argument("--json", help="also write machine facts and results to this file")
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child is not None:
        print(json.dumps(child(a.scenario, a.child, a.repeat, a.seed, a.workers[0])))
        return

    facts = machine()
    print(f"CPUs: {facts['cpu_count']} (usable {facts['cpus_usable']}) | numpy "
          f"{facts['numpy']} | Python {facts['python']} | {facts['platform']}")
    print("Thread env: " + (", ".join(f"{k}={v}" for k, v in facts["thread_env"].items())
                            or "none of OPENBLAS_*/OMP_*/MKL_* set"))
    rows = []
    for n in a.trials:
        for w in a.workers:
            cmd = [sys.executable, __file__, "--child", str(n), "--scenario", a.scenario,
                   "--repeat", str(a.repeat), "--seed", str(a.seed), "--workers", str(w)]
            out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
            print(f"  done {n:,} trials, {w} worker(s): {rows[-1]['simulate_s']:.2f} s",
                  file=sys.stderr)
    r0 = rows[0]
    print(f"\nScenario {a.scenario}: {r0['years']} years x {r0['strategies']} strategies, "
          f"chunk {r0['chunk_size']:,}, seed {a.seed}; median of {a.repeat} runs "
          f"(1 run from {BIG:,} trials)\n")
    print(table(rows))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": facts, "scenario": a.scenario, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
