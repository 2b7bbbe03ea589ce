"""Backends that run blocks of chunks in parallel: local processes, or a Dask cluster.

The unit of work is :func:`simulator.run.blocks.run_block` on a range of consecutive chunks. Chunk
k always draws from ``SeedSequence(seed, spawn_key=(k,))``, so where a block runs and how many
there are never changes the numbers: a parallel or distributed run equals a serial one bit for
bit.
"""

from __future__ import annotations

import mmap
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from itertools import pairwise
from multiprocessing import shared_memory

import numpy as np

from simulator import interrupts
from simulator.run.accumulator import Accumulator, BlockSummary
from simulator.run.blocks import run_block
from simulator.run.plan import RunPlan
from simulator.run.progress import progress_bar

#: Blocks per worker: more than one balances load and shows progress; each block returns its
#: histogram whole, so not too many.
BLOCKS_PER_WORKER = 3


def _blocks(n_chunks: int, n_blocks: int) -> list[range]:
    n_blocks = max(1, min(n_blocks, n_chunks))
    edges = [round(i * n_chunks / n_blocks) for i in range(n_blocks + 1)]
    return [range(a, b) for a, b in pairwise(edges) if b > a]


#: Where POSIX shared memory lives on Linux; containers often mount it small (64 MB in Docker).
SHM_DIR = "/dev/shm"


def _shared_arrays(plan: RunPlan) -> dict[str, tuple[tuple[int, ...], type, int]]:
    """Shape, dtype and size in bytes of every per-trial array of the run."""
    layout = Accumulator.layout(plan.scenario, plan.n_kept, plan.keep_spend)
    return {name: (shape, dtype, int(np.prod(shape)) * np.dtype(dtype).itemsize)
            for name, (shape, dtype) in layout.items()}


def shared_bytes(plan: RunPlan) -> int:
    """Bytes of shared memory :func:`run_local` needs for the plan's per-trial arrays."""
    return sum(nbytes for _, _, nbytes in _shared_arrays(plan).values())


def shared_memory_free() -> int | None:
    """Free bytes in the shared-memory file system, or None where there is none to inspect or
    the run does not use it (anonymous memory files, see :func:`memfd_available`, are limited
    by memory alone, not by the size of ``SHM_DIR``: a container's small ``/dev/shm`` does not
    matter to them)."""
    if memfd_available():
        return None
    try:
        stat = os.statvfs(SHM_DIR)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


#: Prefix of the names of the run's anonymous memory files (seen in ``/proc/PID/fd``).
MEMFD_PREFIX = "simulator-"


def memfd_available() -> bool:
    """Whether the per-trial arrays live in anonymous memory files (Linux ``memfd_create``),
    which the kernel frees when the last process holding one ends, however it ends; elsewhere
    they are ``multiprocessing.shared_memory`` segments, unlinked by the resource tracker."""
    return hasattr(os, "memfd_create") and os.path.isdir(f"/proc/{os.getpid()}/fd")


def _own_mapping(name: str, shape: tuple[int, ...], dtype: type, nbytes: int
                 ) -> np.ndarray | None:
    """An array on this process's own mapping of a shared-memory file (``name`` is a path, for
    an anonymous memory file, or a segment's name), which outlives the file's closing or
    unlinking (the memory lives until its last mapping goes), so results can keep it without a
    copy; None where the system shows no such file (POSIX shared memory is only visible in
    ``SHM_DIR`` on Linux)."""
    path = name if os.path.isabs(name) else os.path.join(SHM_DIR, name)
    if not os.path.isfile(path):
        return None
    with open(path, "r+b") as f:
        mapped = mmap.mmap(f.fileno(), max(1, nbytes))
    return np.frombuffer(mapped, dtype=dtype, count=int(np.prod(shape))).reshape(shape)


