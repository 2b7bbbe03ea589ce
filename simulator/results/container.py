"""Results of a simulation: frozen raw per-trial arrays, provenance, and summaries on demand.

Axis order and units are fixed (see :class:`Results`); summaries are computed from the raw
arrays when first asked for and kept with the Results (the tables, the terminal summary, the
report and the figures read the same ones), never passed in.
"""

from __future__ import annotations

import functools
import platform
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulator.model.finance import funding_gap
from simulator.results.fields import TRIAL_FIELDS
from simulator.results.totals import RunTotals
from simulator.spec.scenario import Scenario
from simulator.stats.mc_error import percentile, percentiles_with_se
from simulator.stats.streaming import LogHistogram

#: Percentiles reported in tables [%].
PERCENTILES = (5, 25, 50, 75, 95)


@functools.cache
def _versions() -> tuple[tuple[str, str | None], ...]:
    """Installed versions of the packages a run depends on, looked up once per process:
    reading the packages' metadata takes about 40 ms, which every run paid (5% of a
    20,000-trial run, which the explorer repeats on every change)."""
    out = []
    for pkg in ("simulator", "numpy", "scipy", "pandas", "pydantic", "matplotlib", "pyyaml"):
        try:
            out.append((pkg, metadata.version("ai-infra-simulator" if pkg == "simulator"
                                              else pkg)))
        except metadata.PackageNotFoundError:
            out.append((pkg, None))
    return tuple(out)


def _once(method: Callable) -> Callable:
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


