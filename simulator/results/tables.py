"""Tables built from a run's Results: summaries, comparisons, indicators and funding.

Each function takes a :class:`~simulator.results.container.Results` and returns a DataFrame.
The Results methods ``summary``, ``comparison``, ``indicators``, ``yearly``, ``paths`` and
``funding_table`` call them and keep each table once per run, so the CSV tables, the terminal
summary, the report and the figures read the same ones; ``to_frame`` (tidy per-trial data)
calls :func:`trial_frame`. The columns and units are documented on those methods.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulator.model.finance import funding_gaps
from simulator.stats.mc_error import percentile, percentiles_with_se

if TYPE_CHECKING:
    from simulator.results.container import Results

#: Trials per block of the cash need's pass (float64, 11 years: ~0.7 MB, within L2).
CASH_BLOCK = 8192
#: Percentiles reported in tables [%].
PERCENTILES = (5, 25, 50, 75, 95)


def summary_table(results: Results) -> pd.DataFrame:
    """Distribution of each headline metric per strategy (:meth:`Results.summary`,
    which documents the columns and keeps the table)."""
    rows = []
    for metric, (unit, values) in results.metrics().items():
        for i, s in enumerate(results.strategies):
            v = values[i]
            if np.isnan(v).all():
                continue
            v = v[~np.isnan(v)]  # shares are undefined without purchases
            if metric == "inhouse_breakeven_year":
                # inf = not by the horizon's end: no mean, percentiles are observed years
                q = percentile(v, PERCENTILES, method="inverted_cdf")
                q_se = np.full(len(PERCENTILES), np.nan)
                mean = se = np.nan
            else:
                q, q_se = percentiles_with_se(v, PERCENTILES)
                if results.totals is not None:  # every trial, even when few are kept
                    mean = results.totals.metrics[metric].mean[i]
                    se = results.totals.metrics[metric].se()[i]
                else:
                    mean = v.mean()
                    se = v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else np.nan
            rows.append({"strategy": s, "metric": metric, "unit": unit, "mean": mean,
                         "mean_se": se,
                         **{f"p{p}": q[k] for k, p in enumerate(PERCENTILES)},
                         **{f"p{p}_se": q_se[k] for k, p in enumerate(PERCENTILES)}})
    return pd.DataFrame(rows)


def comparison_table(results: Results, baseline: str | None = None) -> pd.DataFrame:
    """Paired differences of each strategy against the baseline
    (:meth:`Results.comparison`, which documents the columns and keeps the table)."""
    base = baseline or results.scenario.baseline_strategy
    b = results.strategies.index(base)
    rows = []
    metrics = {k: v for k, v in results.metrics().items() if not k.startswith("inhouse_")}
    for i, s in enumerate(results.strategies):
        if i == b:
            continue
        for metric, (unit, values) in metrics.items():
            diff = values[i] - values[b]
            ok = ~np.isnan(diff)
            diff = diff[ok]
            q = percentile(diff, [5, 50, 95]) if diff.size else [np.nan] * 3
            row = {"strategy": s, "baseline": base, "metric": metric, "unit": unit,
                   "diff_mean": diff.mean() if diff.size else np.nan,
                   "diff_mean_se": diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1
                   else np.nan,
                   "diff_p5": q[0], "diff_p50": q[1], "diff_p95": q[2],
                   "p_cheaper": float(np.mean(values[i][ok] < values[b][ok])) if diff.size
                   else np.nan}
            if results.totals is not None and base == results.scenario.baseline_strategy:
                # every trial, even when few are kept
                moments = results.totals.diffs[metric]
                row["diff_mean"], row["diff_mean_se"] = moments.mean[i], moments.se()[i]
                row["p_cheaper"] = (results.totals.lower[metric][i]
                                    / max(results.totals.paired[metric][i], 1))
            rows.append(row)
    return pd.DataFrame(rows)


def indicators_table(results: Results) -> pd.DataFrame:
    """Yearly non-money indicators per strategy (:meth:`Results.indicators`, which
    documents the columns and keeps the table)."""
    dep = results.scenario.dependence_supplier
    demand = results.demand_units.astype(np.float64)
    # one array per strategy, made when needed (a (S, n, T) float64 ratio would take 1.7 GB
    # at a million trials); float32 arrays are sorted as float32, the same order at half the
    # cost; the demand is the same for every strategy: its statistics are computed once
    series = {
        "installed_gw": ("GW", lambda i: results.installed_gw[i]),
        "demand_units": ("compute units", lambda i: results.demand_units),
        "unmet_share": ("fraction", lambda i: results.unmet_units[i] / demand),
        f"{dep}_share": ("fraction", lambda i: results.dependence_share[i]),
    }
    rows = []
    for name, (unit, get) in series.items():
        stats = None
        for i, s in enumerate(results.strategies):
            if stats is None or name != "demand_units":
                stats = _yearly_stats(get(i))
            mean, q = stats
            for t, year in enumerate(results.years):
                rows.append({"strategy": s, "year": int(year), "indicator": name,
                             "unit": unit, "mean": mean[t],
                             **{f"p{p}": q[k, t] for k, p in enumerate(PERCENTILES)}})
    return pd.DataFrame(rows)


def _yearly_stats(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and :data:`PERCENTILES` by year of one strategy's (n, T) array, in float64, over
    the trials where it is defined (not NaN): ``mean`` (T,), ``q`` (P, T)."""
    a = np.asarray(arr, dtype=np.float64)
    has = ~np.isnan(a)
    if has.all():
        return a.mean(axis=0), percentile(arr, PERCENTILES, axis=0, dtype=np.float64)
    # shares are undefined in years without purchases (NaN when never)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(a, axis=0)
    # year by year over the trials with purchases, as nanpercentile does
    q = np.full((len(PERCENTILES), a.shape[1]), np.nan)
    for t in range(a.shape[1]):
        column = arr[has[:, t], t]
        if column.size:
            q[:, t] = percentile(column, PERCENTILES, dtype=np.float64)
    return mean, q


