"""Cash timing: what starts serving in a year is paid over the lead years before it.

:func:`cash_by_year` turns costs at service into cash paid in each year of the horizon with the
payment weights of :func:`simulator.model.cost_model.payment_weights`, and
:func:`work_in_progress` gives what is paid within the horizon for capacity serving after it.
Shapes as in :mod:`simulator.model.cost_model`: trial axis last.
"""

from __future__ import annotations

import numpy as np


def cash_by_year(service_cost: np.ndarray, weights: np.ndarray, n_years: int,
                 out: np.ndarray | None = None) -> np.ndarray:
    """Cash paid in each year of the horizon for capacity serving in it or after it.

    Parameters
    ----------
    service_cost : ndarray, shape (..., T + K, n)
        Cost of what starts serving in each year [USD], past the horizon's end too (e.g. by
        supplier: the leading axes are computed alike, in one pass each).
    weights : ndarray, shape (K + 1, n)
        :func:`simulator.model.cost_model.payment_weights`, best already in ``service_cost``'s dtype.
    n_years : int
        T.
    out : ndarray, shape (..., T, n), optional
        Where to write the cash (e.g. a category of the strategy's spend).

    Returns
    -------
    ndarray, shape (..., T, n) [USD]
        ``cash[t] = sum_k w[k] service_cost[t + k]``; payments before the start are sunk.
    """
    weights = weights.astype(service_cost.dtype, copy=False)
    if out is None:
        out = np.empty((*service_cost.shape[:-2], n_years, service_cost.shape[-1]),
                       dtype=service_cost.dtype)
    if len(weights) == 1 and (weights[0] == 1.0).all():  # no lead time: paid at service
        out[...] = service_cost[..., :n_years, :]
        return out
    if cash_in_one_pass(service_cost, weights, n_years):
        # [k, t] = service_cost[t + k]: einsum adds w[k] x cost[t + k] for k = 0, 1, ... in
        # turn onto +0, without a fused multiply-add (tested): the loop's sums, one pass
        *lead, _, n = service_cost.shape
        step = service_cost.strides[-2]
        ahead = np.lib.stride_tricks.as_strided(
            service_cost, shape=(*lead, len(weights), n_years, n),
            strides=(*service_cost.strides[:-2], step, step, service_cost.strides[-1]),
            writeable=False)
        return np.einsum("...ktn,kn->...tn", ahead, weights, out=out)
    np.multiply(service_cost[..., :n_years, :], weights[0], out=out)
    scratch = np.empty_like(out)
    for k in range(1, len(weights)):
        out += np.multiply(service_cost[..., k:n_years + k, :], weights[k], out=scratch)
    return out


def cash_in_one_pass(service_cost: np.ndarray, weights: np.ndarray, n_years: int) -> bool:
    """Whether :func:`cash_by_year` sums its payment years in one ``einsum`` rather than a
    multiply and an add per year (the tests switch it off to compare the two).

    Only with weights of their own for each of several trials: einsum then loops over the
    contiguous trials innermost and adds year after year onto each element, as the loop does;
    over a single trial it sums the years in a loop of its own, which rounds differently.
    """
    n = service_cost.shape[-1]
    return (service_cost.dtype in (np.float32, np.float64) and weights.shape == (len(weights), n)
            and n > 1 and service_cost.strides[-1] == service_cost.itemsize
            and service_cost.shape[-2] >= n_years + len(weights) - 1)


def work_in_progress(service_cost: np.ndarray, weights: np.ndarray, n_years: int) -> np.ndarray:
    """Cash paid within the horizon for capacity that serves only after it [USD], shape (n,).

    ``sum_{s >= T} sum_{k: s - k < T} w[k] service_cost[s]``.
    """
    out = np.zeros(service_cost.shape[1], dtype=np.float64)
    for k in range(1, len(weights)):
        for s in range(n_years, min(n_years + k, len(service_cost))):
            out += weights[k] * service_cost[s]
    return out
