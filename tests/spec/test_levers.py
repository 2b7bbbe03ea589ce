"""The levers section: statistics and constraints as text, lever grids, and bad input named
by file and key path."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.errors import ScenarioError
from simulator.io.loading import scenario_from_dict
from simulator.spec.levers import Lever, parse_constraint, parse_statistic
from tests.optimize_cases import two_years


def test_statistics_read_from_text():
    s = parse_statistic("cvar95  cumulative_spend through 2030")
    assert (s.stat, s.level, s.metric.metric, s.metric.year, s.unit) == \
        ("cvar95", 0.95, "cumulative_spend", 2030, "USD")
    p = parse_statistic("P(unmet_demand > 5%)")
    assert p.event and p.metric.threshold == 0.05 and p.unit == "probability"
    c = parse_constraint("mean funding_gap through 2030 <= 300B")
    assert c.bound == 3e11 and c.op == "<=" and c.statistic.stat == "mean"
    assert c.trial_ok(np.array([2e11, 4e11])).tolist() == [True, False]
    # a probability bounded above is met per trial where the event does not happen
    q = parse_constraint("P(unmet_demand > 0.05) <= 0.1")
    assert q.trial_ok(np.array([0.01, 0.2])).tolist() == [True, False]


def test_lever_grids():
    share = Lever(kind="share", supplier="amd", low=0, high=0.3, step=0.15)
    np.testing.assert_allclose(share.grid(), [0, 0.15, 0.3])
    assert Lever(kind="share", supplier="amd", low=0, high=1).grid().tolist() == \
        [0, 0.25, 0.5, 0.75, 1]
    years = Lever(kind="target_year", low=2027, high=2030)
    assert years.grid().tolist() == [2027, 2028, 2029, 2030]
    # a step that does not divide the range still ends at high
    assert Lever(kind="share", supplier="a", low=0, high=1, step=0.4).grid().tolist() == \
        [0, 0.4, 0.8, 1]
    assert years.snap(np.array([0.0, 0.26, 0.99])).tolist() == [2027, 2028, 2030]


@pytest.mark.parametrize(("path", "value", "words"), [
    ("vary.amd_share.supplier", "amdd", "unknown supplier 'amdd'"),
    ("vary.amd_share.high", 1.5, "must lie in [0, 1]"),
    ("vary.amd_share.supplier", "nvidia", "remainder"),
    ("objectives", ["average npv"], "cannot read"),
    ("objectives", ["mean installed_gw"], "better when higher"),
    ("objectives", ["mean amd_share"], "dependence share is 'nvidia_share'"),
    ("constraints", ["P(unmet_demand > 0.05)"], "cannot read constraint"),
    ("template.target_year", 2024, "must come after"),
])
def test_bad_levers_name_the_key_path(path, value, words):
    data = two_years()
    node = data["levers"]
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    node[last] = value
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data, source="x.yaml")
    text = str(err.value)
    assert words in text and "x.yaml" in text and "levers" in text