def yearly_table(results: Results) -> pd.DataFrame:
    """Spend per strategy, year and category, plus a ``total`` category
    (:meth:`Results.yearly`, which documents the columns and keeps the table)."""
    cat_q, cat_se = percentiles_with_se(results.annual, PERCENTILES, axis=1,
                                        quantile=results.category_spend.quantiles)  # (P, S, C, T)
    cat_q, cat_se = cat_q.transpose(0, 1, 3, 2), cat_se.transpose(0, 1, 3, 2)
    cat_mean = results.category_spend.mean().transpose(0, 2, 1)  # (S, T, C)
    per_strategy = [percentiles_with_se(a, PERCENTILES, axis=0) for a in results.annual]
    tot_q = np.stack([q for q, _ in per_strategy], axis=1)   # (P, S, T)
    tot_se = np.stack([se for _, se in per_strategy], axis=1)
    tot_mean = results.annual.mean(axis=1, dtype=np.float64)    # (S, T)
    values = np.concatenate([cat_q, tot_q[..., None]], axis=-1)   # (P, S, T, C+1)
    errors = np.concatenate([cat_se, tot_se[..., None]], axis=-1)
    means = np.concatenate([cat_mean, tot_mean[..., None]], axis=-1)
    cats = [*results.categories, "total"]
    s_idx, t_idx, c_idx = np.meshgrid(np.arange(len(results.strategies)),
                                      np.arange(len(results.years)), np.arange(len(cats)),
                                      indexing="ij")
    data = {"strategy": np.array(results.strategies)[s_idx.ravel()],
            "year": results.years[t_idx.ravel()], "category": np.array(cats)[c_idx.ravel()],
            "mean": means.ravel()}
    data.update({f"p{p}": values[k].ravel() for k, p in enumerate(PERCENTILES)})
    data.update({f"p{p}_se": errors[k].ravel() for k, p in enumerate(PERCENTILES)})
    return pd.DataFrame(data)


def paths_table(results: Results) -> pd.DataFrame:
    """Percentiles by year of the cumulative quantities the figures draw
    (:meth:`Results.paths`, which documents the columns and keeps the table)."""
    series = [("cumulative_spend", s, np.cumsum(results.annual[i], axis=1, dtype=np.float64))
              for i, s in enumerate(results.strategies)]
    if results.scenario.revenue is not None:
        # read in the same pass as the funding gap (the cash need is not kept)
        series += [("cash_need", s, q) for s, q in zip(results.strategies,
                                                       results.cash_summaries()[1],
                                                       strict=True)]
        series.append(("funding", "", results.funding))
    rows = []
    for quantity, strategy, values in series:
        # (P, T); float32 sorted as float32
        q = values if quantity == "cash_need" else percentile(values, PERCENTILES, axis=0)
        rows.append(pd.DataFrame({"strategy": strategy, "quantity": quantity,
                                  "year": results.years,
                                  **{f"p{p}": q[k] for k, p in enumerate(PERCENTILES)}}))
    return pd.concat(rows, ignore_index=True)


def cash_need_by_year(results: Results, strategy: int, trials: slice = slice(None), *,
                      out: np.ndarray | None = None) -> np.ndarray:
    """Cumulative cash need of one strategy, year-major: infrastructure cash spend plus debt
    interest minus operating cash flow, summed from the start year (the one home of this
    equation: :meth:`Results.cash_need` and :func:`cash_pass` read it).

    Parameters
    ----------
    results : Results
    strategy : int
        Index of the strategy.
    trials : slice
        Kept trials to read (default all).
    out : ndarray, shape (T, m), float64, optional
        Where to write it.

    Returns
    -------
    ndarray, shape (T, m), float64 [USD, nominal]
        ``m`` trials; rows are years, so the running sum adds whole rows.
    """
    annual = results.annual[strategy, trials]
    if out is None:
        out = np.empty(annual.shape[::-1])
    # in float64 from the float32 spend and net interest
    np.add(annual.T, (results.interest[trials] - results.operating_cash_flow[trials]).T,
           dtype=np.float64, out=out)
    for t in range(1, len(out)):
        out[t] += out[t - 1]
    return out


