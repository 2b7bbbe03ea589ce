"""The funding gap by its definition, one horizon end at a time on trial-major arrays: the
reference the engine's one-pass :func:`simulator.model.finance.funding_gaps` is tested against."""

from __future__ import annotations

import numpy as np


def funding_gap(cash_need: np.ndarray, funding: np.ndarray, years: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """The most that must be raised beyond committed funding, and the year the gap opens.

    Parameters
    ----------
    cash_need : ndarray, shape (..., T)
        Cumulative cash need by year [USD].
    funding : ndarray, shape (..., T)
        Cumulative committed funding received by each year [USD].
    years : ndarray, shape (T,)

    Returns
    -------
    gap : ndarray, shape (...)
        ``max(0, max_t (cash_need_t - funding_t))`` [USD].
    year : ndarray, shape (...)
        First calendar year with a positive gap; ``inf`` if none.
    """
    shortfall = cash_need - funding
    opens = shortfall > 0
    first = np.where(opens.any(axis=-1), years[0] + np.argmax(opens, axis=-1).astype(float),
                     np.inf)
    return np.maximum(shortfall.max(axis=-1), 0.0), first
