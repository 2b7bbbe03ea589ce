"""The analysis of a long run: rank correlations and what-must-be-true tables on a subsample."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from simulator import load_scenario, simulate
from simulator.analysis import overview as analysis
from simulator.analysis.discovery import claim_holds, conditional_inputs
from simulator.analysis.sensitivity import rank_correlations
from tests.conftest import BASE


def test_head_is_the_first_trials_sharing_memory():
    r = simulate(load_scenario(BASE), trials=3000, seed=2)
    h = r.head(700)
    assert h.n_trials == 700 and h.trials_total == 3000
    np.testing.assert_array_equal(h.annual, r.annual[:, :700])
    np.testing.assert_array_equal(h.demand_units, r.demand_units[:700])
    for path, values in r.inputs.items():
        np.testing.assert_array_equal(h.inputs[path], values[:700])
    for name, (_, values) in r.metrics().items():
        np.testing.assert_array_equal(h.metrics()[name][1], values[:, :700], err_msg=name)
    assert np.shares_memory(h.annual, r.annual)
    assert r.head(5000) is r


def test_long_runs_analyse_a_subsample_that_keeps_rare_cases(monkeypatch):
    """Beyond ANALYSIS_TRIALS, rank correlations use the first ANALYSIS_TRIALS trials; a claim
    gets as many trials as give RARE_CASES on its rarer side."""
    r = simulate(load_scenario(BASE), trials=4000, seed=2)
    monkeypatch.setattr(analysis, "ANALYSIS_TRIALS", 1000)
    monkeypatch.setattr(analysis, "RARE_CASES", 400)
    a = analysis.analyse(r)
    expected = rank_correlations(r.head(1000), metric=a.sensitivity_metric[0],
                                 year=a.sensitivity_metric[1])
    got = a.sensitivity.dropna(subset=["spearman"])[["strategy", "input", "spearman"]]
    merged = got.merge(expected, on=["strategy", "input"], suffixes=("", "_expected"))
    np.testing.assert_array_equal(merged["spearman"], merged["spearman_expected"])
    assert len(merged) == len(expected)
    checked = 0
    for claim in r.scenario.claims:
        holds = claim_holds(r, claim)
        rare = min(holds.sum(), len(holds) - holds.sum())
        if rare < 50 or claim.label not in set(a.drivers.get("claim", [])):
            continue
        n = max(1000, int(np.ceil(400 * len(holds) / rare)))
        table = conditional_inputs(r.head(n), claim)
        mine = a.drivers[a.drivers["claim"] == claim.label].reset_index(drop=True)
        pd.testing.assert_series_equal(mine["input"], table["input"], check_names=False)
        np.testing.assert_array_equal(mine["ks"], table["ks"])
        checked += 1
    assert checked >= 2  # each with more than 1,000 trials: 400 cases on its rarer side


def test_drivers_box_limits_are_floats_and_concatenate_without_dtype_warnings():
    """Each claim's box limits are float columns, NaN for an input the box leaves free (in
    both directions or one): the tables of several claims concatenate without pandas' warning
    about all-NA columns (pandas 2.1, the lowest version allowed) and the limits are the box's."""
    r = simulate(load_scenario(BASE), trials=3000, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        a = analysis.analyse(r)
    drivers = a.drivers
    assert drivers["claim"].nunique() >= 2
    assert drivers["box_low"].dtype == float and drivers["box_high"].dtype == float
    for label, box in a.boxes.items():
        rows = drivers[drivers["claim"] == label]
        for _, row in rows.iterrows():
            low, high = box.limits.get(row["input"], (np.nan, np.nan))
            np.testing.assert_equal((row["box_low"], row["box_high"]), (low, high))
