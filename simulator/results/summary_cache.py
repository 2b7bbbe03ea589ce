"""How a Results keeps what it computes once: summary tables (copied out, so a caller cannot
change what the others read), per-trial arrays (read-only), and which of them a head of the
trials shares."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np


def once(method: Callable) -> Callable:
    """Compute a summary table once per Results (per arguments): the CSV tables, the terminal
    summary, the report and the figures all read the same tables. Callers get a copy, so
    changing one cannot change what the others read."""
    @functools.wraps(method)
    def cached(self, *args, **kwargs):
        key = (method.__name__, args, tuple(sorted(kwargs.items())))
        if key not in self._summaries:
            self._summaries[key] = method(self, *args, **kwargs)
        return self._summaries[key].copy()

    return cached


def once_arrays(method: Callable) -> Callable:
    """Like ``once`` for methods returning an array or a tuple of arrays (the claims, the
    analysis and the tables ask for the same cumulative spend and funding gap several times):
    computed once per arguments and returned read-only instead of copied."""
    @functools.wraps(method)
    def cached(self, *args, **kwargs):
        key = (method.__name__, args, tuple(sorted(kwargs.items())))
        if key not in self._summaries:
            out = method(self, *args, **kwargs)
            for a in out if isinstance(out, tuple) else (out,):
                a.flags.writeable = False
            self._summaries[key] = out
        return self._summaries[key]

    return cached


#: Summaries holding (S, n) per-trial arrays (or tuples of them): a head of the trials shares
#: their first columns.
PER_TRIAL = ("cumulative", "funding_gap", "cash_peak", "_unmet_share_total")


def read_only(arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """The arrays, made read-only (they are shared by every caller)."""
    for a in arrays:
        a.flags.writeable = False
    return arrays
