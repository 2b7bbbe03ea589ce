"""AI infrastructure cost scenario simulator.

The public API, shared by the ``simulate`` command and notebooks::

    from simulator import evaluate_claims, load_scenario, override, simulate
    from simulator.report import plots

    scenario = load_scenario("scenarios/base.yaml")
    variant = override(scenario, {"demand.growth.initial.high": 2.5})
    results = simulate(variant, trials=20_000, seed=1)
    results.summary()          # headline metrics per strategy, with Monte Carlo errors
    results.yearly()           # spend by strategy, year and category
    results.comparison()       # paired differences against the baseline strategy
    evaluate_claims(results, ["cumulative_spend through 2030 >= 7T"])
    plots.fan_chart(results)   # every plot function takes an optional ax and returns the Axes

Further: :func:`analyse` (claims, sensitivity, what must be true), :func:`sweep`,
:func:`goal_seek`, :func:`tornado`, :func:`sobol_analysis`, :func:`optimize` (lever settings on
a cost-dependence-risk frontier) and :func:`explore` (an interactive explorer in a notebook,
with ``pip install ".[explore]"``).
"""

import importlib
from typing import Any

#: Public names and the modules that define them. They load on first use (PEP 562), so that
#: ``import simulator`` and the ``simulate`` command start without pandas and matplotlib.
_EXPORTS = {
    "evaluate_claims": "simulator.analysis.claims", "override": "simulator.io.overrides",
    "Analysis": "simulator.analysis.overview", "analyse": "simulator.analysis.overview",
    "claim_box": "simulator.analysis.discovery", "conditional_inputs": "simulator.analysis.discovery",
    "goal_seek": "simulator.analysis.discovery", "simulate": "simulator.run.engine",
    "ScenarioError": "simulator.errors", "load_scenario": "simulator.io.loading",
    "Results": "simulator.results.container", "Scenario": "simulator.spec.scenario",
    "rank_correlations": "simulator.analysis.sensitivity", "sobol_analysis": "simulator.analysis.sensitivity",
    "tornado": "simulator.analysis.sensitivity", "sweep": "simulator.analysis.sweeps",
    "optimize": "simulator.analysis.optimize",
    "crossing": "simulator.analysis.sweeps",
    "Verdict": "simulator.report.verdict", "build_verdict": "simulator.report.verdict",
    "explore": "simulator.report.explorer_serve",
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
    "Verdict",
    "analyse",
    "build_verdict",
    "claim_box",
    "conditional_inputs",
    "crossing",
    "evaluate_claims",
    "explore",
    "goal_seek",
    "load_scenario",
    "optimize",
    "override",
    "rank_correlations",
    "simulate",
    "sobol_analysis",
    "sweep",
    "tornado",
]
__version__ = "0.1.0"
