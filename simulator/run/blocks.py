"""The unit of work of every backend: a block of consecutive chunks, sampled, evaluated,
checked and collected."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from simulator.model.chunk import run_chunk
from simulator.run.accumulator import Accumulator
from simulator.run.guard import check_finite
from simulator.run.plan import RunPlan


def run_block(plan: RunPlan, chunks: range, on_chunk=None,
              arrays: dict[str, np.ndarray] | None = None) -> Accumulator:
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
    Accumulator
        Holding trials ``[chunks.start * chunk_size, ...)`` of the run.
    """
    lo = plan.chunk_bounds(chunks.start)[0]
    hi = plan.chunk_bounds(chunks.stop - 1)[1]
    acc = Accumulator(plan.scenario, hi - lo, keep_spend=plan.keep_spend, offset=lo,
                       keep_trials=plan.keep_trials, streaming=plan.streaming, arrays=arrays)
    # the engine's matrix products are small (a few columns): extra BLAS threads only spin,
    # taking the core another worker needs
    with threadpool_limits(limits=1, user_api="blas"):
        for k in chunks:
            _run_one_chunk(plan, k, lo, acc, on_chunk)
    return acc


def _run_one_chunk(plan: RunPlan, k: int, lo: int, acc: Accumulator, on_chunk) -> None:
    """Sample, evaluate, check and fold in chunk k of a block starting at trial ``lo``."""
    c_lo = plan.chunk_bounds(k)[0]
    draws = plan.draws(k)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = run_chunk(plan.scenario, draws)  # check_finite reports what matters
    check_finite(plan.scenario, draws, out, first_trial=c_lo)
    acc.add(k, c_lo - lo, draws, out)
    if on_chunk is not None:
        on_chunk()

