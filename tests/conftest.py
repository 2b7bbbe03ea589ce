"""Shared fixtures: a tiny fully-fixed scenario whose spend can be computed by hand."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

#: Relative tolerance for engine outputs against hand calculations: the engine computes in
#: float32 (``simulator.model.chunk.DTYPE``, rounding 6e-8 per operation).
ENGINE_RTOL = 1e-6

TINY = {
    "name": "tiny",
    "scope": "test scenario",
    "horizon": {"start": 2025, "end": 2027},
    "trials": 4,
    "seed": 1,
    "discount_rate": 0.1,
    "demand": {
        "start": {"compute_units": 100},
        "growth": {"initial": 0.5, "decay": 0.0, "noise_sd": 0.0},
    },
    "fleet": {"lifetime_years": 2},
    "suppliers": {
        "a": {"price_per_unit": 10, "price_performance_gain": 0.25, "kw_per_unit": 2,
              "power_efficiency_gain": 1.0},
        "b": {"price_per_unit": 4, "kw_per_unit": 2, "power_efficiency_gain": 1.0},
    },
    "strategies": {
        "only_a": {"shares": {"a": 1}},
        "a_to_b": {"shares": {"2025": {"a": 1}, "2027": {"b": 1}}},
    },
    "servers_networking": {"cost_per_unit": 5, "price_performance_gain": 0.25},
    "datacentre": {"cost_per_mw": 1000},
    "energy": {"price_per_mwh": 100, "pue": 1.2, "utilisation": 0.5},
    "operations": {"cost_per_mw_year": 300},
}


@pytest.fixture
def tiny() -> dict:
    """A deep copy of the tiny scenario as plain data."""
    return copy.deepcopy(TINY)


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write plain data (or raw text) as a YAML file and return its path."""

    def write(data: dict | str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return path

    return write


#: Pass as the value to :func:`set_key` to delete the key.
DELETE = object()


def set_key(data: dict, dotted: str, value) -> dict:
    """Set (or, with ``DELETE``, remove) ``data[a][b][c]`` for ``dotted = "a.b.c"``; returns data."""
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "scenarios" / "base.yaml"


def pytest_configure(config: pytest.Config) -> None:
    # the tiny scenario's prices ($10 per unit, $1,000 per MW) are far outside the usual ranges
    # on purpose (sums a reader can check); tests of the warning itself use pytest.warns
    from simulator.spec.range_checks import UnusualValueWarning

    config.addinivalue_line("filterwarnings", f"ignore::{UnusualValueWarning.__module__}."
                            f"{UnusualValueWarning.__qualname__}")
