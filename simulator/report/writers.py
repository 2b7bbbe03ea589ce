"""Write a run's outputs to a folder: CSV tables, a JSON manifest and PNG figures.

Files are written into a hidden sibling folder and swapped into place only when complete, so an
interrupted run never leaves a half-written result that looks complete, and an existing output
folder is replaced as a whole or not at all; a folder holding anything the program did not write
is refused (see :mod:`simulator.report.run_folder`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from simulator.analyse.analysis import Analysis
from simulator.interrupts import check, checkpoint, deferred
from simulator.report import plots
from simulator.report.html import write_report
from simulator.report.run_folder import OutputFolder
from simulator.report.verdict import Verdict, build_verdict
from simulator.results.breakdown import dependence_reasons, inhouse_saving_breakdown
from simulator.results.container import Results
from simulator.run.parallel import exit_with_parent, stop_workers


def _grid(n: int, *, width: float = 6.0, height: float = 3.8):
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    # Figure objects, not pyplot: no GUI backend, no global state, nothing left open
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()[:n]


def _per_strategy_figure(results: Results, draw: Callable, path: Path, title: str) -> None:
    fig, axes = _grid(len(results.strategies))
    for ax, s in zip(axes, results.strategies, strict=True):
        draw(results, strategy=s, ax=ax)
        ax.yaxis.set_tick_params(labelleft=True)
    # the plots fix their bottom at 0, which freezes the shared scale at the first panel's
    # data: make it fit every panel
    top = max(ax.dataLim.y1 for ax in axes)
    if np.isfinite(top) and top > 0:  # nothing to fit when nothing was spent
        axes[0].set_ylim(0, 1.05 * top)
    fig.suptitle(title)
    fig.savefig(path, dpi=120)


def write_tables(analysis: Analysis, folder: Path) -> list[Path]:
    """Write the CSV tables and ``manifest.json`` into an existing folder: ``summary.csv``,
    ``yearly.csv``, ``indicators.csv``, ``comparison.csv`` (with more than one strategy),
    ``claims.csv`` and ``what_must_be_true.csv`` (with claims), ``funding.csv``,
    ``dependence.csv`` (the dependence supplier's units by reason), ``inhouse_saving.csv``
    (with an in-house supplier) and ``sensitivity.csv``."""
    results, folder = analysis.results, Path(folder)
    tables = {
        "summary.csv": results.summary(),
        "yearly.csv": results.yearly(),
        "indicators.csv": results.indicators(),
    }
    if len(results.strategies) > 1:
        tables["comparison.csv"] = results.comparison()
    if not analysis.claims.empty:
        tables["claims.csv"] = analysis.claims
    if not analysis.drivers.empty:
        tables["what_must_be_true.csv"] = analysis.drivers
    if results.scenario.revenue is not None:
        tables["funding.csv"] = results.funding_table()
    tables["dependence.csv"] = dependence_reasons(results)
    saving = inhouse_saving_breakdown(results)
    if not saving.empty:
        tables["inhouse_saving.csv"] = saving
    tables["sensitivity.csv"] = analysis.sensitivity
    files = []
    for name, table in tables.items():
        table.to_csv(folder / name, index=False)
        files.append(folder / name)
    manifest = folder / "manifest.json"
    meta = dict(results.provenance)
    if analysis.batches is not None:
        meta["precision_batches"] = analysis.batches
    manifest.write_text(json.dumps(meta, indent=2, default=str) + "\n")
    return [*files, manifest]


def _fig_fan_chart(analysis: Analysis, path: Path) -> None:
    _per_strategy_figure(analysis.results, plots.fan_chart, path,
                         f"{analysis.results.scenario.name}: annual spend, all categories")


def _fig_spend_by_category(analysis: Analysis, path: Path) -> None:
    _per_strategy_figure(analysis.results, plots.category_breakdown, path,
                         f"{analysis.results.scenario.name}: mean annual spend by category")


def _fig_strategies(analysis: Analysis, path: Path) -> None:
    results = analysis.results
    fig = Figure(figsize=(14, 9), layout="constrained")
    axes = fig.subplots(2, 2)
    plots.strategy_distributions(results, ax=axes[0, 0])
    plots.paired_difference(results, ax=axes[0, 1])
    plots.cumulative_paths(results, ax=axes[1, 0])
    plots.dependence_over_time(results, ax=axes[1, 1])
    fig.suptitle(f"{results.scenario.name}: sourcing strategies on the same "
                 f"{results.n_trials:,} draws")
    fig.savefig(path, dpi=110)


def _fig_s_curve(analysis: Analysis, path: Path) -> None:
    claims = analysis.results.scenario.claims
    fig = Figure(figsize=(9, 4.5 * len(claims)), layout="constrained")
    axes = fig.subplots(len(claims), 1, squeeze=False)
    for ax, claim in zip(axes[:, 0], claims, strict=True):
        plots.s_curve(analysis.results, claim, ax=ax)
    fig.savefig(path, dpi=110)


def _fig_funding(analysis: Analysis, path: Path) -> None:
    fig = Figure(figsize=(10, 5.5), layout="constrained")
    plots.funding_chart(analysis.results, ax=fig.subplots())
    fig.savefig(path, dpi=110)


TOP_INPUTS = 12


def _fig_tornado(analysis: Analysis, path: Path) -> None:
    fig = Figure(figsize=(10, 0.42 * TOP_INPUTS + 1.8), layout="constrained")
    plots.tornado_chart(analysis.sensitivity, strategy=analysis.results.scenario.baseline_strategy,
                        top=TOP_INPUTS, ax=fig.subplots())
    fig.savefig(path, dpi=110)


def _fig_sobol(analysis: Analysis, path: Path) -> None:
    fig = Figure(figsize=(10, 0.42 * TOP_INPUTS + 1.8), layout="constrained")
    plots.sobol_bars(analysis.sobol, strategy=analysis.results.scenario.baseline_strategy,
                     top=TOP_INPUTS, ax=fig.subplots())
    fig.savefig(path, dpi=110)


def _figures(analysis: Analysis) -> list[tuple[str, Callable[[Analysis, Path], None]]]:
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


def _receive(analysis: Analysis) -> None:
    global _worker_analysis
    _worker_analysis = analysis
    exit_with_parent()


def _draw_in_worker(job: tuple[Callable[[Analysis, Path], None], Path]) -> None:
    draw, path = job
    draw(_worker_analysis, path)


def write_figures(analysis: Analysis, folder: Path, *, workers: int | None = None) -> list[Path]:
    """Write the PNG figures into an existing folder: ``fan_chart.png``,
    ``spend_by_category.png``, ``strategies.png`` (with more than one strategy),
    ``s_curve.png`` (per claim, stacked), ``funding.png`` (with revenue), ``tornado.png`` and
    ``sobol.png`` (when computed).

    Drawing takes most of a default run's time and the figures are independent, so they are
    drawn on ``workers`` processes (default: one per core, at most two; 1 draws here).
    """
    folder = Path(folder)
    jobs = [(draw, folder / name) for name, draw in _figures(analysis)]
    workers = min(os.cpu_count() or 1, 2) if workers is None else workers
    if workers > 1 and len(jobs) > 2:
        # the analysis (tens of MB with its histograms) goes to each worker once, not per figure
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_receive,
                                   initargs=(analysis,))
        try:
            with deferred():  # workers start here: see simulator.parallel.run_local
                futures = [pool.submit(_draw_in_worker, job) for job in jobs]
            checkpoint("figures")
            for future in futures:
                future.result()
        except BaseException:
            stop_workers(pool)
            raise
        finally:
            pool.shutdown(wait=True)
    else:
        for draw, path in jobs:
            draw(analysis, path)
    return [path for _, path in jobs]


def write_parquet(results: Results, folder: Path) -> list[Path]:
    """Per-trial outputs as Parquet: ``trials.parquet`` (one row per strategy, trial and year:
    spend [USD], installed GW, demand and unmet units, dependence share) and ``inputs.parquet``
    (one row per trial, one column per uncertain input). Written a strategy at a time as row
    groups, so memory stays at one strategy's rows.

    Needs pyarrow (``pip install ".[parquet]"``).
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise RuntimeError("Parquet output needs pyarrow: pip install "
                           "'ai-infra-simulator[parquet]'") from exc
    folder = Path(folder)
    n, years = results.n_trials, results.years
    dep = f"{results.scenario.dependence_supplier}_share"
    trials_path = folder / "trials.parquet"
    writer = None
    try:
        for i, strategy in enumerate(results.strategies):
            table = pa.table({
                "strategy": pa.array([strategy] * (n * len(years))).dictionary_encode(),
                "trial": np.repeat(np.arange(n, dtype=np.int64), len(years)),
                "year": np.tile(years.astype(np.int16), n),
                "spend": results.annual[i].ravel(),
                "installed_gw": results.installed_gw[i].ravel(),
                "demand_units": results.demand_units.ravel(),
                "unmet_units": results.unmet_units[i].ravel(),
                dep: results.dependence_share[i].ravel(),
            })
            writer = writer or pq.ParquetWriter(trials_path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    inputs_path = folder / "inputs.parquet"
    pq.write_table(pa.table({"trial": np.arange(n, dtype=np.int64), **results.inputs}),
                   inputs_path)
    return [trials_path, inputs_path]


def write_run(analysis: Analysis, out: str | Path | OutputFolder, *, parquet: bool = False,
              verdict: Verdict | None = None) -> list[Path]:
    """Write every output of a run into ``out``, atomically.

    Parameters
    ----------
    analysis : Analysis
        From :func:`simulator.analyse.analysis.analyse`.
    out : str, Path or OutputFolder
        Output folder, or one already checked by :meth:`OutputFolder.prepare`. If it exists it
        must hold only a previous run's outputs (else :class:`OutputFolderError`); it is
        replaced as a whole once the new outputs are complete.
    parquet : bool
        Also write per-trial outputs as Parquet (:func:`write_parquet`).
    verdict : Verdict, optional
        The run's verdict, when already built (default:
        :func:`simulator.report.verdict.build_verdict`); written as ``verdict.json`` and at
        the top of ``report.html``.

    Returns
    -------
    list of Path
        The files written (inside ``out``).
    """
    verdict = build_verdict(analysis) if verdict is None else verdict

    def write(folder: Path) -> list[Path]:
        files = write_tables(analysis, folder)
        checkpoint("writing")
        files += write_figures(analysis, folder)
        files += write_parquet(analysis.results, folder) if parquet else []
        (folder / "verdict.json").write_text(json.dumps(verdict.to_dict(), indent=2,
                                                        default=_plain) + "\n")
        files.append(folder / "verdict.json")
        # the report embeds the figures just written: each is rendered once
        return [*files, write_report(analysis, folder, [f for f in files if f.suffix == ".png"],
                                     verdict=verdict)]

    return _write_atomically(out, write)


def write_sweep(table, out: str | Path | OutputFolder, *, path: str,
                quantities: list[str]) -> list[Path]:
    """Write ``sweep.csv`` and ``sweep.png`` (one panel per quantity) into ``out``, atomically.

    Parameters
    ----------
    table : DataFrame
        From :func:`simulator.analyse.sweeps.sweep`.
    out : str, Path or OutputFolder
        Output folder, replaced as a whole (as for :func:`write_run`).
    path : str
        The swept key path.
    quantities : list of str
        Quantities to plot.

    Returns
    -------
    list of Path
    """
    def write(folder: Path) -> list[Path]:
        table.to_csv(folder / "sweep.csv", index=False)
        fig = Figure(figsize=(8, 3.6 * len(quantities)), layout="constrained")
        axes = fig.subplots(len(quantities), 1, squeeze=False)[:, 0]
        for ax, quantity in zip(axes, quantities, strict=True):
            plots.sweep_chart(table, quantity=quantity, path=path, ax=ax)
        fig.suptitle(f"Sweep of {path}: every value on the same draws")
        fig.savefig(folder / "sweep.png", dpi=110)
        return [folder / "sweep.csv", folder / "sweep.png"]

    return _write_atomically(out, write)


def _write_atomically(out: str | Path | OutputFolder,
                      write: Callable[[Path], list[Path]]) -> list[Path]:
    """Let ``write`` fill the output folder's staging folder, then swap it into place (see
    :mod:`simulator.report.run_folder`); on any failure or interrupt the output folder is
    unchanged."""
    folder = out if isinstance(out, OutputFolder) else OutputFolder.prepare(out)
    try:
        names = [p.name for p in write(folder.staging)]
        check()  # an interrupt whose exception was lost on the way must not be committed
        folder.commit(names)
    except BaseException:
        folder.discard()
        raise
    return [folder.path / n for n in names]


def _plain(value):
    """JSON for NumPy scalars and tuples in a verdict's numbers."""
    return value.item() if hasattr(value, "item") else str(value)


def write_optimize(search, regret, robust, out: str | Path | OutputFolder, *,
                   wall_seconds: float = 0.0,
                   extra: dict | None = None) -> list[Path]:
    """Write a lever search into ``out``, atomically: ``frontier.csv`` (every candidate),
    ``regret.csv`` (when a regret table is given), ``frontier.png`` and ``manifest.json``.

    Parameters
    ----------
    search : simulator.analyse.optimize.LeverSearch
    regret : DataFrame or None
        :func:`simulator.analyse.robustness.regret_table`.
    robust : (str, str) or None
        The robust choice and its reason.
    out : str, Path or OutputFolder
        Output folder, replaced as a whole (as for :func:`write_run`).
    wall_seconds : float
        Time the search took, for the manifest [s].
    extra : dict, optional
        More entries for the manifest (e.g. the command's overrides and variants).

    Returns
    -------
    list of Path
    """
    from simulator.report.optimize import frontier_chart
    from simulator.results.container import provenance
    from simulator.run.plan import CHUNK_SIZE

    ev = search.evaluation
    sc = ev.scenario

    def write(folder: Path) -> list[Path]:
        files = [folder / "frontier.csv"]
        search.table.to_csv(files[0], index=False)
        if regret is not None:
            files.append(folder / "regret.csv")
            regret.to_csv(files[-1], index=False)
        fig = Figure(figsize=(8.5, 5.5), layout="constrained")
        frontier_chart(search.table, ev.objectives, ax=fig.subplots(),
                       dependence_label=None)
        fig.suptitle(f"{sc.name}: {len(search.table)} strategies on the same "
                     f"{ev.trials:,} trials (frontier circled)")
        files.append(folder / "frontier.png")
        fig.savefig(files[-1], dpi=110)
        manifest = provenance(sc, seed=ev.seed, trials=ev.trials, chunk_size=CHUNK_SIZE,
                              design=sc.sampling.design, wall_seconds=wall_seconds)
        manifest.update(command="optimize", method=search.method,
                        objectives=[s.text for s in ev.objectives],
                        constraints=[c.text for c in ev.constraints],
                        robust_choice=None if robust is None else robust[0],
                        robust_reason=None if robust is None else robust[1], **(extra or {}))
        files.append(folder / "manifest.json")
        files[-1].write_text(json.dumps(manifest, indent=2, default=str))
        return files

    return _write_atomically(out, write)
