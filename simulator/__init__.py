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

from simulator.analysis import Analysis, analyse
from simulator.discovery import claim_box, conditional_inputs, goal_seek
from simulator.engine import simulate
from simulator.errors import ScenarioError
from simulator.loading import load_scenario
from simulator.results import Results
from simulator.scenario import Scenario
from simulator.sensitivity import rank_correlations, sobol_analysis, tornado
from simulator.sweep import sweep

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
