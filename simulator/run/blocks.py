"""The unit of work of every backend: a block of consecutive chunks, sampled, evaluated,
checked and collected."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

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
    with threadpool_limits(limits=1, user_api="blas"), freed_memory_kept():
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



#: glibc's ``mallopt`` parameters, and the values a run sets: every block up to 32 MB from the
#: heap, and freed memory kept unless more than 1 GB of it is free at the top.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
RUN_MMAP_THRESHOLD, RUN_TRIM_THRESHOLD = 32 * 2**20, 2**30
#: The trim threshold glibc itself settles on once it has freed a 32 MB block (twice the
#: mapping threshold), restored after a run.
AFTER_TRIM_THRESHOLD = 2 * RUN_MMAP_THRESHOLD


@cache
def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not Linux with glibc
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


@contextmanager
def freed_memory_kept() -> Iterator[None]:
    """Keep the memory the chunks free for the next chunk, within a run.

    Each chunk allocates and frees the same temporaries (about 150 MB for base.yaml). By
    default glibc hands large freed blocks back to the system, so every chunk faults its
    temporaries in afresh, page by page, and the system zeroes them again: a fifth of a run's
    time on base.yaml. Within a run, blocks up to 32 MB come from the heap and freed memory
    stays there (the heap never grows past the run's peak); afterwards the free memory is
    handed back (``malloc_trim``). Elsewhere than glibc, nothing changes.
    """
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(M_MMAP_THRESHOLD, RUN_MMAP_THRESHOLD)
    libc.mallopt(M_TRIM_THRESHOLD, RUN_TRIM_THRESHOLD)
    try:
        yield
    finally:
        libc.mallopt(M_TRIM_THRESHOLD, AFTER_TRIM_THRESHOLD)
        libc.malloc_trim(0)
