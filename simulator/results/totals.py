"""Exact statistics over every trial of a run, gathered chunk by chunk.

Per-trial arrays are kept for at most ``keep_trials`` trials (memory); these totals are kept for
all of them: the mean and its standard error of every headline metric, paired differences
against the baseline with the probability of being cheaper, and the count of trials where each
of the scenario's claims holds. They merge across chunks, processes and Dask workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator.results.metrics import claim_metrics
from simulator.stats.streaming import Moments

#: Metrics without a meaningful mean (``inf`` for "never").
NO_MEAN = ("inhouse_breakeven_year",)


@dataclass
class RunTotals:
    """Streaming totals of a run (see the module docstring).

    Attributes
    ----------
    n : int
        Trials folded in.
    metrics : dict of str to Moments
        Per headline metric (:meth:`Results.metrics`), cells (S,).
    diffs : dict of str to Moments
        Per metric, strategy minus baseline, cells (S,).
    lower : dict of str to ndarray, shape (S,), int64
        Per metric, trials where the strategy's value is below the baseline's.
    paired : dict of str to ndarray, shape (S,), int64
        Per metric, trials where both values are defined.
    claims : dict of str to (ndarray, ndarray)
        Per claim label, trials where it holds and trials where it is defined, each (S,).
    """

    n: int = 0
    metrics: dict[str, Moments] = field(default_factory=dict)
    diffs: dict[str, Moments] = field(default_factory=dict)
    lower: dict[str, np.ndarray] = field(default_factory=dict)
    paired: dict[str, np.ndarray] = field(default_factory=dict)
    claims: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def add(self, chunk) -> None:
        """Fold in a :class:`Results` holding one chunk's trials."""
        n_strat = len(chunk.strategies)
        base = chunk.strategies.index(chunk.scenario.baseline_strategy)
        for name, (_, values) in chunk.metrics().items():
            if name in NO_MEAN:
                continue
            self.metrics.setdefault(name, Moments((n_strat,))).add(values, axis=1)
            if name.startswith("inhouse_"):
                continue
            diff = values - values[base]
            paired = self.diffs.setdefault(name, Moments((n_strat,))).add(diff, axis=1)
            # NaN compares false: trials below the baseline are paired ones
            self.lower[name] = self.lower.get(name, 0) + (diff < 0).sum(axis=1)
            self.paired[name] = self.paired.get(name, 0) + paired
        claims = chunk.scenario.claims
        for claim, values in zip(claims, claim_metrics(chunk, claims), strict=True):
            ok = ~np.isnan(values)
            holds = (ok & claim.holds(values)).sum(axis=1)
            true, valid = self.claims.get(claim.label, (0, 0))
            self.claims[claim.label] = (true + holds, valid + ok.sum(axis=1))
        self.n += chunk.n_trials

    def merge(self, other: RunTotals) -> None:
        """Fold in another block's totals."""
        for name, m in other.metrics.items():
            mine = self.metrics.setdefault(name, Moments(m.cells))
            mine.merge(m.count, m.mean, m.m2)
        for name, m in other.diffs.items():
            mine = self.diffs.setdefault(name, Moments(m.cells))
            mine.merge(m.count, m.mean, m.m2)
        for name in other.lower:
            self.lower[name] = self.lower.get(name, 0) + other.lower[name]
            self.paired[name] = self.paired.get(name, 0) + other.paired[name]
        for label, (true, valid) in other.claims.items():
            t, v = self.claims.get(label, (0, 0))
            self.claims[label] = (t + true, v + valid)
        self.n += other.n
