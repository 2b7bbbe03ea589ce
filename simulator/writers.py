"""Write a run's outputs to a folder: CSV tables, a JSON manifest and PNG figures.

Files are written into a temporary sibling folder and moved into place only when complete, so an
interrupted run never leaves a half-written result that looks complete, and an existing output
folder is replaced as a whole or not at all.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # writers never need a screen
import matplotlib.pyplot as plt

from simulator import plots
from simulator.results import Results


def _grid(n: int, *, width: float = 6.0, height: float = 3.8):
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False,
                             sharey=True, layout="constrained")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()[:n]


def _per_strategy_figure(results: Results, draw: Callable, path: Path, title: str) -> None:
    fig, axes = _grid(len(results.strategies))
    for ax, s in zip(axes, results.strategies, strict=True):
        draw(results, strategy=s, ax=ax)
        ax.yaxis.set_tick_params(labelleft=True)
    fig.suptitle(title)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_tables(results: Results, folder: Path) -> list[Path]:
    """Write ``summary.csv``, ``yearly.csv``, ``indicators.csv``, ``comparison.csv`` (with more
    than one strategy) and ``manifest.json`` into an existing folder."""
    folder = Path(folder)
    tables = {
        "summary.csv": results.summary,
        "yearly.csv": results.yearly,
        "indicators.csv": results.indicators,
    }
    if len(results.strategies) > 1:
        tables["comparison.csv"] = results.comparison
    files = []
    for name, table in tables.items():
        table().to_csv(folder / name, index=False)
        files.append(folder / name)
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps(results.provenance, indent=2) + "\n")
    return [*files, manifest]


def write_figures(results: Results, folder: Path) -> list[Path]:
    """Write ``fan_chart.png``, ``spend_by_category.png`` and ``strategies.png`` (with more than
    one strategy) into an existing folder."""
    folder = Path(folder)
    name = results.scenario.name
    fan = folder / "fan_chart.png"
    _per_strategy_figure(results, plots.fan_chart, fan, f"{name}: annual spend, all categories")
    breakdown = folder / "spend_by_category.png"
    _per_strategy_figure(results, plots.category_breakdown, breakdown,
                         f"{name}: mean annual spend by category")
    files = [fan, breakdown]
    if len(results.strategies) > 1:
        files.append(folder / "strategies.png")
        fig, axes = plt.subplots(2, 2, figsize=(14, 9), layout="constrained")
        plots.strategy_distributions(results, ax=axes[0, 0])
        plots.paired_difference(results, ax=axes[0, 1])
        plots.cumulative_paths(results, ax=axes[1, 0])
        plots.dependence_over_time(results, ax=axes[1, 1])
        fig.suptitle(f"{name}: sourcing strategies on the same {results.n_trials:,} draws")
        fig.savefig(files[-1], dpi=110)
        plt.close(fig)
    return files


def write_run(results: Results, out: str | Path) -> list[Path]:
    """Write every output of a run into ``out``, atomically.

    Parameters
    ----------
    results : Results
    out : str or Path
        Output folder. If it exists it is replaced as a whole once the new outputs are complete.

    Returns
    -------
    list of Path
        The files written (inside ``out``).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        names = [p.name for p in write_tables(results, tmp) + write_figures(results, tmp)]
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out / n for n in names]


def _replace_dir(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``; an existing ``target`` is swapped out and then deleted."""
    if not target.exists():
        os.replace(new, target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(old, target)  # put the previous results back
        raise
    shutil.rmtree(old, ignore_errors=True)