def cash_pass(results: Results, ends: list[int], *, summaries: bool = True
              ) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]], np.ndarray | None,
                         list[np.ndarray]]:
    """What the funding view reads from the cumulative cash need, in one pass over it per
    strategy (at 44 MB per strategy for 500,000 kept trials and 11 years, it is not kept).

    Parameters
    ----------
    results : Results
    ends : list of int
        Years counted from the start (1 = the first year only) through which a funding gap
        is wanted.
    summaries : bool
        Also the peak and the percentiles (else ``peak`` is None and ``need_q`` empty): the
        claims need only the gaps, the tables (perhaps in another process) the rest.

    Returns
    -------
    gaps : dict of int to (ndarray, ndarray)
        Per end, the funding gap (S, n) [USD] and the year it opens (S, n), as
        :meth:`Results.funding_gap` returns them.
    peak : ndarray, shape (S, n)
        Peak cumulative cash need, at least 0 [USD].
    need_q : list of ndarray, each (P, T)
        With ``revenue``, the cash need's :data:`PERCENTILES` by year per strategy [USD];
        else empty.
    """
    n_s, n, n_t = results.annual.shape
    gaps = {t: (np.empty((n_s, n)), np.empty((n_s, n))) for t in ends}
    peak = np.empty((n_s, n)) if summaries else None
    wants_q = summaries and results.scenario.revenue is not None
    need_q = []
    for i in range(n_s):
        # year-major (T, n) blocks of trials that stay in cache: the cumulative sum, the gaps
        # (running maxima) and the peak read whole rows, not the short, strided year axis of
        # the trial-major arrays; the same numbers as funding_gap
        need_all = np.empty((n_t, n)) if wants_q else None
        for lo in range(0, n, CASH_BLOCK):
            hi = min(lo + CASH_BLOCK, n)
            need = cash_need_by_year(results, i, slice(lo, hi),
                                     out=need_all[:, lo:hi] if wants_q else None)
            for t, (gap, year) in funding_gaps(need, results.funding[lo:hi].T,
                                               int(results.years[0]), ends).items():
                gaps[t][0][i, lo:hi], gaps[t][1][i, lo:hi] = gap, year
            if summaries:
                np.maximum(np.maximum.reduce(need, axis=0), 0.0, out=peak[i, lo:hi])
        if wants_q:
            need_q.append(percentile(need_all, PERCENTILES, axis=1))
    return gaps, peak, need_q


def trial_frame(results: Results) -> pd.DataFrame:
    """Tidy per-trial data, one row per strategy, trial and year
    (:meth:`Results.to_frame`, which documents the columns)."""
    n_s, n, n_t = results.annual.shape
    out = pd.DataFrame({
        "strategy": np.repeat(np.array(results.strategies), n * n_t),
        "trial": np.tile(np.repeat(np.arange(n), n_t), n_s),
        "year": np.tile(results.years, n_s * n),
        "spend": results.annual.ravel(),
        "installed_gw": results.installed_gw.ravel(),
        "demand_units": np.tile(results.demand_units.ravel(), n_s),
        "unmet_units": results.unmet_units.ravel(),
        f"{results.scenario.dependence_supplier}_share": results.dependence_share.ravel(),
    })
    if results.spend is not None:
        for j, c in enumerate(results.categories):
            out[c] = results.spend[..., j].ravel()
    return out


def funding_table(results: Results) -> pd.DataFrame:
    """Per strategy: what must be raised and how likely committed money suffices
    (:meth:`Results.funding_table`, which documents the columns and keeps the table)."""
    peak = results.cash_summaries()[0]
    gap, opens = results.funding_gap()
    series = {
        "cash_spend": ("USD", results.cumulative()),
        "economic_cost": ("USD", results.economic_cost),
        "committed_lease_payments": ("USD", results.committed_lease),
        "cash_need_peak": ("USD", peak),
        "funding_gap": ("USD", gap),
        "gap_year": ("year", opens),
        "p_funded": ("probability", (gap <= 0).astype(float)),
    }
    rows = []
    for metric, (unit, values) in series.items():
        for i, s in enumerate(results.strategies):
            v = values[i]
            if metric == "gap_year":
                q = percentile(v, [5, 50, 95], method="inverted_cdf")
                mean = np.nan
            else:
                q, mean = percentile(v, [5, 50, 95]), v.mean()
            rows.append({"strategy": s, "metric": metric, "unit": unit, "mean": mean,
                         "p5": q[0], "p50": q[1], "p95": q[2]})
    return pd.DataFrame(rows)
