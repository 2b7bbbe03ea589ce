"""The state behind the interactive explorer: what the controls change, what the views show.

The explorer (:mod:`simulator.report.explorer_app`) is a thin interface over this module, which knows
nothing of widgets:

* :func:`input_controls` picks the inputs that move the answer most (the tornado's largest
  swings for the baseline strategy) and describes each: distribution, P5/P50/P95, unit, source,
  and the parameters a user may edit.
* :class:`Explorer` holds a scenario and the user's edits as key-path overrides
  (:func:`simulator.override`, validated exactly like a file), re-simulates with
  :func:`simulator.simulate` and reduces the results to the small arrays the views draw
  (:class:`Snapshot`). An invalid edit raises :class:`ScenarioError` and leaves the last good
  scenario and snapshot in place.
* :func:`save_scenario` writes the edits as an ``extends:`` file holding only the changes, each
  changed input's ``source:`` marked as an explorer edit, and checks that the file loads to the
  very scenario the explorer ran.
* :class:`LatestOnly` runs only the newest of a burst of requests and drops results that a
  newer request has made stale, so a control that keeps moving never queues work.

No model logic lives here: every number comes from :func:`simulator.simulate`, the
:class:`Results` methods and :func:`simulator.evaluate_claims`.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulator.analysis.claims import evaluate_claims
from simulator.analysis.overview import ANALYSIS_TRIALS, Analysis
from simulator.analysis.sensitivity import sensitivity_table, tornado
from simulator.errors import Issue, ScenarioError
from simulator.io.overrides import override
from simulator.report.assumptions import assumptions_table
from simulator.report.verdict import Verdict, build_verdict
from simulator.run.engine import simulate
from simulator.run.plan import KEEP_TRIALS
from simulator.spec.scenario import Scenario

#: How many of the inputs that move the answer most get a control.
TOP_INPUTS = 8
#: Parameters of each distribution family a control edits (others are kept as they are).
EDITABLE = {
    "fixed": ("value",), "normal": ("mean", "sd"), "lognormal": ("low", "high", "median", "sigma"),
    "uniform": ("low", "high"), "triangular": ("low", "mode", "high"),
    "pert": ("low", "mode", "high"), "beta": ("a", "b", "low", "high"),
    "discrete": ("values", "weights"),
}
#: First line of every file :func:`save_scenario` writes; files without it are never replaced.
SAVED_MARK = "# Written by the simulator's explorer"
#: Percentiles the fan chart shows [%].
FAN_PERCENTILES = (5, 25, 50, 75, 95)


@dataclass(frozen=True)
class InputControl:
    """One uncertain input a user can edit.

    Attributes
    ----------
    path : str
        Key path, e.g. ``demand.growth.initial``.
    unit : str
        The field's unit, from the schema (``""`` if none).
    swing : float
        Tornado swing of the baseline's cumulative spend, P10 to P90 [USD].
    """

    path: str
    unit: str
    swing: float


def input_controls(scenario: Scenario, *, top: int = TOP_INPUTS) -> list[InputControl]:
    """The inputs that move the baseline's cumulative spend most, largest tornado swing first.

    Parameters
    ----------
    scenario : Scenario
    top : int
        How many inputs.

    Returns
    -------
    list of InputControl
    """
    swings = tornado(scenario)
    swings = swings[swings["strategy"] == scenario.baseline_strategy].head(top)
    units = dict(zip(*assumptions_table(scenario)[["input", "unit"]].T.values, strict=True))
    return [InputControl(path=str(p), unit=str(units.get(p, "")), swing=float(s))
            for p, s in zip(swings["input"], swings["swing"], strict=True)]


def distribution_at(scenario: Scenario, path: str):
    """The distribution of the input at a key path (a :mod:`simulator.spec.distributions`
    model)."""
    for p, dist in scenario.uncertain_inputs():
        if p == path:
            return dist
    raise KeyError(path)


def editable_params(scenario: Scenario, path: str) -> dict[str, Any]:
    """The parameters of the input's distribution a control edits, with their current values
    (numbers, or lists for a discrete distribution)."""
    dist = distribution_at(scenario, path)
    data = dist.model_dump(exclude_none=True)
    return {k: data[k] for k in EDITABLE[data["dist"]] if k in data}


def describe_input(scenario: Scenario, path: str) -> dict[str, Any]:
    """What a control shows about an input: ``distribution`` (text), ``p5``, ``p50``, ``p95``
    [input's unit] and ``source``."""
    dist = distribution_at(scenario, path)
    return {"distribution": dist.describe(),
            **{f"p{q}": float(dist.quantile(q / 100)) for q in (5, 50, 95)},
            "source": " ".join((dist.source or "").split())}


def explorer_source(old_source: str | None) -> str:
    """The ``source:`` of an edited input: marked as an explorer edit, keeping the old one."""
    old = " ".join((old_source or "").split())
    return "explorer edit" + (f" (was: {old})" if old else "")


@dataclass(frozen=True)
class Snapshot:
    """What the views draw, reduced from one run's :class:`Results`.

    Attributes
    ----------
    strategies : tuple of str, length S
    baseline : str
    years : ndarray, shape (T,)
    fan : ndarray, shape (P, S, T)
        Percentiles ``FAN_PERCENTILES`` of annual spend [USD, nominal].
    cumulative : DataFrame
        Per strategy: ``mean, p5, p25, p50, p75, p95`` of cumulative spend over the horizon
        [USD, nominal].
    paired : DataFrame
        Per non-baseline strategy: cumulative spend minus the baseline's on the same trials,
        ``diff_mean, diff_p5, diff_p50, diff_p95`` [USD] and ``p_cheaper`` [-]
        (:meth:`Results.comparison`).
    dependence : ndarray, shape (3, S, T)
        P5, P50, P95 of the dependence supplier's share of each year's accelerator spend [-],
        over trials with purchases that year (NaN where none).
    dependence_supplier : str
    claims : DataFrame
        :func:`simulator.evaluate_claims`: probability with its 95% interval per claim and strategy.
    trials, seed : int
    seconds : dict of str to float
        Wall time of ``simulate`` and ``summarise`` [s].
    """

    strategies: tuple[str, ...]
    baseline: str
    years: np.ndarray
    fan: np.ndarray
    cumulative: pd.DataFrame
    paired: pd.DataFrame
    dependence: np.ndarray
    dependence_supplier: str
    claims: pd.DataFrame
    trials: int
    seed: int
    seconds: dict[str, float] = field(default_factory=dict)


def run_verdict(results, claims: pd.DataFrame | None = None) -> Verdict:
    """The plain-language verdict of a run (:func:`simulator.build_verdict`).

    Built from the run alone (claims, summary, paired comparisons, funding, the tornado and
    rank correlations of the first claim's metric), without the what-must-be-true tables;
    spend by category appears only for runs that streamed it. It costs about half a CPU
    second at 20,000 trials, so the explorer draws it after the views.

    Parameters
    ----------
    results : Results
    claims : DataFrame, optional
        :func:`simulator.evaluate_claims` of the run, when already computed.
    """
    sc = results.scenario
    first = sc.claims[0] if sc.claims else None
    metric = (first.metric, first.year) if first else ("cumulative_spend", None)
    analysis = Analysis(
        results=results, claims=evaluate_claims(results) if claims is None else claims,
        sensitivity=sensitivity_table(results.head(ANALYSIS_TRIALS), metric=metric[0],
                                      year=metric[1]),
        sensitivity_metric=metric)
    return build_verdict(analysis)


def percentiles_along(x: np.ndarray, q: tuple[float, ...], *, axis: int) -> np.ndarray:
    """Percentiles of ``x`` along ``axis``, ignoring NaN (linear interpolation, as
    ``numpy.nanpercentile``), computed from one sort: several times faster than NumPy's
    partition-based percentiles for a handful of percentiles over tens of thousands of trials.

    Returns
    -------
    ndarray, shape (len(q), *x.shape without axis)
        NaN where a slice has no number.
    """
    s = np.sort(np.moveaxis(x, axis, -1), axis=-1)          # NaN sort last
    n = (~np.isnan(s)).sum(axis=-1)
    pos = (np.maximum(n, 1) - 1)[None] * (np.asarray(q, dtype=np.float64) / 100.0)[
        (slice(None),) + (None,) * n.ndim]
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0)[None])
    def at(index: np.ndarray) -> np.ndarray:
        return np.stack([np.take_along_axis(s, index[j][..., None], axis=-1)[..., 0]
                         for j in range(len(q))])

    w = pos - lo
    out = at(lo) * (1 - w) + at(hi) * w
    return np.where(n[None] > 0, out, np.nan)


