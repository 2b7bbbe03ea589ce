"""Backends that run blocks of chunks in parallel: local processes, or a Dask cluster.

The unit of work is :func:`simulator.engine.run_block` on a range of consecutive chunks. Chunk
k always draws from ``SeedSequence(seed, spawn_key=(k,))``, so where a block runs and how many
there are never changes the numbers: a parallel or distributed run equals a serial one bit for
bit.
"""

from __future__ import annotations

import mmap
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from itertools import pairwise

import numpy as np

from simulator.engine import BlockSummary, RunPlan, _Accumulator, _progress_bar, run_block

#: Blocks per worker: more than one balances load and shows progress; each block returns its
#: histogram whole, so not too many.
BLOCKS_PER_WORKER = 3


def _blocks(n_chunks: int, n_blocks: int) -> list[range]:
    n_blocks = max(1, min(n_blocks, n_chunks))
    edges = [round(i * n_chunks / n_blocks) for i in range(n_blocks + 1)]
    return [range(a, b) for a, b in pairwise(edges) if b > a]


def _n_chunks(plan: RunPlan) -> int:
    return -(-plan.trials // plan.chunk_size)


#: Where POSIX shared memory lives on Linux; containers often mount it small (64 MB in Docker).
#: Elsewhere (macOS) the shared files go to the system's temporary folder.
SHM_DIR = "/dev/shm"


def _shared_arrays(plan: RunPlan) -> dict[str, tuple[tuple[int, ...], type, int]]:
    """Shape, dtype and size in bytes of every per-trial array of the run."""
    layout = _Accumulator.layout(plan.scenario, plan.n_kept, plan.keep_spend)
    return {name: (shape, dtype, int(np.prod(shape)) * np.dtype(dtype).itemsize)
            for name, (shape, dtype) in layout.items()}


def shared_bytes(plan: RunPlan) -> int:
    """Bytes of shared memory :func:`run_local` needs for the plan's per-trial arrays."""
    return sum(nbytes for _, _, nbytes in _shared_arrays(plan).values())


def _map(path: str, shape: tuple[int, ...], dtype: type, nbytes: int) -> np.ndarray:
    """An array backed by a shared file, mapped into this process (writes are seen by every
    process mapping the file); the mapping lives as long as the array."""
    with open(path, "r+b") as f:
        mapped = mmap.mmap(f.fileno(), max(1, nbytes))
    return np.frombuffer(mapped, dtype=dtype, count=int(np.prod(shape))).reshape(shape)


def _shared_folder() -> str | None:
    """Where the shared files go: ``SHM_DIR`` when writable, else None (the temporary folder)."""
    return SHM_DIR if os.access(SHM_DIR, os.W_OK) else None


def shared_memory_free() -> int | None:
    """Free bytes in the shared-memory file system, or None where there is none to use (the
    shared files then go to the temporary folder)."""
    folder = _shared_folder()
    if folder is None:
        return None
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


def run_local(plan: RunPlan, *, workers: int, progress: bool = False) -> _Accumulator:
    """Run the plan's chunks on ``workers`` local processes.

    The per-trial arrays live in shared memory: each worker writes its trials in place and
    sends back only its histogram (non-empty bins), chunk sums and totals, so nothing large is
    copied between processes. Each array is a file in ``SHM_DIR`` mapped by the parent and the
    workers; the files are deleted when the run ends, and the parent's mappings become the
    results' arrays, so nothing is copied afterwards either (a deleted file's memory lives until
    its last mapping goes).

    Returns
    -------
    _Accumulator
        The whole run, ready for ``.results()``.
    """
    blocks = _blocks(_n_chunks(plan), workers * BLOCKS_PER_WORKER)
    with tempfile.TemporaryDirectory(prefix="simulator-", dir=_shared_folder(),
                                     ignore_cleanup_errors=True) as tmp:
        where, arrays = {}, {}
        for i, (name, (shape, dtype, nbytes)) in enumerate(_shared_arrays(plan).items()):
            path = os.path.join(tmp, f"{i}.bin")
            with open(path, "wb") as f:
                f.truncate(max(1, nbytes))  # sparse: memory is taken as trials are written
            where[name] = (path, shape, dtype, nbytes)
            arrays[name] = _map(*where[name])
        acc = _Accumulator(plan.scenario, plan.trials, keep_spend=plan.keep_spend,
                           keep_trials=plan.keep_trials, streaming=plan.streaming, arrays=arrays)
        bar = _progress_bar(_n_chunks(plan), enabled=progress)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(_run_shared_block, plan.for_chunks(block), block, where): block
                       for block in blocks}
            for future in as_completed(futures):
                acc.absorb(future.result())
                bar.update(len(futures[future]))
        bar.close()
        return acc


def _run_shared_block(plan: RunPlan, chunks: range, where: dict) -> BlockSummary:
    """Worker side of :func:`run_local`: run a block writing into the shared arrays."""
    arrays = {name: _map(*spec) for name, spec in where.items()}
    return run_block(plan, chunks, arrays=arrays).summary()


def run_dask(plan: RunPlan, *, scheduler: str | None = None, progress: bool = False
             ) -> _Accumulator:
    """Run the plan's chunks on a Dask cluster.

    Parameters
    ----------
    plan : RunPlan
    scheduler : str, optional
        Address of a running scheduler (``dask scheduler`` prints it); default: a
        ``distributed.LocalCluster`` on this machine.
    progress : bool

    Returns
    -------
    _Accumulator
    """
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:  # an optional extra
        raise RuntimeError("the Dask backend needs dask.distributed: pip install "
                           "'ai-infra-simulator[dask]'") from exc
    cluster = None if scheduler else LocalCluster(processes=True, dashboard_address=None)
    client = Client(scheduler or cluster)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        blocks = _blocks(_n_chunks(plan), n_workers * BLOCKS_PER_WORKER)
        acc = _Accumulator(plan.scenario, plan.trials, keep_spend=plan.keep_spend,
                           keep_trials=plan.keep_trials, streaming=plan.streaming)
        bar = _progress_bar(_n_chunks(plan), enabled=progress)
        if plan.uniforms is None:  # the same small plan for every block: send it once
            plan_future = client.scatter(plan, broadcast=True)
            futures = [client.submit(run_block, plan_future, block, pure=False)
                       for block in blocks]
        else:  # a given design: each block receives its own rows only
            futures = [client.submit(run_block, plan.for_chunks(block), block, pure=False)
                       for block in blocks]
        sizes = {f.key: len(b) for f, b in zip(futures, blocks, strict=True)}
        for future in dask_completed(futures):
            acc.absorb(future.result())  # an accumulator: Dask workers share no memory
            bar.update(sizes[future.key])
            future.release()
        bar.close()
        return acc
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
