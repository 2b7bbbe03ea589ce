"""Which inputs move the answer: tornado swings, rank correlations and Sobol indices.

* **Tornado**: each uncertain input in turn at its P10 and P90 (``low``/``high``), every other
  input at its median, yearly noise at zero and every discrete event at its median outcome; the
  swing is the change in the metric. Cheap (2d + 1 model runs) and easy to read, but blind to
  interactions.
* **Rank correlation**: Spearman correlation between each input and the metric over the Monte
  Carlo sample itself (noise and events included). Free once a run exists.
* **Sobol indices** (on request): first-order and total variance shares from a Saltelli design
  of ``n (d + 2)`` runs (:mod:`simulator.analysis.sobol`), with noise and events held at their medians
  so that the model is a deterministic function of the declared inputs.

Metrics are named as in claims: ``cumulative_spend`` (optionally through a year), ``spend``,
``npv``, ``installed_gw``, ``<supplier>_share``, ``unmet_demand``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.analysis.sobol import saltelli_matrices, sobol_indices, stacked_rows
from simulator.results.container import Results
from simulator.results.metrics import claim_metric
from simulator.run.engine import evaluate_design
from simulator.sample.draws import draws_from_uniforms
from simulator.spec.claim_spec import ClaimSpec
from simulator.spec.scenario import Scenario
from simulator.stats.correlation import average_ranks


def _metric_spec(metric: str, year: int | None) -> ClaimSpec:
    # a claim with a dummy comparison names the metric and year in the one shared vocabulary
    return ClaimSpec(metric=metric, year=year, op=">=", threshold=0.0)


def metric_values(results: Results, metric: str = "cumulative_spend", year: int | None = None
                  ) -> np.ndarray:
    """Per-trial values of a metric named as in claims.

    Returns
    -------
    ndarray, shape (S, n) [metric's unit]
    """
    return claim_metric(results, _metric_spec(metric, year))


def tornado(scenario: Scenario, *, metric: str = "cumulative_spend", year: int | None = None,
            low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
    """One-at-a-time swings of each uncertain input between two of its quantiles.

    Parameters
    ----------
    scenario : Scenario
    metric, year : str, int or None
        The output, named as in claims.
    low, high : float
        Quantiles of each input to set (default P10 and P90).

    Returns
    -------
    DataFrame
        One row per strategy and input, sorted by swing (largest first) within each strategy:
        ``strategy, metric, input, value_low, value_high, base, at_low, at_high, swing`` where
        ``base`` is the metric with every input at its median [metric's unit] and
        ``swing = |at_high - at_low|``.
    """
    paths = scenario.uncertain_paths()
    d = len(paths)
    if d == 0:  # every input fixed: nothing to swing
        return pd.DataFrame(columns=["strategy", "metric", "input", "value_low", "value_high",
                                     "base", "at_low", "at_high", "swing"])
    u = np.full((2 * d + 1, d), 0.5)
    for k in range(d):
        u[2 * k + 1, k], u[2 * k + 2, k] = low, high
    draws = draws_from_uniforms(scenario, u, rng=None, central=True)  # the inputs' values
    values = metric_values(evaluate_design(scenario, u, note="tornado"), metric, year)  # (S, 2d+1)
    label = metric if year is None else \
        f"{metric} {'through' if metric == 'cumulative_spend' else 'in'} {year}"
    rows = []
    for i, strategy in enumerate(scenario.strategy_names):
        for k, path in enumerate(paths):
            at_low, at_high = values[i, 2 * k + 1], values[i, 2 * k + 2]
            rows.append({"strategy": strategy, "metric": label, "input": path,
                         "value_low": draws.values[path][2 * k + 1],
                         "value_high": draws.values[path][2 * k + 2], "base": values[i, 0],
                         "at_low": at_low, "at_high": at_high, "swing": abs(at_high - at_low)})
    table = pd.DataFrame(rows)
    order = {s: k for k, s in enumerate(scenario.strategy_names)}
    return table.sort_values(["strategy", "swing"], ascending=[True, False],
                             key=lambda c: c.map(order) if c.name == "strategy" else c,
                             ignore_index=True)


def rank_correlations(results: Results, *, metric: str = "cumulative_spend",
                      year: int | None = None) -> pd.DataFrame:
    """Spearman correlation of each sampled input with the metric, per strategy.

    Returns
    -------
    DataFrame
        ``strategy, input, spearman``; inputs in schema order.
    """
    values = metric_values(results, metric, year)
    paths = list(results.inputs)
    if not paths:
        return pd.DataFrame(columns=["strategy", "input", "spearman"])
    ranks, norms = results.centred_input_ranks()
    rows = []
    for i, strategy in enumerate(results.strategies):
        ok = ~np.isnan(values[i])
        r_y = average_ranks(values[i][ok])
        r_y -= r_y.mean()
        r_x = ranks[:, ok] - ranks[:, ok].mean(axis=1, keepdims=True) if not ok.all() else ranks
        n_x = np.sqrt((r_x**2).sum(axis=1)) if not ok.all() else norms
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = (r_x @ r_y) / (n_x * np.sqrt((r_y**2).sum()))
        rows += [{"strategy": strategy, "input": p, "spearman": float(rho[k])}
                 for k, p in enumerate(paths)]
    return pd.DataFrame(rows)


#: Design rows evaluated per pass of a Sobol analysis: bounds the per-trial arrays held at once
#: (about 150 MB for the base scenario) while each pass still spans many chunks to share out.
SOBOL_SEGMENT_ROWS = 2**17


def sobol_analysis(scenario: Scenario, *, n_base: int = 1024, metric: str = "cumulative_spend",
                   year: int | None = None, seed: int | None = None,
                   n_bootstrap: int = 200, workers: int | None = None,
                   progress: bool = False) -> pd.DataFrame:
    """First-order and total Sobol indices of every uncertain input, per strategy.

    Parameters
    ----------
    scenario : Scenario
    n_base : int
        Rows of each Saltelli base matrix (a power of two); the cost is ``n_base * (d + 2)``
        model runs.
    metric, year : str, int or None
        The output, named as in claims.
    seed : int, optional
        Seed of the design and bootstrap; default ``scenario.seed``.
    n_bootstrap : int
        Resamples for the 95% confidence half-widths (0: none, the columns are NaN).
    workers : int, optional
        Local processes, as for :func:`simulator.simulate` (default: both cores once the
        design spans enough chunks). The indices do not depend on it.
    progress : bool
        Show a progress bar on stderr (only when it is a terminal).

    Returns
    -------
    DataFrame
        ``strategy, input, S1, S1_conf, ST, ST_conf``.
    """
    paths = scenario.uncertain_paths()
    d = len(paths)
    rng = np.random.default_rng(scenario.seed if seed is None else seed)
    a, b = saltelli_matrices(n_base, d, rng=rng)

    # every run of the design (A, B, then each AB_i) in one stack, through the chunked,
    # parallel engine a segment at a time
    total = (d + 2) * n_base
    f = np.concatenate([
        metric_values(evaluate_design(
            scenario, stacked_rows(a, b, lo, min(lo + SOBOL_SEGMENT_ROWS, total)),
            workers=workers, progress=progress, note="sobol"), metric, year)
        for lo in range(0, total, SOBOL_SEGMENT_ROWS)], axis=1)  # (S, (d + 2) n)
    f = f.reshape(len(scenario.strategy_names), d + 2, n_base)
    f_a, f_b, f_ab = f[:, 0], f[:, 1], f[:, 2:]  # f_ab: (S, d, n)
    frames = []
    for i, strategy in enumerate(scenario.strategy_names):
        table = sobol_indices(f_a[i], f_b[i], f_ab[i], names=paths,
                              rng=rng if n_bootstrap else None, n_bootstrap=n_bootstrap)
        frames.append(table.rename_axis("input").reset_index().assign(strategy=strategy))
    out = pd.concat(frames, ignore_index=True)
    return out[["strategy", "input", "S1", "S1_conf", "ST", "ST_conf"]]


def sensitivity_table(results: Results, *, metric: str = "cumulative_spend",
                      year: int | None = None, sobol: pd.DataFrame | None = None
                      ) -> pd.DataFrame:
    """Tornado swings and rank correlations (and Sobol indices when given) in one table.

    Returns
    -------
    DataFrame
        ``strategy, metric, input, value_low, value_high, base, at_low, at_high, swing,
        spearman`` and, with ``sobol``, ``S1, S1_conf, ST, ST_conf``; sorted by swing.
    """
    table = tornado(results.scenario, metric=metric, year=year)
    table = table.merge(rank_correlations(results, metric=metric, year=year),
                        on=["strategy", "input"], how="left")
    if sobol is not None:
        table = table.merge(sobol, on=["strategy", "input"], how="left")
    return table