def summarise(results) -> Snapshot:
    """Reduce :class:`Results` to what the explorer's views draw (see :class:`Snapshot`).

    Percentiles come from one sort per array (:func:`percentiles_along`); the paired
    differences are those of :meth:`Results.comparison` for ``cumulative_spend``.
    """
    sc = results.scenario
    fan = percentiles_along(results.annual, FAN_PERCENTILES, axis=1)      # (P, S, T)
    cum = results.cumulative()                                            # (S, n)
    q = percentiles_along(cum, FAN_PERCENTILES, axis=1)                   # (P, S)
    cumulative = pd.DataFrame({"strategy": results.strategies, "mean": cum.mean(axis=1),
                               **{f"p{p}": q[k] for k, p in enumerate(FAN_PERCENTILES)}})
    b = results.strategies.index(sc.baseline_strategy)
    others = [i for i in range(len(results.strategies)) if i != b]
    diff = cum[others] - cum[b]                                           # (S-1, n)
    dq = percentiles_along(diff, (5, 50, 95), axis=1)
    paired = pd.DataFrame({"strategy": [results.strategies[i] for i in others],
                           "diff_mean": diff.mean(axis=1), "diff_p5": dq[0],
                           "diff_p50": dq[1], "diff_p95": dq[2],
                           "p_cheaper": (cum[others] < cum[b]).mean(axis=1)})
    dep = percentiles_along(results.dependence_share, (5, 50, 95), axis=1)  # (3, S, T)
    return Snapshot(strategies=tuple(results.strategies), baseline=sc.baseline_strategy,
                    years=np.asarray(results.years), fan=fan, cumulative=cumulative,
                    paired=paired, dependence=dep, dependence_supplier=sc.dependence_supplier,
                    claims=evaluate_claims(results),
                    trials=int(results.trials_total), seed=int(results.provenance["seed"]))


