"""Which memory pages the system backs a run's per-trial arrays with."""

from __future__ import annotations

import ctypes
import mmap
import sys
from functools import cache

import numpy as np

#: Linux's ``madvise`` advice: back the range with ordinary pages only.
MADV_NOHUGEPAGE = 15


@cache
def _madvise() -> ctypes._CFuncPtr | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    fn = getattr(libc, "madvise", None)
    if fn is not None:
        fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        fn.restype = ctypes.c_int
    return fn


def ordinary_pages(array: np.ndarray) -> np.ndarray:
    """Ask the system to back a new, not yet written array with ordinary pages (4 kB) instead
    of the large ones (2 MB) NumPy asks for from 4 MB up; the array itself is returned.

    The per-trial arrays are written once, a chunk at a time, into memory new to the process.
    Where the system must first make a large page free (compacting memory) and clear it, that
    costs more than faulting in the same memory a small page at a time: on a Linux virtual
    machine with large pages on request only (``defrag=madvise``), keeping base.yaml's per-trial
    arrays took about 4x as long per chunk in a new process. Where the advice is not known
    (not Linux) or refused, nothing changes.

    Parameters
    ----------
    array : ndarray
        Newly allocated and not yet written (pages already in place keep their size).

    Returns
    -------
    ndarray
        ``array``.
    """
    madvise = _madvise()
    if madvise is None or array.nbytes < mmap.PAGESIZE:
        return array
    start = array.ctypes.data
    first = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE  # whole pages inside the array only
    end = (start + array.nbytes) // mmap.PAGESIZE * mmap.PAGESIZE
    if end > first:
        madvise(first, end - first, MADV_NOHUGEPAGE)
    return array
