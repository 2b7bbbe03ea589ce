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

import numpy as np

from simulator.results.container import Results
from simulator.results.provenance import provenance
from simulator.run.accumulator import Accumulator
from simulator.run.blocks import run_block
from simulator.run.plan import CHUNK_SIZE, KEEP_TRIALS, PARALLEL_MIN_CHUNKS, RunPlan
from simulator.run.progress import progress_bar
from simulator.spec.scenario import Scenario


def simulate(scenario: Scenario, *, trials: int | None = None, seed: int | None = None,
             design: str | None = None, chunk_size: int = CHUNK_SIZE,
             keep_spend: bool = False, keep_trials: int | None = KEEP_TRIALS,
             workers: int | None = None,
             backend: str = "local", scheduler: str | None = None,
             progress: bool = False, streaming: bool = True) -> Results:
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
    streaming : bool
        Also build the category histograms and the exact run totals (the default). Without
        them a run costs about a third less, for callers that read only the per-trial arrays of
        a run that keeps every trial (the interactive explorer): the same per-trial numbers,
        and the same claim probabilities and paired comparisons, computed from those arrays;
        ``Results.yearly()`` is then unavailable.

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
    if not streaming and keep_trials is not None and keep_trials < n:
        raise ValueError("streaming=False needs every trial kept (keep_trials >= trials): "
                         "without streamed totals, statistics come from the kept trials")
    if backend not in ("local", "dask"):
        raise ValueError(f"backend must be 'local' or 'dask', got {backend!r}")
    if scheduler is not None and backend != "dask":
        raise ValueError("a scheduler address needs backend='dask'")
    t0 = time.perf_counter()
    plan = RunPlan(scenario=scenario, trials=n, seed=seed, design=design,
                   chunk_size=chunk_size, keep_spend=keep_spend, keep_trials=keep_trials,
                   streaming=streaming)
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
             progress: bool) -> tuple[Accumulator, int | None]:
    """Run a plan's chunks here, on local processes or on Dask; returns the filled accumulator
    and the number of local processes used (None for Dask)."""
    n_chunks = plan.n_chunks
    if backend == "dask":
        from simulator.run.parallel import run_dask

        return run_dask(plan, scheduler=scheduler, workers=workers, progress=progress), None
    if workers is None:  # small runs are faster in this process than on a pool
        workers_used = 1 if n_chunks < PARALLEL_MIN_CHUNKS else min(os.cpu_count() or 1, n_chunks)
    else:
        workers_used = max(1, min(int(workers), n_chunks))
    if workers_used > 1:
        from simulator.run.parallel import run_local, shared_bytes, shared_memory_free

        need, free = shared_bytes(plan), shared_memory_free()
        if free is None or need <= free:
            return run_local(plan, workers=workers_used, progress=progress), workers_used
        # workers writing past a full shared-memory file system would die of SIGBUS
        warnings.warn(f"running in one process: the {workers_used} workers need "
                      f"{need / 1e9:.2f} GB of shared memory but only {free / 1e9:.2f} GB is free "
                      "in /dev/shm (enlarge it, e.g. docker run --shm-size=2g)", RuntimeWarning,
                      stacklevel=3)
        workers_used = 1
    bar = progress_bar(n_chunks, enabled=progress and n_chunks > 1)
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
        :func:`simulator.sample.draws.draws_from_uniforms`); else draw them from chunk k's stream.
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