class Explorer:
    """A scenario, the user's edits to it, and the latest good run.

    Parameters
    ----------
    scenario : Scenario
        The scenario explored (from :func:`simulator.load_scenario`).
    trials, seed : int, optional
        Default: the scenario's.
    top : int
        How many inputs get a control (:func:`input_controls`).

    Notes
    -----
    Edits are key-path overrides of the original scenario (``changes``), so the explorer
    always runs ``override(scenario, changes)`` with ``trials`` and ``seed``: the numbers
    ``simulate`` gives for the saved file (:func:`save_scenario`).
    """

    def __init__(self, scenario: Scenario, *, trials: int | None = None,
                 seed: int | None = None, top: int = TOP_INPUTS) -> None:
        self.original = scenario
        self.scenario = scenario
        self.changes: dict[str, Any] = {}
        self.trials = int(trials if trials is not None else scenario.trials)
        self.seed = int(seed if seed is not None else scenario.seed)
        self.controls = input_controls(scenario, top=top)
        self.snapshot: Snapshot | None = None
        self.results = None

    @property
    def source(self) -> str:
        """Name of the edited scenario in error messages."""
        return f"{self.original.source_file or self.original.name} (explorer edit)"

    # -- edits ---------------------------------------------------------------------------------
    def input_change(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """The override that sets some parameters of an input's distribution, its source
        marked as an explorer edit (relative to the original scenario)."""
        dist = distribution_at(self.original, path)
        data = dist.model_dump(mode="json", exclude_none=True)
        data.pop("source", None)
        data.update(params)
        data["source"] = explorer_source(dist.source)
        return {path: data}

    def shares_change(self, strategy: str, table: dict[Any, dict[str, float]]) -> dict[str, Any]:
        """The override that replaces a strategy's shares (``{year or 'all': {supplier:
        share}}``)."""
        return {f"strategies.{strategy}.shares": {str(k): dict(v) for k, v in table.items()}}

    def lease_change(self, strategy: str, table: dict[Any, float]) -> dict[str, Any]:
        """The override that replaces a strategy's lease share by year (or ``'all'``)."""
        return {f"strategies.{strategy}.lease_share": {str(k): float(v) for k, v in table.items()}}

    def threshold_change(self, thresholds: dict[int, Any]) -> dict[str, Any]:
        """The override that sets the thresholds of some of the scenario's claims (position ->
        threshold, numbers or text such as ``"5T"``): the whole claims list, since a file's
        list replaces its parent's."""
        claims = [c.model_dump(mode="json", exclude_none=True) for c in self.original.claims]
        for index, threshold in thresholds.items():
            original = self.original.claims[index]
            claims[index]["threshold"] = threshold
            # the name says what is claimed: it must not keep a threshold it no longer has
            claims[index]["name"] = f"{original.label} (explorer: {original.op} {threshold})"
            claims[index]["source"] = explorer_source(original.source)
        return {"claims": claims}

    def validate(self, changes: dict[str, Any], *, replace: bool = False) -> Scenario:
        """The original scenario with ``changes`` on top of the current edits (or instead of
        them, with ``replace``).

        Raises
        ------
        ScenarioError
            The message ``simulate validate`` gives for the same values; the explorer's state
            is unchanged.
        """
        return override(self.original, self._merged(changes, replace), source=self.source)

    def _merged(self, changes: dict[str, Any], replace: bool) -> dict[str, Any]:
        merged = dict(changes) if replace else {**self.changes, **changes}
        return {k: v for k, v in merged.items() if v is not None}

    def apply(self, changes: dict[str, Any] | None = None, *, trials: int | None = None,
              seed: int | None = None, replace: bool = False) -> Snapshot:
        """Validate the changes, re-simulate and summarise; the new state only if all succeed.

        Parameters
        ----------
        changes : dict of str to Any, optional
            Key path -> value, as for :func:`simulator.override`; a value of None undoes the
            edit at that path.
        trials, seed : int, optional
            Change the run size or seed.
        replace : bool
            The changes are all the edits (earlier ones not among them are undone), rather
            than added to the current ones.

        Returns
        -------
        Snapshot

        Raises
        ------
        ScenarioError
            For an invalid value (the last good state is kept).
        """
        changes = changes or {}
        n = self.trials if trials is None else int(trials)
        s = self.seed if seed is None else int(seed)
        for name, value, lo in (("trials", n, 1), ("seed", s, 0)):
            if value < lo:
                raise ScenarioError(self.source, [Issue(name, f"must be at least {lo}, got "
                                                        f"{value}")])
        scenario = self.validate(changes, replace=replace)
        t0 = time.perf_counter()
        # one process: a pool's start costs more than it saves at interactive sizes; no
        # category histograms or streamed totals (a third of the run) while every trial is kept
        whole = n <= KEEP_TRIALS
        results = simulate(scenario, trials=n, seed=s, workers=1, streaming=not whole,
                           keep_trials=None if whole else KEEP_TRIALS)
        t1 = time.perf_counter()
        snapshot = summarise(results)
        t2 = time.perf_counter()
        snapshot.seconds.update(simulate=t1 - t0, summarise=t2 - t1)
        self.changes = self._merged(changes, replace)
        self.scenario, self.trials, self.seed = scenario, n, s
        self.results, self.snapshot = results, snapshot
        return snapshot

    # -- saving --------------------------------------------------------------------------------
    def saved_data(self, *, name: str | None = None) -> dict[str, Any]:
        """The ``extends:`` file's data: only what differs from the original scenario."""
        if self.original.source_file is None:
            raise ValueError("the scenario was not loaded from a file, so a file cannot extend "
                             "it; save it with scenario.model_dump() instead")
        data: dict[str, Any] = {}
        for path, value in self.changes.items():
            _set(data, path.split("."), _file_form(path, copy.deepcopy(value)))
        data["name"] = name or f"{self.original.name}-explored"
        data["title"] = f"{self.original.title or self.original.name} (explorer edits)"
        if self.trials != self.original.trials:
            data["trials"] = self.trials
        if self.seed != self.original.seed:
            data["seed"] = self.seed
        return data


def _file_form(path: str, value: Any) -> Any:
    """A share table as a file writes it, so that it merges onto the parent's as intended:
    years as numbers (the parent's keys), and a table for all years as a plain mapping or
    number (``shares: {nvidia: 1.0}``, ``lease_share: 0.2``)."""
    if not (path.endswith(".shares") or path.endswith(".lease_share")) \
            or not isinstance(value, dict):
        return value
    if set(value) == {"all"}:
        return value["all"]
    return {int(k): v for k, v in value.items()}


def _set(data: dict, keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        data = data.setdefault(key, {})
    data[keys[-1]] = value
