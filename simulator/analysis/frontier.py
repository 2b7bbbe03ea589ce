"""Statistics of lever settings with Monte Carlo errors (influence functions), the exact
non-dominated set, and how sure we are that a setting is dominated (paired)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from simulator.spec.levers import Statistic
from simulator.stats.mc_error import percentiles_with_se

if TYPE_CHECKING:
    from simulator.analysis.lever_evaluation import Evaluation

# -- statistics with Monte Carlo errors --------------------------------------------------------

def statistic(values: np.ndarray, stat: Statistic) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A statistic per candidate, its Monte Carlo standard error and influence values.

    Parameters
    ----------
    values : ndarray, shape (C, n)
        Per-trial metric values; NaN (a share in a year without purchases) is left out.
    stat : Statistic

    Returns
    -------
    estimate, se : ndarray, shape (C,)
    influence : ndarray, shape (C, n)
        ``psi`` with ``se = sqrt(sum psi^2) / n``; zero where the value is NaN.
    """
    x = np.asarray(values, dtype=float)
    valid = ~np.isnan(x)
    n = x.shape[1]
    n_valid = np.maximum(valid.sum(axis=1), 1)
    scale = (n / n_valid)[:, None]
    if stat.event:
        hit = stat.metric.holds(x).astype(float)
        est = np.where(valid, hit, 0.0).sum(axis=1) / n_valid
        psi = np.where(valid, hit - est[:, None], 0.0) * scale
    elif stat.stat == "mean":
        est = np.where(valid, x, 0.0).sum(axis=1) / n_valid
        psi = np.where(valid, x - est[:, None], 0.0) * scale
    elif stat.stat.startswith("cvar"):
        a = stat.level
        var = np.nanquantile(x, a, axis=1)
        excess = np.where(valid, np.maximum(x - var[:, None], 0.0), 0.0)
        est = var + excess.sum(axis=1) / n_valid / (1 - a)
        psi = np.where(valid, excess / (1 - a) + (var - est)[:, None], 0.0) * scale
    else:
        q = 0.5 if stat.stat == "median" else stat.level
        est = np.nanquantile(x, q, axis=1)
        se_q = np.array([percentiles_with_se(row[ok], (100 * q,))[1][0] if ok.any() else np.nan
                         for row, ok in zip(x, valid, strict=True)])
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.sqrt(q * (1 - q) / n_valid) / se_q
            psi = np.where(valid & (se_q[:, None] > 0),
                           (q - (x <= est[:, None])) / density[:, None], 0.0) * scale
    se = np.sqrt((psi ** 2).sum(axis=1)) / n
    return est, se, psi


def nondominated(points: np.ndarray) -> np.ndarray:
    """Which rows are not dominated (all objectives minimised).

    Parameters
    ----------
    points : ndarray, shape (C, K)

    Returns
    -------
    ndarray of bool, shape (C,)
        True where no other row is <= in every column and < in one. Exact, O(C^2 K).
    """
    p = np.asarray(points, dtype=float)
    le = (p[:, None, :] <= p[None, :, :]).all(axis=2)   # le[b, a]: b <= a everywhere
    lt = (p[:, None, :] < p[None, :, :]).any(axis=2)
    dominated = (le & lt).any(axis=0)
    return ~dominated


def frontier_table(ev: Evaluation) -> pd.DataFrame:
    """Every candidate with its statistics, feasibility and place on the frontier.

    Returns
    -------
    DataFrame
        One row per candidate: ``candidate, current``, one column per lever, for every
        objective and constraint statistic ``<text>`` and ``<text>_se`` [its unit], for every
        constraint ``ok: <constraint>``; ``feasible`` (every constraint met), ``on_frontier``,
        ``p_dominated`` (lower bound on the probability that a frontier setting dominates it,
        paired; 0 on the frontier unless another frontier setting nearly ties it),
        ``dominated_by`` and, when the scenario's baseline strategy is among the candidates,
        ``vs_baseline`` and ``vs_baseline_se``: the first objective minus the baseline's, with
        its paired standard error.
    """
    cands = ev.candidates
    lever_names = list(ev.scenario.levers.vary) if ev.scenario.levers is not None else []
    table: dict[str, Any] = {"candidate": [c.name for c in cands],
                             "current": [c.current for c in cands]}
    for k in lever_names:
        table[k] = [c.levers.get(k, np.nan) for c in cands]
    est, se, psi = [], [], []
    for stat in ev.objectives:
        e, s, p = statistic(ev.metric(stat), stat)
        table[stat.text], table[f"{stat.text}_se"] = e, s
        est.append(e)
        se.append(s)
        psi.append(p)
    feasible = np.ones(len(cands), dtype=bool)
    for con in ev.constraints:
        e, s, _ = statistic(ev.metric(con.statistic), con.statistic)
        if con.statistic.text not in table:
            table[con.statistic.text], table[f"{con.statistic.text}_se"] = e, s
        ok = con.met(e)
        table[f"ok: {con.text}"] = ok
        feasible &= ok
    points = np.stack(est, axis=1)
    front = np.zeros(len(cands), dtype=bool)
    idx = np.flatnonzero(feasible)
    front[idx[nondominated(points[idx])]] = True
    p_dom, by = _domination(points, psi, front, ev.trials)
    table.update(feasible=feasible, on_frontier=front, p_dominated=p_dom,
                 dominated_by=[cands[b].name if b >= 0 else "" for b in by])
    base = ev.scenario.baseline_strategy if ev.scenario is not None else None
    at = [i for i, c in enumerate(cands) if c.current and c.name == base]
    if at:
        # each candidate's first objective against the baseline strategy, paired
        b = at[0]
        table["vs_baseline"] = est[0] - est[0][b]
        table["vs_baseline_se"] = np.sqrt(((psi[0] - psi[0][b]) ** 2).sum(axis=1)) / ev.trials
    return pd.DataFrame(table)


def _domination(points: np.ndarray, psi: list[np.ndarray], front: np.ndarray, n: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate: the best lower bound on the probability that a frontier candidate
    dominating its estimates truly dominates it, and which one (-1: none)."""
    conf = np.zeros(len(points))
    by = np.full(len(points), -1)
    f_idx = np.flatnonzero(front)
    for a in range(len(points)):
        dominators = [b for b in f_idx if b != a and (points[b] <= points[a]).all()
                      and (points[b] < points[a]).any()]
        for b in dominators:
            miss = 0.0
            for k, p in enumerate(psi):
                se = np.sqrt(((p[a] - p[b]) ** 2).sum()) / n
                diff = points[a, k] - points[b, k]
                miss += 0.0 if diff == 0 and se == 0 else float(ndtr(-diff / se)) if se > 0 \
                    else 0.0
            c = max(0.0, 1.0 - miss)
            if c > conf[a] or by[a] < 0:
                conf[a], by[a] = c, b
    return conf, by