def _once_arrays(method: Callable) -> Callable:
    """Like ``_once`` for methods returning an array or a tuple of arrays (the claims, the
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


def provenance(scenario: Scenario, *, seed: int | None, trials: int, chunk_size: int, design: str,
               wall_seconds: float) -> dict[str, Any]:
    """What is needed to reproduce a run: scenario identity, seed, sizes and package versions."""
    return {
        "scenario": scenario.name,
        "scenario_file": scenario.source_file,
        "scenario_file_sha256": scenario.source_sha256,
        "scenario_content_sha256": scenario.content_hash(),
        "seed": seed,
        "trials": trials,
        "chunk_size": chunk_size,
        "design": design,
        "python": platform.python_version(),
        "versions": dict(_versions()),
        "wall_seconds": round(wall_seconds, 4),
    }


@dataclass(frozen=True, eq=False)
class Results:
    """Outputs of :func:`simulator.simulate`: per-trial arrays, category histograms, provenance.

    Attributes
    ----------
    scenario : Scenario
        The scenario simulated.
    strategies : tuple of str, length S
    years : ndarray, shape (T,)
        Calendar years.
    categories : tuple of str, length C
        Spend categories (``accelerators_<supplier>``, ``servers_networking``, ``datacentre``,
        ``energy``, ``operations`` and, with an in-house supplier, ``inhouse_program``).
    category_spend : LogHistogram
        Spend by strategy, category and year over all trials, cells (S, C, T) [USD, nominal]:
        exact means, percentiles within ``streaming.RELATIVE_ERROR``.
    totals : RunTotals
        Exact statistics over every trial (means, paired differences, claim counts), also
        when per-trial arrays are kept for only the first ``provenance["kept_trials"]``.
    annual : ndarray, shape (S, n, T), float32
        Total spend per year [USD, nominal].
    npv : ndarray, shape (S, n), float64
        Present value of all spend at the start year [USD].
    installed_gw : ndarray, shape (S, n, T), float32
        IT power of the fleet in service [GW].
    demand_units : ndarray, shape (n, T), float32
        Required installed compute [compute units].
    unmet_units : ndarray, shape (S, n, T), float32
        Demand not covered by the fleet in service after the year's purchases [compute units].
    dependence_share : ndarray, shape (S, n, T), float32
        Share of the year's accelerator spend going to the dependence supplier (e.g. Nvidia)
        [-]; NaN in years without purchases.
    dependence_share_total : ndarray, shape (S, n), float64
        The same over the whole horizon [-].
    inhouse_net_saving : ndarray, shape (S, n), float64
        In-house program's net saving over the horizon [USD]: merchant spend avoided (in-house
        units at the fallback's price) minus in-house chip spend minus program cost. NaN for
        strategies that do not use an in-house supplier.
    inhouse_breakeven_year : ndarray, shape (S, n), float64
        First year from which the cumulative net saving stays non-negative; ``inf`` if not by
        the horizon's end; NaN without an in-house supplier.
    economic_cost : ndarray, shape (S, n), float64
        Cost over the horizon with owned hardware depreciated over its life and buildings over
        theirs, plus energy, operations, lease payments and the in-house program [USD].
    committed_lease : ndarray, shape (S, n), float64
        Lease payments still owed after the horizon on contracts signed within it [USD].
    operating_cash_flow : ndarray, shape (n, T), float32
        Revenue minus non-infrastructure operating costs [USD/yr]; zeros without ``revenue``.
    funding : ndarray, shape (n, T), float32
        Cumulative funding received by each year from raises that materialise [USD].
    interest : ndarray, shape (n, T), float32
        Interest paid on debt raises [USD/yr].
    work_in_progress : ndarray, shape (S, n), float64
        Cash paid within the horizon for capacity that starts serving after it (lead times)
        [USD]; included in the annual spend.
    inhouse_saving_chips, inhouse_saving_servers, inhouse_saving_facilities,
    inhouse_saving_program : ndarray, shape (S, n), float64
        The in-house net saving by category [USD]: the same units bought from the fallback
        minus the strategy, for accelerators, servers and networking, facilities (buildings,
        energy, operations, leases), and minus the program's cost; they sum to
        ``inhouse_net_saving``. NaN without an in-house supplier.
    dependence_units_planned, dependence_units_cap, dependence_units_delay,
    dependence_units_failure : ndarray, shape (S, n), float32
        Units ordered from the dependence supplier over the horizon [compute units]: by the
        strategy's own shares, or as the fallback for what another supplier could not deliver
        because of its capacity or a shock, a slipped start, or a failed or cancelled
        generation (:meth:`dependence_reasons`).
    inputs : dict of str to ndarray, each shape (n,), float32
        The sampled value of every uncertain input, by key path [input's unit].
    provenance : dict
        Scenario hashes, seed, trials, chunk size, versions and wall time.
    spend : ndarray, shape (S, n, T, C), float32 (as computed), or None
        Spend per trial, year and category [USD, nominal]; only with ``keep_spend=True``.
    """

    scenario: Scenario
    strategies: tuple[str, ...]
    years: np.ndarray
    categories: tuple[str, ...]
    category_spend: LogHistogram | None = field(repr=False)
    totals: RunTotals | None = field(repr=False)
    annual: np.ndarray = field(repr=False)
    npv: np.ndarray = field(repr=False)
    installed_gw: np.ndarray = field(repr=False)
    demand_units: np.ndarray = field(repr=False)
    unmet_units: np.ndarray = field(repr=False)
    dependence_share: np.ndarray = field(repr=False)
    dependence_share_total: np.ndarray = field(repr=False)
    inhouse_net_saving: np.ndarray = field(repr=False)
    inhouse_breakeven_year: np.ndarray = field(repr=False)
    economic_cost: np.ndarray = field(repr=False)
    committed_lease: np.ndarray = field(repr=False)
    operating_cash_flow: np.ndarray = field(repr=False)
    funding: np.ndarray = field(repr=False)
    interest: np.ndarray = field(repr=False)
    work_in_progress: np.ndarray = field(repr=False)
    inhouse_saving_chips: np.ndarray = field(repr=False)
    inhouse_saving_servers: np.ndarray = field(repr=False)
    inhouse_saving_facilities: np.ndarray = field(repr=False)
    inhouse_saving_program: np.ndarray = field(repr=False)
    dependence_units_planned: np.ndarray = field(repr=False)
    dependence_units_cap: np.ndarray = field(repr=False)
    dependence_units_delay: np.ndarray = field(repr=False)
    dependence_units_failure: np.ndarray = field(repr=False)
    inputs: dict[str, np.ndarray] = field(repr=False)
    provenance: dict[str, Any] = field(repr=False)
    spend: np.ndarray | None = field(default=None, repr=False)
    #: Summary tables already computed (see ``_once``); a fresh one for every new Results.
    _summaries: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    #: Per-trial array fields and the position of their trial axis (``spend`` and ``inputs``
    #: aside: optional, and a mapping).
    TRIAL_AXIS: ClassVar[dict[str, int]] = {name: axes.index("n") for name, (_, axes)
                                            in TRIAL_FIELDS.items()}

    def __post_init__(self) -> None:
        arrays = [getattr(self, name) for name in self.TRIAL_AXIS] + [*self.inputs.values()]
        if self.category_spend is not None:
            arrays += [self.category_spend.counts, self.category_spend.sums]
        for arr in [*arrays, *([] if self.spend is None else [self.spend])]:
            arr.flags.writeable = False

    def __repr__(self) -> str:
        kept = "" if self.n_trials == self.trials_total else f" ({self.n_trials:,} kept)"
        return (f"Results(scenario={self.scenario.name!r}, strategies={list(self.strategies)}, "
                f"trials={self.trials_total:,}{kept}, years={self.years[0]}-{self.years[-1]})")

    @property
    def n_trials(self) -> int:
        """Trials with per-trial arrays (all, unless the run kept only the first ones)."""
        return self.npv.shape[1]

    @property
    def trials_total(self) -> int:
        """All trials of the run."""
        return self.totals.n if self.totals is not None else self.n_trials

    def head(self, n: int) -> Results:
        """The first ``n`` kept trials, sharing memory with these Results.

        Trials are independent draws, so the first ``n`` are a uniform random subsample;
        run totals and category histograms stay those of the whole run.

        Parameters
        ----------
        n : int
            Trials to keep (all of them when there are fewer).

        Returns
        -------
        Results
        """
        if n >= self.n_trials:
            return self
        first = slice(0, n)
        arrays = {name: getattr(self, name)[(slice(None),) * axis + (first,)]
                  for name, axis in self.TRIAL_AXIS.items()}
        return replace(self, **arrays, inputs={path: v[first] for path, v in self.inputs.items()},
                       spend=None if self.spend is None else self.spend[:, first])

    def _year_index(self, year: int | None) -> int:
        if year is None:
            return len(self.years) - 1
        if not self.years[0] <= year <= self.years[-1]:
            raise ValueError(f"year {year} is outside the horizon {self.years[0]}-{self.years[-1]}")
        return int(year - self.years[0])

    @_once_arrays
    def cumulative(self, through: int | None = None) -> np.ndarray:
        """Cumulative spend from the start year through ``through`` (default: the last year).

        Returns
        -------
        ndarray, shape (S, n), float64 [USD, nominal]
        """
        return self.annual[:, :, : self._year_index(through) + 1].sum(axis=2, dtype=np.float64)

    def metrics(self) -> dict[str, tuple[str, np.ndarray]]:
        """Headline per-trial metrics: name -> (unit, array of shape (S, n)).

        ``cumulative_spend`` and ``npv`` cover the whole horizon; ``spend_<year>`` and
        ``installed_gw`` are for its last year; ``<supplier>_share`` is the dependence
        supplier's share of accelerator spend over the horizon; ``unmet_demand`` the share of
        required compute-years not in service; ``inhouse_*`` only for strategies with an
        in-house supplier (NaN otherwise).
        """
        end = int(self.years[-1])
        dep = self.scenario.dependence_supplier
        unmet = (self.unmet_units.sum(axis=2, dtype=np.float64)
                 / self.demand_units.sum(axis=1, dtype=np.float64)[None, :])
        out = {
            "cumulative_spend": ("USD", self.cumulative()),
            "npv": ("USD", self.npv),
            f"spend_{end}": ("USD", self.annual[:, :, -1]),
            "installed_gw": ("GW", self.installed_gw[:, :, -1].astype(np.float64)),
            f"{dep}_share": ("fraction", self.dependence_share_total),
            "unmet_demand": ("fraction", unmet),
            "work_in_progress": ("USD", self.work_in_progress),
        }
        if not np.isnan(self.inhouse_net_saving).all():
            out["inhouse_net_saving"] = ("USD", self.inhouse_net_saving)
            out["inhouse_breakeven_year"] = ("year", self.inhouse_breakeven_year)
            breaks_even = np.where(np.isnan(self.inhouse_breakeven_year), np.nan,
                                   np.isfinite(self.inhouse_breakeven_year))
            out["inhouse_breaks_even"] = ("probability", breaks_even)
        return out

    @_once
    def summary(self) -> pd.DataFrame:
        """Distribution of each headline metric (:meth:`metrics`) per strategy.

        Returns
        -------
        DataFrame
            Columns ``strategy, metric, unit, mean, mean_se, p5, p25, p50, p75, p95`` and
            ``p5_se ... p95_se``: Monte Carlo standard errors of the mean (sd / sqrt(n)) and of
            each percentile (order-statistic method, :mod:`simulator.stats.mc_error`). Means cover
            every trial; percentiles the kept trials (all, unless ``keep_trials`` was reached).
            Rows that do not apply to a strategy (in-house metrics without an in-house
            supplier) are left out. For
            ``inhouse_breakeven_year`` the percentiles are observed years, ``inf`` meaning not
            by the horizon's end, and the mean is left empty; ``inhouse_breaks_even`` gives the
            probability of breaking even by then.
        """
        rows = []
        for metric, (unit, values) in self.metrics().items():
            for i, s in enumerate(self.strategies):
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
                    if self.totals is not None:  # every trial, even when few are kept
                        mean = self.totals.metrics[metric].mean[i]
                        se = self.totals.metrics[metric].se()[i]
                    else:
                        mean = v.mean()
                        se = v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else np.nan
                rows.append({"strategy": s, "metric": metric, "unit": unit, "mean": mean,
                             "mean_se": se,
                             **{f"p{p}": q[k] for k, p in enumerate(PERCENTILES)},
                             **{f"p{p}_se": q_se[k] for k, p in enumerate(PERCENTILES)}})
        return pd.DataFrame(rows)

    @_once
    def comparison(self, baseline: str | None = None) -> pd.DataFrame:
        """Paired differences of each strategy against the baseline, on the same trials.

        Parameters
        ----------
        baseline : str, optional
            Default: the scenario's baseline strategy.

        Returns
        -------
        DataFrame
            Columns ``strategy, baseline, metric, unit, diff_mean, diff_mean_se, diff_p5,
            diff_p50, diff_p95, p_cheaper``: the difference is strategy minus baseline, per
            trial; ``p_cheaper`` is the share of trials where the strategy's value is lower
            (cheaper, for money; less dependent or less unmet, for shares).
        """
        base = baseline or self.scenario.baseline_strategy
        b = self.strategies.index(base)
        rows = []
        metrics = {k: v for k, v in self.metrics().items() if not k.startswith("inhouse_")}
        for i, s in enumerate(self.strategies):
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
                if self.totals is not None and base == self.scenario.baseline_strategy:
                    # every trial, even when few are kept
                    moments = self.totals.diffs[metric]
                    row["diff_mean"], row["diff_mean_se"] = moments.mean[i], moments.se()[i]
                    row["p_cheaper"] = (self.totals.lower[metric][i]
                                        / max(self.totals.paired[metric][i], 1))
                rows.append(row)
        return pd.DataFrame(rows)

    @_once
    def indicators(self) -> pd.DataFrame:
        """Yearly non-money indicators per strategy.

        Returns
        -------
        DataFrame
            Columns ``strategy, year, indicator, unit, mean, p5, p25, p50, p75, p95`` for
            ``installed_gw`` [GW], ``demand_units`` [compute units], ``unmet_share`` (unmet
            demand over demand) and ``<supplier>_share`` (dependence supplier's share of that
            year's accelerator spend; statistics over trials with purchases that year).
        """
        dep = self.scenario.dependence_supplier
        demand = self.demand_units.astype(np.float64)
        series = {
            "installed_gw": ("GW", self.installed_gw),
            "demand_units": ("compute units", np.broadcast_to(demand, self.installed_gw.shape)),
            "unmet_share": ("fraction", self.unmet_units / demand[None]),
            f"{dep}_share": ("fraction", self.dependence_share),
        }
        rows = []
        for name, (unit, arr) in series.items():
            for i, s in enumerate(self.strategies):
                a = np.asarray(arr[i], dtype=np.float64)
                has = ~np.isnan(a)
                if has.all():
                    q, mean = percentile(a, PERCENTILES, axis=0), a.mean(axis=0)
                else:  # shares are undefined in years without purchases (NaN when never)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)
                        mean = np.nanmean(a, axis=0)
                    # year by year over the trials with purchases, as nanpercentile does
                    q = np.full((len(PERCENTILES), a.shape[1]), np.nan)
                    for t in range(a.shape[1]):
                        column = a[has[:, t], t]
                        if column.size:
                            q[:, t] = percentile(column, PERCENTILES)
                for t, year in enumerate(self.years):
                    rows.append({"strategy": s, "year": int(year), "indicator": name,
                                 "unit": unit, "mean": mean[t],
                                 **{f"p{p}": q[k, t] for k, p in enumerate(PERCENTILES)}})
        return pd.DataFrame(rows)

    @_once
    def yearly(self) -> pd.DataFrame:
        """Spend per strategy, year and category, plus a ``total`` category.

        Returns
        -------
        DataFrame
            Columns ``strategy, year, category, mean, p5, p25, p50, p75, p95`` [USD, nominal] and
            ``p5_se ... p95_se``, the percentiles' Monte Carlo standard errors. Means are exact;
            category percentiles come from the streaming histograms (within
            ``streaming.RELATIVE_ERROR``, 0.11%, of the sample percentile); ``total``
            percentiles are exact.
        """
        cat_q, cat_se = percentiles_with_se(self.annual, PERCENTILES, axis=1,
                                            quantile=self.category_spend.quantiles)  # (P, S, C, T)
        cat_q, cat_se = cat_q.transpose(0, 1, 3, 2), cat_se.transpose(0, 1, 3, 2)
        cat_mean = self.category_spend.mean().transpose(0, 2, 1)  # (S, T, C)
        per_strategy = [percentiles_with_se(a, PERCENTILES, axis=0) for a in self.annual]
        tot_q = np.stack([q for q, _ in per_strategy], axis=1)   # (P, S, T)
        tot_se = np.stack([se for _, se in per_strategy], axis=1)
        tot_mean = self.annual.mean(axis=1, dtype=np.float64)    # (S, T)
        values = np.concatenate([cat_q, tot_q[..., None]], axis=-1)   # (P, S, T, C+1)
        errors = np.concatenate([cat_se, tot_se[..., None]], axis=-1)
        means = np.concatenate([cat_mean, tot_mean[..., None]], axis=-1)
        cats = [*self.categories, "total"]
        s_idx, t_idx, c_idx = np.meshgrid(np.arange(len(self.strategies)),
                                          np.arange(len(self.years)), np.arange(len(cats)),
                                          indexing="ij")
        data = {"strategy": np.array(self.strategies)[s_idx.ravel()],
                "year": self.years[t_idx.ravel()], "category": np.array(cats)[c_idx.ravel()],
                "mean": means.ravel()}
        data.update({f"p{p}": values[k].ravel() for k, p in enumerate(PERCENTILES)})
        data.update({f"p{p}_se": errors[k].ravel() for k, p in enumerate(PERCENTILES)})
        return pd.DataFrame(data)

    @_once
    def paths(self) -> pd.DataFrame:
        """Percentiles by year of the cumulative quantities the figures draw.

        Returns
        -------
        DataFrame
            Columns ``strategy, quantity, year, p5, p25, p50, p75, p95`` [USD, nominal], over
            the kept trials: ``cumulative_spend`` per strategy and, with ``revenue``,
            ``cash_need`` (:meth:`cash_need`) per strategy and ``funding`` (cumulative committed
            funding, the same for every strategy: strategy ``""``).
        """
        series = [("cumulative_spend", s, np.cumsum(self.annual[i], axis=1, dtype=np.float64))
                  for i, s in enumerate(self.strategies)]
        if self.scenario.revenue is not None:
            series += [("cash_need", s, self.cash_need(i)) for i, s in enumerate(self.strategies)]
            series.append(("funding", "", self.funding))
        rows = []
        for quantity, strategy, values in series:
            q = percentile(values, PERCENTILES, axis=0)  # (P, T)
            rows.append(pd.DataFrame({"strategy": strategy, "quantity": quantity,
                                      "year": self.years,
                                      **{f"p{p}": q[k] for k, p in enumerate(PERCENTILES)}}))
        return pd.concat(rows, ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-trial data: one row per strategy, trial and year.

        Returns
        -------
        DataFrame
            Columns ``strategy, trial, year, spend [USD], installed_gw [GW],
            demand_units [compute units], unmet_units [compute units], <supplier>_share [-]``,
            plus one column per spend category [USD] when the run kept them
            (``keep_spend=True``).
        """
        n_s, n, n_t = self.annual.shape
        out = pd.DataFrame({
            "strategy": np.repeat(np.array(self.strategies), n * n_t),
            "trial": np.tile(np.repeat(np.arange(n), n_t), n_s),
            "year": np.tile(self.years, n_s * n),
            "spend": self.annual.ravel(),
            "installed_gw": self.installed_gw.ravel(),
            "demand_units": np.tile(self.demand_units.ravel(), n_s),
            "unmet_units": self.unmet_units.ravel(),
            f"{self.scenario.dependence_supplier}_share": self.dependence_share.ravel(),
        })
        if self.spend is not None:
            for j, c in enumerate(self.categories):
                out[c] = self.spend[..., j].ravel()
        return out

    # -- conveniences for notebooks: each delegates to the module that owns the work ----------

    # -- funding view -----------------------------------------------------------------------------

    def cash_need(self, strategy: int | None = None) -> np.ndarray:
        """Cumulative cash need by year: infrastructure cash spend plus debt interest minus
        operating cash flow, summed from the start year.

        Parameters
        ----------
        strategy : int, optional
            Index of one strategy (saves memory on large runs); default all.

        Returns
        -------
        ndarray, shape (S, n, T), or (n, T) for one strategy, float64 [USD, nominal]
        """
        annual = self.annual if strategy is None else self.annual[strategy]
        yearly = annual.astype(np.float64) + (self.interest - self.operating_cash_flow)
        return np.cumsum(yearly, axis=-1)

    @_once_arrays
    def funding_gap(self, through: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The most that must be raised beyond committed funding, through a year.

        Parameters
        ----------
        through : int, optional
            Last year considered (default: the horizon's end).

        Returns
        -------
        gap : ndarray, shape (S, n) [USD]
            ``max(0, max_t (cumulative cash need - cumulative committed funding))``.
        year : ndarray, shape (S, n)
            First year with a positive gap; ``inf`` if none.
        """
        t = self._year_index(through) + 1
        # one strategy at a time: the (strategy, trial, year) cash need of a million-trial run
        # would take half a gigabyte at once
        parts = [funding_gap(self.cash_need(i)[:, :t], self.funding[:, :t], self.years[:t])
                 for i in range(len(self.strategies))]
        return np.stack([p[0] for p in parts]), np.stack([p[1] for p in parts])

    @_once
    def funding_table(self) -> pd.DataFrame:
        """Per strategy: what must be raised and how likely committed money suffices.

        Returns
        -------
        DataFrame
            Columns ``strategy, metric, unit, mean, p5, p50, p95`` for ``cash_spend`` (cumulative
            cash spend), ``economic_cost``, ``committed_lease_payments`` (owed after the
            horizon), ``cash_need_peak`` (the peak of cumulative cash need), ``funding_gap`` and
            ``gap_year`` (percentiles of the year the gap opens, ``inf`` = never; no mean), and
            ``p_funded`` (probability that committed funding covers every year: mean).
        """
        peak = np.stack([np.maximum(self.cash_need(i).max(axis=1), 0.0)
                         for i in range(len(self.strategies))])
        gap, opens = self.funding_gap()
        series = {
            "cash_spend": ("USD", self.cumulative()),
            "economic_cost": ("USD", self.economic_cost),
            "committed_lease_payments": ("USD", self.committed_lease),
            "cash_need_peak": ("USD", peak),
            "funding_gap": ("USD", gap),
            "gap_year": ("year", opens),
            "p_funded": ("probability", (gap <= 0).astype(float)),
        }
        rows = []
        for metric, (unit, values) in series.items():
            for i, s in enumerate(self.strategies):
                v = values[i]
                if metric == "gap_year":
                    q = percentile(v, [5, 50, 95], method="inverted_cdf")
                    mean = np.nan
                else:
                    q, mean = percentile(v, [5, 50, 95]), v.mean()
                rows.append({"strategy": s, "metric": metric, "unit": unit, "mean": mean,
                             "p5": q[0], "p50": q[1], "p95": q[2]})
        return pd.DataFrame(rows)
