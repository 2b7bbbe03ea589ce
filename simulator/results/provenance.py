"""What is needed to reproduce a run: scenario identity, seed, sizes and package versions.

:func:`provenance` builds the record a run keeps with its :class:`~simulator.results.container.Results`
and writes beside its tables; the installed package versions are looked up once per process.
"""

from __future__ import annotations

import functools
import platform
from importlib import metadata
from typing import Any

from simulator.spec.scenario import Scenario


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
