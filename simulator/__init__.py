"""AI infrastructure cost scenario simulator.

The public API, shared by the ``simulate`` command and notebooks::

    from simulator import load_scenario, simulate

    scenario = load_scenario("scenarios/base.yaml")
    variant = scenario.override({"demand.growth.initial.high": 2.5})
    results = simulate(variant, trials=20_000, seed=1)
    results.summary()          # headline metrics per strategy, with Monte Carlo errors
    results.yearly()           # spend by strategy, year and category
    results.comparison()       # paired differences against the baseline strategy
    results.claims(["cumulative_spend through 2030 >= 7T"])
    results.plot_fan()         # every plot_* method returns a matplotlib Axes

Further: :func:`analyse` (claims, sensitivity, what must be true), :func:`sweep`,
:func:`goal_seek`, :func:`tornado`, :func:`sobol_analysis`.
"""

import importlib
from typing import Any

#: Public names and the modules that define them. They load on first use (PEP 562), so that
#: ``import simulator`` and the ``simulate`` command start without pandas and matplotlib.
_EXPORTS = {
    "Analysis": "simulator.analysis", "analyse": "simulator.analysis",
    "claim_box": "simulator.discovery", "conditional_inputs": "simulator.discovery",
    "goal_seek": "simulator.discovery", "simulate": "simulator.engine",
    "ScenarioError": "simulator.errors", "load_scenario": "simulator.loading",
    "Results": "simulator.results", "Scenario": "simulator.scenario",
    "rank_correlations": "simulator.sensitivity", "sobol_analysis": "simulator.sensitivity",
    "tornado": "simulator.sensitivity", "sweep": "simulator.sweeps",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "Analysis",
    "Results",
    "Scenario",
    "ScenarioError",
    "analyse",
    "claim_box",
    "conditional_inputs",
    "goal_seek",
    "load_scenario",
    "rank_correlations",
    "simulate",
    "sobol_analysis",
    "sweep",
    "tornado",
]
__version__ = "0.1.0"