def _views(names: dict[str, str], shared: dict[str, tuple[tuple[int, ...], type, int]],
           segment: Callable[[str], shared_memory.SharedMemory]
           ) -> tuple[dict[str, np.ndarray], list[str]]:
    """The per-trial arrays on the run's segments (``names``: array -> segment name): own
    mappings where the system shows the segments' files, else views of the buffers of
    ``segment(array)`` (listed as ``borrowed``: they must go before their segments close)."""
    arrays, borrowed = {}, []
    for name, (shape, dtype, nbytes) in shared.items():
        arrays[name] = _own_mapping(names[name], shape, dtype, nbytes)
        if arrays[name] is None:
            arrays[name] = np.ndarray(shape, dtype=dtype, buffer=segment(name).buf)
            borrowed.append(name)
    return arrays, borrowed


def exit_with_parent(parent: int | None = None) -> None:
    """Pool initializer: a worker whose parent died (killed, so no cleanup ran) exits instead
    of waiting for work forever, holding its memory (and here the shared memory, which lives
    until every process using it is gone). Signals as :func:`simulator.interrupts.in_worker`
    sets them: the parent alone acts on Ctrl-C.

    Parameters
    ----------
    parent : int, optional
        The parent's process id, taken in the parent (``initargs=(os.getpid(),)``): a parent
        killed between the fork and this initializer has already handed the worker to another
        process, whose id ``os.getppid()`` would give here. Default: ``os.getppid()``.
    """
    interrupts.in_worker()
    parent = os.getppid() if parent is None else parent

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now, not after their current block: for a run that is interrupted
    or failing (``shutdown`` alone waits for running calls). Python 3.14 has
    ``terminate_workers``; before it the executor's process table is the only handle."""
    pool.shutdown(wait=False, cancel_futures=True)
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()


class _SharedFiles:
    """The run's shared arrays' backing: anonymous memory files where the system has them
    (freed by the kernel with the last process holding them, so no kill leaves anything
    behind), else ``multiprocessing.shared_memory`` segments."""

    def __init__(self, shared: dict[str, tuple[tuple[int, ...], type, int]]) -> None:
        self.fds: dict[str, int] = {}
        self.segments: dict[str, shared_memory.SharedMemory] = {}
        self.names: dict[str, str] = {}
        try:
            for name, (_, _, nbytes) in shared.items():
                if memfd_available():
                    fd = os.memfd_create(f"{MEMFD_PREFIX}{os.getpid()}-{name}")
                    self.fds[name] = fd
                    os.ftruncate(fd, max(1, nbytes))
                    self.names[name] = f"/proc/{os.getpid()}/fd/{fd}"
                else:
                    seg = shared_memory.SharedMemory(create=True, size=max(1, nbytes))
                    self.segments[name] = seg
                    self.names[name] = seg.name
        except BaseException:
            self.close()
            raise

    def segment(self, name: str) -> shared_memory.SharedMemory:
        return self.segments[name]

    def close(self) -> None:
        """Close the files (this process's mappings keep the memory they map) or close and
        unlink the segments; views of a segment's own buffer must be gone first."""
        for fd in self.fds.values():
            os.close(fd)
        for seg in self.segments.values():
            seg.close()
            seg.unlink()
        self.fds, self.segments = {}, {}


