"""Results of a simulation: frozen raw per-trial arrays, provenance, and summaries on demand.

Axis order and units are fixed (see :class:`Results`); summaries are computed from the raw
arrays when first asked for (:mod:`simulator.results.tables`) and kept with the Results (the
tables, the terminal summary, the report and the figures read the same ones), never passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from simulator.results import tables
from simulator.results.fields import TRIAL_FIELDS
from simulator.results.summary_cache import PER_TRIAL, once, once_arrays, read_only
from simulator.results.totals import RunTotals
from simulator.spec.scenario import Scenario
from simulator.stats.correlation import average_ranks
from simulator.stats.streaming import LogHistogram


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
    #: Summary tables already computed (see ``once``); a fresh one for every new Results.
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
        out = replace(self, **arrays, inputs={path: v[first] for path, v in self.inputs.items()},
                      spend=None if self.spend is None else self.spend[:, first])
        # per-trial values already computed are the same for the first trials: shared
        for key, value in self._summaries.items():
            if key[0] in PER_TRIAL:
                out._summaries[key] = (tuple(v[:, first] for v in value)
                                       if isinstance(value, tuple) else value[:, first])
        return out

    def _year_index(self, year: int | None) -> int:
        if year is None:
            return len(self.years) - 1
        if not self.years[0] <= year <= self.years[-1]:
            raise ValueError(f"year {year} is outside the horizon {self.years[0]}-{self.years[-1]}")
        return int(year - self.years[0])

    @once_arrays
    def cumulative(self, through: int | None = None) -> np.ndarray:
        """Cumulative spend from the start year through ``through`` (default: the last year).

        Returns
        -------
        ndarray, shape (S, n), float64 [USD, nominal]
        """
        return self.annual[:, :, : self._year_index(through) + 1].sum(axis=2, dtype=np.float64)

    @once_arrays
    def centred_input_ranks(self) -> tuple[np.ndarray, np.ndarray]:
        """The sampled inputs' average ranks minus their mean, (d, n), inputs in schema order,
        and each row's norm, (d,): computed once (the analysis and the verdict correlate the
        same inputs with two metrics), read-only."""
        ranks = np.stack([average_ranks(v) for v in self.inputs.values()])
        ranks -= ranks.mean(axis=1, keepdims=True)
        return ranks, np.sqrt((ranks**2).sum(axis=1))

    @once_arrays
    def _unmet_share_total(self) -> np.ndarray:
        return (self.unmet_units.sum(axis=2, dtype=np.float64)
                / self.demand_units.sum(axis=1, dtype=np.float64)[None, :])

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
        unmet = self._unmet_share_total()
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

    @once
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
        return tables.summary_table(self)

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
        # one table for the baseline, however it is named
        return self._comparison(baseline or self.scenario.baseline_strategy)

    @once
    def _comparison(self, baseline: str) -> pd.DataFrame:
        return tables.comparison_table(self, baseline)

    def computed_tables(self) -> dict:
        """The summary tables computed so far, for :meth:`adopt_tables` of the same Results
        in another process (e.g. a forked one that computed them while this one analysed)."""
        return {k: v for k, v in self._summaries.items() if isinstance(v, pd.DataFrame)}

    def adopt_tables(self, computed: dict) -> None:
        """Take summary tables from :meth:`computed_tables` of the same Results in another
        process, instead of computing them again (those already computed here are kept)."""
        for key, table in computed.items():
            self._summaries.setdefault(key, table)

    @once
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
        return tables.indicators_table(self)

    @once
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
        return tables.yearly_table(self)

    @once
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
        return tables.paths_table(self)

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
        return tables.trial_frame(self)

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
        if strategy is not None:
            return tables.cash_need_by_year(self, strategy).T
        return np.stack([tables.cash_need_by_year(self, i).T
                         for i in range(len(self.strategies))])

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
        key = ("funding_gap", self._year_index(through) + 1)
        if key not in self._summaries:
            self._cash_pass([key[1]], summaries=False)
        return self._summaries[key]

    def _cash_pass(self, ends: list[int], *, summaries: bool) -> None:
        """What is read from the cumulative cash need, in one pass (:func:`tables.cash_pass`),
        into the summaries: the funding gaps not yet computed through ``ends``, the horizon's
        end and each claim's year, and with ``summaries`` the need's peak and percentiles."""
        ends = {len(self.years), *ends} | {self._year_index(c.year) + 1
                                            for c in self.scenario.claims
                                            if c.base_metric == "funding_gap"}
        gaps, peak, need_q = tables.cash_pass(
            self, sorted(t for t in ends if ("funding_gap", t) not in self._summaries),
            summaries=summaries)
        for t, gap in gaps.items():
            self._summaries.setdefault(("funding_gap", t), read_only(gap))
        if summaries:
            self._summaries[("cash_peak",)] = read_only((peak,))[0]
            self._summaries[("cash_need_q",)] = need_q

    def cash_summaries(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """The peak cumulative cash need of each trial, (S, n) [USD, at least 0], and with
        ``revenue`` the cash need's percentiles by year per strategy (P, T) [USD]
        (``tables.PERCENTILES``; an empty list without revenue), read in the same pass as
        the funding gap."""
        if ("cash_need_q",) not in self._summaries:
            self._cash_pass([], summaries=True)
        return self._summaries[("cash_peak",)], self._summaries[("cash_need_q",)]

    @once
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
        return tables.funding_table(self)
