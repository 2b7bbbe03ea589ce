"""AI infrastructure cost scenario simulator.

The public API::

    from simulator import load_scenario, simulate
    scenario = load_scenario("scenarios/base.yaml")
    results = simulate(scenario, trials=20_000, seed=1)
    results.summary()        # per-strategy distribution of headline metrics
    results.yearly()         # spend by strategy, year and category
"""

from simulator.engine import simulate
from simulator.errors import ScenarioError
from simulator.results import Results
from simulator.scenario import Scenario, load_scenario

__all__ = ["Results", "Scenario", "ScenarioError", "load_scenario", "simulate"]
__version__ = "0.1.0"