def run_local(plan: RunPlan, *, workers: int, progress: bool = False) -> Accumulator:
    """Run the plan's chunks on ``workers`` local processes.

    The per-trial arrays live in shared memory: each worker writes its trials in place and
    sends back only its histogram (non-empty bins), chunk sums and totals, so nothing large is
    copied between processes. On Linux the arrays are anonymous memory files
    (``memfd_create``, named ``simulator-PID-ARRAY`` in ``/proc/PID/fd``) that every process
    maps itself, and this process's mappings become the results' arrays, so nothing is copied
    afterwards either; the kernel frees them with the last process that holds them, so no kill,
    not even SIGKILL to the whole process group, leaves memory behind. Elsewhere they are
    ``multiprocessing.shared_memory`` segments (unlinked by the resource tracker if the run is
    killed) and the arrays are copied out. An interrupt stops the workers at once.

    Returns
    -------
    Accumulator
        The whole run, ready for ``.results()``.
    """
    blocks = _blocks(plan.n_chunks, workers * BLOCKS_PER_WORKER)
    shared = _shared_arrays(plan)
    files = _SharedFiles(shared)
    names = files.names
    acc = None
    try:
        arrays, borrowed = _views(names, shared, files.segment)
        acc = Accumulator(plan.scenario, plan.trials, keep_spend=plan.keep_spend,
                           keep_trials=plan.keep_trials, streaming=plan.streaming, arrays=arrays)
        bar = progress_bar(plan.n_chunks, enabled=progress)
        pool = ProcessPoolExecutor(max_workers=workers, initializer=exit_with_parent,
                                   initargs=(os.getpid(),))
        try:
            # workers start on the first submit: a fork copies the held-back signals, so none
            # runs Python code under this process's handlers before its initializer
            with interrupts.deferred():
                futures = {pool.submit(_run_shared_block, plan.for_chunks(block), block, names,
                                       shared): block for block in blocks}
            interrupts.checkpoint("pool")
            for future in as_completed(futures):
                acc.absorb(future.result())
                bar.update(len(futures[future]))
                interrupts.checkpoint("chunks")
                interrupts.check()
        except BaseException:
            stop_workers(pool)
            raise
        finally:
            pool.shutdown(wait=True)
        bar.close()
        if borrowed:  # a segment's own buffer cannot outlive it: copy those arrays out
            for name in borrowed:
                arrays[name] = arrays[name].copy()
            acc.use_arrays(arrays)
        done, acc = acc, None
        return done
    finally:
        arrays = acc = None  # drop views of the segments' buffers before closing them
        files.close()


def _run_shared_block(plan: RunPlan, chunks: range, names: dict[str, str],
                      shared: dict[str, tuple[tuple[int, ...], type, int]]) -> BlockSummary:
    """Worker side of :func:`run_local`: run a block writing into the shared arrays (mapping
    the segments' files itself where it can, attaching to the segments only elsewhere)."""
    attached: dict[str, shared_memory.SharedMemory] = {}

    def attach(name: str) -> shared_memory.SharedMemory:
        attached[name] = shared_memory.SharedMemory(name=names[name])  # once per array
        return attached[name]

    try:
        arrays, _ = _views(names, shared, attach)
        return run_block(plan, chunks, arrays=arrays).summary()
    finally:
        arrays = None  # views of attached buffers must go before the segments close
        for seg in attached.values():
            seg.close()


#: Seconds to reach a Dask scheduler and complete its handshake before giving up.
CONNECT_TIMEOUT = 20.0

#: Address schemes of Dask's own protocol (``inproc`` is for in-process test clusters).
DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")

_ADDRESS = re.compile(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?"
                      r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(?P<port>[0-9]{1,5}))?/?$")


def scheduler_address_problem(address: str) -> str | None:
    """Why ``address`` cannot be a Dask scheduler's address, or None.

    Parameters
    ----------
    address : str
        E.g. ``tcp://10.0.0.5:8786`` or ``10.0.0.5:8786`` (tcp assumed).

    Returns
    -------
    str or None
        The problem in words, with the expected form.
    """
    form = "expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786 ('dask scheduler' prints it)"
    m = _ADDRESS.match(address.strip())
    if m is None:
        return f"{address!r} is not a Dask scheduler address; {form}"
    scheme = (m.group("scheme") or "tcp").lower()
    if scheme in ("http", "https"):
        return (f"{address!r} is a web address: a Dask scheduler speaks its own protocol, "
                f"{form} (port 8787 over http is its dashboard, not the scheduler)")
    if scheme not in DASK_SCHEMES:
        return f"unknown address scheme {scheme!r} in {address!r}; {form}"
    if scheme == "inproc":
        return None
    port = m.group("port")
    if port is None:
        return f"{address!r} has no port; {form}"
    if not 0 < int(port) < 65536:
        return f"port {port} in {address!r} is not a TCP port (1-65535); {form}"
    return None


