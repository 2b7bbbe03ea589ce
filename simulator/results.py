"""Results of a simulation: frozen raw per-trial arrays, provenance, and summaries on demand.

Axis order and units are fixed (see :class:`Results`); summaries are computed from the raw
arrays when asked for, never stored.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from simulator.scenario import Scenario

#: Percentiles reported in tables [%].
PERCENTILES = (5, 25, 50, 75, 95)


def provenance(scenario: Scenario, *, seed: int, trials: int, chunk_size: int,
               wall_seconds: float) -> dict[str, Any]:
    """What is needed to reproduce a run: scenario identity, seed, sizes and package versions."""
    versions = {}
    for pkg in ("simulator", "numpy", "scipy", "pandas", "pydantic", "matplotlib", "pyyaml"):
        try:
            versions[pkg] = metadata.version("ai-infra-simulator" if pkg == "simulator" else pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "scenario": scenario.name,
        "scenario_file": scenario.source_file,
        "scenario_file_sha256": scenario.source_sha256,
        "scenario_content_sha256": scenario.content_hash(),
        "seed": seed,
        "trials": trials,
        "chunk_size": chunk_size,
        "design": "random",
        "python": platform.python_version(),
        "versions": versions,
        "wall_seconds": round(wall_seconds, 4),
    }


@dataclass(frozen=True, eq=False)
class Results:
    """Per-trial outputs of :func:`simulator.simulate`.

    Attributes
    ----------
    scenario : Scenario
        The scenario simulated.
    strategies : tuple of str, length S
    years : ndarray, shape (T,)
        Calendar years.
    categories : tuple of str, length C
        Spend categories (``accelerators_<supplier>``, ``servers_networking``, ``datacentre``,
        ``energy``, ``operations``).
    spend : ndarray, shape (S, n, T, C), float32
        Spend by strategy, trial, year and category [USD, nominal].
    annual : ndarray, shape (S, n, T), float64
        Total spend per year, summed in float64 [USD, nominal].
    npv : ndarray, shape (S, n), float64
        Present value of all spend at the start year [USD].
    installed_gw : ndarray, shape (S, n, T), float32
        IT power of the fleet in service [GW].
    demand_units : ndarray, shape (n, T), float32
        Required installed compute [compute units].
    inputs : dict of str to ndarray, each shape (n,)
        The sampled value of every input, by key path [input's unit].
    provenance : dict
        Scenario hashes, seed, trials, chunk size, versions and wall time.
    """

    scenario: Scenario
    strategies: tuple[str, ...]
    years: np.ndarray
    categories: tuple[str, ...]
    spend: np.ndarray
    annual: np.ndarray
    npv: np.ndarray
    installed_gw: np.ndarray
    demand_units: np.ndarray
    inputs: dict[str, np.ndarray] = field(repr=False)
    provenance: dict[str, Any] = field(repr=False)

    def __post_init__(self) -> None:
        for arr in (self.spend, self.annual, self.npv, self.installed_gw, self.demand_units,
                    *self.inputs.values()):
            arr.flags.writeable = False

    def __repr__(self) -> str:
        return (f"Results(scenario={self.scenario.name!r}, strategies={list(self.strategies)}, "
                f"trials={self.n_trials}, years={self.years[0]}-{self.years[-1]})")

    @property
    def n_trials(self) -> int:
        return self.npv.shape[1]

    def _year_index(self, year: int | None) -> int:
        if year is None:
            return len(self.years) - 1
        if not self.years[0] <= year <= self.years[-1]:
            raise ValueError(f"year {year} is outside the horizon {self.years[0]}-{self.years[-1]}")
        return int(year - self.years[0])

    def cumulative(self, through: int | None = None) -> np.ndarray:
        """Cumulative spend from the start year through ``through`` (default: the last year).

        Returns
        -------
        ndarray, shape (S, n), float64 [USD, nominal]
        """
        return self.annual[:, :, : self._year_index(through) + 1].sum(axis=2)

    def metrics(self) -> dict[str, tuple[str, np.ndarray]]:
        """Headline per-trial metrics: name -> (unit, array of shape (S, n))."""
        end = int(self.years[-1])
        return {
            "cumulative_spend": ("USD", self.cumulative()),
            "npv": ("USD", self.npv),
            f"spend_{end}": ("USD", self.annual[:, :, -1]),
            "installed_gw": ("GW", self.installed_gw[:, :, -1].astype(np.float64)),
        }

    def summary(self) -> pd.DataFrame:
        """Distribution of each headline metric per strategy.

        Returns
        -------
        DataFrame
            Columns ``strategy, metric, unit, mean, mean_se, p5, p25, p50, p75, p95``;
            ``mean_se`` is the Monte Carlo standard error of the mean.
            ``cumulative_spend`` runs through the horizon's last year; ``installed_gw`` is at it.
        """
        rows = []
        for metric, (unit, values) in self.metrics().items():
            q = np.percentile(values, PERCENTILES, axis=1)  # (P, S)
            mean = values.mean(axis=1)
            se = values.std(axis=1, ddof=1) / np.sqrt(self.n_trials) if self.n_trials > 1 \
                else np.full(len(self.strategies), np.nan)
            for i, s in enumerate(self.strategies):
                rows.append({"strategy": s, "metric": metric, "unit": unit, "mean": mean[i],
                             "mean_se": se[i],
                             **{f"p{p}": q[k, i] for k, p in enumerate(PERCENTILES)}})
        return pd.DataFrame(rows)

    def yearly(self) -> pd.DataFrame:
        """Spend per strategy, year and category, plus a ``total`` category.

        Returns
        -------
        DataFrame
            Columns ``strategy, year, category, mean, p5, p25, p50, p75, p95`` [USD, nominal].
        """
        frames = []
        cats = [*self.categories, "total"]
        for i, s in enumerate(self.strategies):
            # (n, T, C+1): the total is the float64 sum, not a sum of float32 parts
            block = np.concatenate([self.spend[i].astype(np.float64),
                                    self.annual[i][:, :, None]], axis=2)
            q = np.percentile(block, PERCENTILES, axis=0)  # (P, T, C+1)
            mean = block.mean(axis=0)
            grid_year, grid_cat = np.meshgrid(self.years, cats, indexing="ij")
            data = {"strategy": s, "year": grid_year.ravel(), "category": grid_cat.ravel(),
                    "mean": mean.ravel()}
            data.update({f"p{p}": q[k].ravel() for k, p in enumerate(PERCENTILES)})
            frames.append(pd.DataFrame(data))
        return pd.concat(frames, ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-trial data: one row per strategy, trial and year.

        Returns
        -------
        DataFrame
            Columns ``strategy, trial, year, spend [USD], installed_gw [GW],
            demand_units [compute units]`` and one column per spend category [USD].
        """
        n_s, n, n_t = self.annual.shape
        out = pd.DataFrame({
            "strategy": np.repeat(np.array(self.strategies), n * n_t),
            "trial": np.tile(np.repeat(np.arange(n), n_t), n_s),
            "year": np.tile(self.years, n_s * n),
            "spend": self.annual.ravel(),
            "installed_gw": self.installed_gw.ravel(),
            "demand_units": np.tile(self.demand_units.ravel(), n_s),
        })
        for j, c in enumerate(self.categories):
            out[c] = self.spend[..., j].ravel()
        return out
