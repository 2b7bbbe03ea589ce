"""The PNG figures of a run, and how they are drawn: which figures a run has, how each is laid
out from the plot functions (fixed panel sizes, one panel per strategy on a shared scale), and
how the drawing is shared between processes: forked worker processes that draw a share of the
figures (:func:`write_figures`), and a forked process that draws the figures needing only the
results while the run is still analysed (:class:`EarlyFigures`, :func:`start_figures`).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulator.analysis.overview import Analysis
from simulator.interrupts import checkpoint, deferred
from simulator.report import plots, plots_analysis
from simulator.report.assumptions import assumptions_table
from simulator.results.container import Results
from simulator.run.parallel import exit_with_parent, stop_workers


def _figure(rows: int, cols: int, *, panel: tuple[float, float], left: float = 1.0,
            right: float = 0.3, top: float = 0.8, bottom: float = 0.6, wgap: float = 0.9,
            hgap: float = 0.9, **subplots) -> tuple[Figure, np.ndarray]:
    """A figure of ``rows`` x ``cols`` panels of a fixed size, margins and gaps in inches.

    Fixed margins instead of constrained layout: a layout pass measures every text of the
    figure again and cost more than drawing it (about 0.6 s of a 1 s figure).
    """
    w, h = panel
    width = left + cols * w + (cols - 1) * wgap + right
    height = top + rows * h + (rows - 1) * hgap + bottom
    # Figure objects, not pyplot: no GUI backend, no global state, nothing left open
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height,
                        top=1 - top / height, wspace=wgap / w, hspace=hgap / h)
    return fig, fig.subplots(rows, cols, squeeze=False, **subplots)


def _per_strategy_figure(results: Results, draw: Callable, path: Path, title: str, *,
                         legend_right: bool = False) -> None:
    """One panel per strategy on a shared scale, one legend for all of them."""
    n = len(results.strategies)
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    fig, axes = _figure(rows, cols, panel=(5.2, 2.8), left=1.0, wgap=0.35, hgap=0.55,
                        top=1.1 if not legend_right else 0.6,
                        right=2.4 if legend_right else 0.3, bottom=0.55,
                        sharex=True, sharey=True)
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.set_visible(False)
    for k, (ax, s) in enumerate(zip(flat, results.strategies, strict=False)):
        draw(results, strategy=s, ax=ax)
        ax.set_title(s, fontsize="medium", pad=3)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        if k % cols:
            ax.set_ylabel("")
        if k + cols < n:  # a panel below shows the years
            ax.set_xlabel("")
            ax.tick_params(axis="x", labelbottom=False)
        else:
            ax.tick_params(axis="x", labelbottom=True)
    # the plots fix their bottom at 0, which freezes the shared scale at the first panel's
    # data: make it fit every panel
    top = max(ax.dataLim.y1 for ax in flat[:n])
    if np.isfinite(top) and top > 0:  # nothing to fit when nothing was spent
        flat[0].set_ylim(0, 1.05 * top)
    handles, labels = {}, {}
    for ax in flat[:n]:  # a category may be drawn in some panels only
        for hd, lb in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lb, hd)
            labels.setdefault(lb, lb)
    height = fig.get_figheight()
    if handles and legend_right:
        fig.legend(list(handles.values())[::-1], list(labels)[::-1], loc="upper left",
                   bbox_to_anchor=(1 - 2.3 / fig.get_figwidth(), 1 - 0.6 / height),
                   frameon=False, fontsize="small")
    elif handles:
        fig.legend(list(handles.values()), list(labels), loc="upper center", ncol=len(labels),
                   bbox_to_anchor=(0.5, 1 - 0.5 / height), frameon=False, fontsize="small")
    fig.suptitle(title, y=1 - 0.12 / height, va="top")
    fig.savefig(path, dpi=110)


def _fig_fan_chart(analysis: Analysis, path: Path) -> None:
    _per_strategy_figure(analysis.results, plots.fan_chart, path,
                         f"{analysis.results.scenario.name}: annual spend, all categories "
                         "[USD, nominal]")


def _fig_spend_by_category(analysis: Analysis, path: Path) -> None:
    _per_strategy_figure(analysis.results, plots.category_breakdown, path,
                         f"{analysis.results.scenario.name}: mean annual spend by category "
                         "[USD, nominal]", legend_right=True)


def _fig_strategies(analysis: Analysis, path: Path) -> None:
    results = analysis.results
    fig, axes = _figure(2, 2, panel=(5.6, 3.4), left=1.0, right=1.3, top=1.0, bottom=0.7,
                        wgap=2.5, hgap=1.45)
    plots.strategy_distributions(results, ax=axes[0, 0])
    plots.paired_difference(results, ax=axes[0, 1])
    plots.cumulative_paths(results, ax=axes[1, 0])
    plots.dependence_over_time(results, ax=axes[1, 1])
    fig.suptitle(f"{results.scenario.name}: sourcing strategies on the same "
                 f"{results.trials_total:,} draws", y=1 - 0.1 / fig.get_figheight(), va="top")
    fig.savefig(path, dpi=110)


def _fig_s_curve(analysis: Analysis, path: Path) -> None:
    claims = analysis.results.scenario.claims
    fig, axes = _figure(len(claims), 1, panel=(6.4, 2.9), left=0.9, right=2.7, top=0.55,
                        bottom=0.6, hgap=1.15)
    for ax, claim in zip(axes[:, 0], claims, strict=True):
        plots_analysis.s_curve(analysis.results, claim, ax=ax, probabilities=analysis.claims)
    fig.savefig(path, dpi=110)


def _fig_funding(analysis: Analysis, path: Path) -> None:
    fig, axes = _figure(1, 1, panel=(7.5, 4.0), left=1.0, right=1.7, top=0.75, bottom=0.6)
    plots_analysis.funding_chart(analysis.results, ax=axes[0, 0])
    fig.savefig(path, dpi=110)


TOP_INPUTS = 12


def _units(analysis: Analysis) -> dict[str, str]:
    table = assumptions_table(analysis.results.scenario)
    return dict(zip(table["input"], table["unit"], strict=True))


def _sensitivity_output(analysis: Analysis) -> str:
    metric, year = analysis.sensitivity_metric
    if year is None:
        return metric.replace("_", " ")
    return f"{metric.replace('_', ' ')} {'through' if metric == 'cumulative_spend' else 'in'} {year}"


def _fig_tornado(analysis: Analysis, path: Path) -> None:
    rows = min(TOP_INPUTS, analysis.sensitivity["input"].nunique())
    fig, axes = _figure(1, 1, panel=(6.4, 0.5 * rows), left=3.4, right=0.4, top=0.75,
                        bottom=0.6)
    plots_analysis.tornado_chart(analysis.sensitivity, strategy=analysis.results.scenario.baseline_strategy,
                        top=TOP_INPUTS, units=_units(analysis), ax=axes[0, 0])
    fig.savefig(path, dpi=110)


def _fig_sobol(analysis: Analysis, path: Path) -> None:
    rows = min(TOP_INPUTS, analysis.sobol["input"].nunique())
    fig, axes = _figure(1, 1, panel=(5.8, 0.5 * rows), left=3.4, right=2.6, top=0.45,
                        bottom=0.85)
    plots_analysis.sobol_bars(analysis.sobol, strategy=analysis.results.scenario.baseline_strategy,
                     top=TOP_INPUTS, output=_sensitivity_output(analysis),
                     units=_units(analysis), ax=axes[0, 0])
    fig.savefig(path, dpi=110)


def figures(analysis: Analysis) -> list[tuple[str, Callable[[Analysis, Path], None]]]:
    """The figures this run draws, as (file name, function)."""
    results = analysis.results
    figures = [("fan_chart.png", _fig_fan_chart), ("spend_by_category.png", _fig_spend_by_category)]
    if len(results.strategies) > 1:
        figures.append(("strategies.png", _fig_strategies))
    if results.scenario.claims:
        figures.append(("s_curve.png", _fig_s_curve))
    if results.scenario.revenue is not None:
        figures.append(("funding.png", _fig_funding))
    if not analysis.sensitivity.empty:
        figures.append(("tornado.png", _fig_tornado))
    if analysis.sobol is not None:
        figures.append(("sobol.png", _fig_sobol))
    return figures


#: The analysis a figure-drawing worker process draws from (see :func:`write_figures`).
_worker_analysis: Analysis | None = None


def _receive(analysis: Analysis, parent: int) -> None:
    global _worker_analysis
    _worker_analysis = analysis
    exit_with_parent(parent)


def _draw_in_worker(jobs: list[tuple[Callable[[Analysis, Path], None], Path]]) -> None:
    for draw, path in jobs:
        draw(_worker_analysis, path)


#: Rough cost of each figure in panels drawn, to share them out evenly between processes.
_PANELS = {"fan_chart.png": 5, "spend_by_category.png": 5, "strategies.png": 4,
           "s_curve.png": 4, "funding.png": 1, "tornado.png": 1.5, "sobol.png": 1.5}


def _share_out(jobs: list, weights: list[float], n: int) -> list[list]:
    """Jobs in ``n`` groups of about equal weight (largest first, each to the lightest group)."""
    groups: list[list] = [[] for _ in range(n)]
    loads = [0.0] * n
    for k in sorted(range(len(jobs)), key=lambda k: -weights[k]):
        g = loads.index(min(loads))
        groups[g].append(jobs[k])
        loads[g] += weights[k]
    return groups


#: Figures drawn from the results alone, while the analysis runs (:func:`start_figures`). The
#: S-curves need only the results too, but are left to the process that analyses (the other
#: one computes the summary tables first), so that the two finish at about the same time.
RESULTS_FIGURES = ("fan_chart.png", "spend_by_category.png", "strategies.png", "funding.png")


def result_tables(results: Results) -> None:
    """Compute every summary table a run writes or draws that needs only the results (kept
    with them: see :meth:`Results.computed_tables`)."""
    results.summary()
    results.yearly()
    results.indicators()
    results.paths()
    if len(results.strategies) > 1:
        results.comparison()
    if results.scenario.revenue is not None:
        results.funding_table()


def _send(conn, tables: dict) -> None:
    try:
        conn.send(tables)
    except OSError:  # the other process stopped listening: it is closing this one
        pass
    finally:
        conn.close()


def _draw_early(analysis: Analysis, jobs: list, conn, parent: int) -> None:
    exit_with_parent(parent)
    # the tables first: the process that analyses waits for them, and the figures read them
    try:
        result_tables(analysis.results)
        tables = analysis.results.computed_tables()
    except Exception:  # the other process computes them, and reports the error
        tables = {}
    # sent from a thread: they outgrow the pipe's buffer, and the other process reads them
    # only when its analysis is done; the figures need not wait for that. If a figure fails,
    # this process ends without them: the other one computes them (and draws that figure)
    sender = threading.Thread(target=_send, args=(conn, tables), name="send-tables",
                              daemon=True)
    sender.start()
    for draw, path in jobs:
        draw(analysis, path)
    sender.join()


class EarlyFigures:
    """Figures being drawn in a forked process from a run's results while the caller
    analyses them (:func:`start_figures`); :func:`write_figures` collects them. The process
    first computes the summary tables (:func:`result_tables`) and sends them back
    (:meth:`tables`).

    Attributes
    ----------
    names : tuple of str
        The figures being drawn.
    """

    def __init__(self, results: Results) -> None:
        stub = Analysis(results=results, claims=pd.DataFrame(), sensitivity=pd.DataFrame(),
                        sensitivity_metric=("cumulative_spend", None))
        drawn = [(name, draw) for name, draw in figures(stub) if name in RESULTS_FIGURES]
        self.names = tuple(name for name, _ in drawn)
        self._folder = Path(tempfile.mkdtemp(prefix="simulate-figures-"))
        context = mp.get_context("fork")
        self._tables, child_end = context.Pipe(duplex=False)
        # forked: the child reads the parent's results in place, nothing is copied or sent
        self._process = context.Process(
            target=_draw_early,
            args=(stub, [(draw, self._folder / name) for name, draw in drawn], child_end,
                  os.getpid()),
            daemon=True)
        with deferred():  # the child sets its own signal handling first (exit_with_parent)
            self._process.start()
        child_end.close()

    def tables(self) -> dict:
        """The summary tables the process computed before drawing (:func:`result_tables`),
        for :meth:`Results.adopt_tables`; empty if it could not (it failed or was stopped)."""
        if self._tables is None:
            return {}
        try:
            return self._tables.recv()
        except (EOFError, OSError):
            return {}
        finally:
            self._tables.close()
            self._tables = None

    def collect(self, analysis: Analysis, folder: Path) -> list[Path]:
        """Wait for the figures and move them into ``folder``; any the process did not write
        (it failed) are drawn here."""
        # the tables were sent first: received (and dropped, if not asked for) so the process
        # is not left waiting to send them
        analysis.results.adopt_tables(self.tables())
        self._process.join()
        out = []
        for name, draw in figures(analysis):
            if name in self.names:
                if (self._folder / name).exists():
                    shutil.move(self._folder / name, folder / name)
                else:
                    draw(analysis, folder / name)
                out.append(folder / name)
        self.close()
        return out

    def close(self) -> None:
        """Stop the process if it still runs and remove its temporary folder."""
        if self._tables is not None:
            self._tables.close()
            self._tables = None
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        shutil.rmtree(self._folder, ignore_errors=True)


def start_figures(results: Results) -> EarlyFigures | None:
    """Start drawing the figures that need only the results (``RESULTS_FIGURES``) in another
    process, so that they are drawn while the run is analysed (sensitivity, what must be true)
    instead of after: pass the handle to :func:`simulator.report.writers.write_run`, or
    ``close()`` it.

    Returns None (nothing started) on a single core, or where processes are not forked (a
    spawned process would need the per-trial arrays sent to it).
    """
    if (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods():
        return None
    return EarlyFigures(results)


def write_figures(analysis: Analysis, folder: Path, *, workers: int | None = None,
                  early: EarlyFigures | None = None) -> list[Path]:
    """Write the PNG figures into an existing folder: ``fan_chart.png``,
    ``spend_by_category.png``, ``strategies.png`` (with more than one strategy),
    ``s_curve.png`` (per claim, stacked), ``funding.png`` (with revenue), ``tornado.png`` and
    ``sobol.png`` (when computed).

    The figures are independent, so with ``workers`` > 1 (default: one per core, at most two)
    they are shared out between this process and ``workers - 1`` others. The summary tables
    they draw from are best computed before (as :func:`simulator.report.writers.write_run`
    does): a worker started by forking inherits them. Figures already being drawn (``early``,
    from :func:`start_figures`) are collected instead of drawn again.
    """
    folder = Path(folder)
    order = [name for name, _ in figures(analysis)]
    drawn = [(name, draw) for name, draw in figures(analysis)
             if early is None or name not in early.names]
    jobs = [(draw, folder / name) for name, draw in drawn]
    workers = min(os.cpu_count() or 1, 2) if workers is None else workers
    if workers > 1 and len(jobs) > 1 and early is None:
        mine, *theirs = _share_out(jobs, [_PANELS.get(name, 1.0) for name, _ in drawn],
                                   min(workers, len(jobs)))
        # the analysis goes to each worker once (inherited, where processes fork)
        pool = ProcessPoolExecutor(max_workers=len(theirs), initializer=_receive,
                                   initargs=(analysis, os.getpid()))
        try:
            with deferred():  # workers start here: see simulator.run.parallel.run_local
                pending = [pool.submit(_draw_in_worker, group) for group in theirs]
            checkpoint("figures")
            for draw, path in mine:
                draw(analysis, path)
            for future in pending:
                future.result()
        except BaseException:
            stop_workers(pool)
            raise
        finally:
            pool.shutdown(wait=True)
    else:
        checkpoint("figures")
        for draw, path in jobs:
            draw(analysis, path)
    done = {path.name: path for _, path in jobs}
    if early is not None:
        done.update({path.name: path for path in early.collect(analysis, folder)})
    return [done[name] for name in order]
