"""Write a run's outputs to a folder: CSV tables (text cells made safe to open in a spreadsheet),
a JSON manifest and verdict, PNG figures (drawn by :mod:`simulator.report.figure_files`), the
HTML report and, on request, per-trial Parquet files; also a sweep's and a lever search's outputs.

Files are written into a hidden sibling folder and swapped into place only when complete, so an
interrupted run never leaves a half-written result that looks complete, and an existing output
folder is replaced as a whole or not at all; a folder holding anything the program did not write
is refused (see :mod:`simulator.report.run_folder`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulator.analysis.overview import Analysis
from simulator.interrupts import check, checkpoint
from simulator.report import plots_analysis
from simulator.report.figure_files import EarlyFigures, write_figures
from simulator.report.html import write_report
from simulator.report.run_folder import OutputFolder
from simulator.report.verdict import Verdict, build_verdict
from simulator.results.breakdown import dependence_reasons, inhouse_saving_breakdown
from simulator.results.container import Results

#: First characters that make a spreadsheet read a text cell as a formula (OWASP, "CSV
#: injection"): a claim named ``=HYPERLINK(...)`` would otherwise run when claims.csv is opened.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text value that starts like a formula, prefixed with ``'`` so that spreadsheet tools
    show it as text; anything else (numbers included) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write a table as CSV (no index), every text cell and column name made
    :func:`spreadsheet_safe`. Every CSV the package writes goes through here.

    Parameters
    ----------
    table : DataFrame
    path : Path

    Returns
    -------
    Path
    """
    safe = table.copy()
    for column in safe.columns:
        if not (pd.api.types.is_numeric_dtype(safe[column])
                or pd.api.types.is_bool_dtype(safe[column])):
            safe[column] = safe[column].map(spreadsheet_safe)
    safe.columns = [spreadsheet_safe(c) for c in safe.columns]
    safe.to_csv(path, index=False)
    return path


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
        write_csv(table, folder / name)
        files.append(folder / name)
    manifest = folder / "manifest.json"
    meta = dict(results.provenance)
    if analysis.batches is not None:
        meta["precision_batches"] = analysis.batches
    manifest.write_text(json.dumps(meta, indent=2, default=str) + "\n")
    return [*files, manifest]


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
              verdict: Verdict | None = None, early: EarlyFigures | None = None) -> list[Path]:
    """Write every output of a run into ``out``, atomically.

    Parameters
    ----------
    analysis : Analysis
        From :func:`simulator.analysis.overview.analyse`.
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
    early : EarlyFigures, optional
        Figures started by :func:`simulator.report.figure_files.start_figures` before the
        analysis; collected here (and closed, whatever happens).

    Returns
    -------
    list of Path
        The files written (inside ``out``).
    """
    verdict = build_verdict(analysis) if verdict is None else verdict

    def write(folder: Path) -> list[Path]:
        files = write_tables(analysis, folder)
        checkpoint("writing")
        analysis.results.paths()  # drawn by two figures: computed once, before workers fork
        files += write_figures(analysis, folder, early=early)
        files += write_parquet(analysis.results, folder) if parquet else []
        (folder / "verdict.json").write_text(json.dumps(verdict.to_dict(), indent=2,
                                                        default=_plain) + "\n")
        files.append(folder / "verdict.json")
        # the report embeds the figures just written: each is rendered once
        return [*files, write_report(analysis, folder, [f for f in files if f.suffix == ".png"],
                                     verdict=verdict)]

    try:
        return _write_atomically(out, write)
    finally:
        if early is not None:
            early.close()


def write_sweep(table, out: str | Path | OutputFolder, *, path: str,
                quantities: list[str]) -> list[Path]:
    """Write ``sweep.csv`` and ``sweep.png`` (one panel per quantity) into ``out``, atomically.

    Parameters
    ----------
    table : DataFrame
        From :func:`simulator.analysis.sweeps.sweep`.
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
        write_csv(table, folder / "sweep.csv")
        fig = Figure(figsize=(8, 3.6 * len(quantities)), layout="constrained")
        axes = fig.subplots(len(quantities), 1, squeeze=False)[:, 0]
        for ax, quantity in zip(axes, quantities, strict=True):
            plots_analysis.sweep_chart(table, quantity=quantity, path=path, ax=ax)
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
    search : simulator.analysis.optimize.LeverSearch
    regret : DataFrame or None
        :func:`simulator.analysis.robustness.regret_table`.
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
    from simulator.results.provenance import provenance
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