def _connect(client_cls: type, address: str, timeout: float):
    """A Dask client connected to ``address``, within ``timeout`` seconds overall.

    Dask bounds the TCP connection but not every handshake: a server that accepts the
    connection and never answers as Dask would (a web server) kept the client waiting for ever,
    and one that answers with other bytes made it read a frame length of exabytes. The client is
    therefore built in a helper thread that is abandoned when the time is up, and every
    failure becomes a RuntimeError naming the address and the cause.
    """
    import dask

    box: dict[str, object] = {}

    def connect() -> None:
        try:
            with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout}s"}):
                box["client"] = client_cls(address, timeout=timeout)
        except BaseException as exc:  # reported to the caller below, whatever it is
            box["error"] = exc

    thread = threading.Thread(target=connect, name="dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 5)
    if "client" in box:
        return box["client"]
    if thread.is_alive():
        cause = (f"no answer within {timeout + 5:.0f} s; the address accepts connections "
                 "but does not speak Dask's protocol (a web server? the dashboard port?)")
    else:
        exc = box.get("error")
        if isinstance(exc, MemoryError):
            cause = ("it answered with something that is not Dask's protocol (a web server? "
                     "the dashboard port?)")
        elif isinstance(exc, TimeoutError | OSError):
            cause = (f"{exc}; is 'dask scheduler' running there, and is the port open?")
        else:
            cause = f"{type(exc).__name__}: {exc}"
    raise RuntimeError(f"cannot use the Dask scheduler at {address}: {cause}")


def run_dask(plan: RunPlan, *, scheduler: str | None = None, workers: int | None = None,
             progress: bool = False) -> Accumulator:
    """Run the plan's chunks on a Dask cluster.

    Parameters
    ----------
    plan : RunPlan
    scheduler : str, optional
        Address of a running scheduler (``dask scheduler`` prints it); default: a
        ``distributed.LocalCluster`` on this machine.
    workers : int, optional
        Worker processes of the local cluster (default: Dask's choice); a running scheduler
        has its own workers, so it cannot be combined with ``scheduler``.
    progress : bool

    Returns
    -------
    Accumulator

    Raises
    ------
    ValueError
        For an address that cannot be a scheduler's, or ``workers`` with ``scheduler``.
    RuntimeError
        When dask.distributed is missing, or the scheduler cannot be reached or is not Dask,
        naming the address and the cause.
    """
    if scheduler is not None and (problem := scheduler_address_problem(scheduler)):
        raise ValueError(problem)
    if scheduler is not None and workers is not None:
        raise ValueError("the number of workers is the cluster's own when a scheduler address "
                         "is given; leave workers out")
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:  # an optional extra
        raise RuntimeError("the Dask backend needs dask.distributed: pip install "
                           "'ai-infra-simulator[dask]'") from exc
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(processes=True, dashboard_address=None,
                               **({} if workers is None else {"n_workers": workers,
                                                              "threads_per_worker": 1}))
        client = Client(cluster)
    else:
        client = _connect(Client, scheduler, CONNECT_TIMEOUT)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        blocks = _blocks(plan.n_chunks, n_workers * BLOCKS_PER_WORKER)
        acc = Accumulator(plan.scenario, plan.trials, keep_spend=plan.keep_spend,
                           keep_trials=plan.keep_trials, streaming=plan.streaming)
        bar = progress_bar(plan.n_chunks, enabled=progress)
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
    except OSError as exc:  # the cluster went away mid-run: not a problem with the outputs
        where = scheduler or "the local Dask cluster"
        raise RuntimeError(f"lost the Dask cluster at {where} during the run: {exc}") from exc
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
