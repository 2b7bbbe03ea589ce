"""The run: plans cut trials into chunks with their own streams, simulate() checks its
arguments and records how a run was made."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator import simulate
from simulator.io.loading import scenario_from_dict
from simulator.run.plan import RunPlan, chunk_rng


@given(trials=st.integers(1, 10_000), chunk=st.integers(1, 4096))
def test_chunks_cover_every_trial_once(trials, chunk):
    plan = RunPlan(scenario=None, trials=trials, seed=0, design=None, chunk_size=chunk,
                   keep_spend=False)
    bounds = [plan.chunk_bounds(k) for k in range(plan.n_chunks)]
    assert bounds[0][0] == 0 and bounds[-1][1] == trials
    assert all(hi == lo2 for (_, hi), (lo2, _) in itertools.pairwise(bounds))
    assert all(0 < hi - lo <= chunk for lo, hi in bounds)


def test_chunk_streams_are_independent_of_each_other_and_reproducible():
    a, b = chunk_rng(5, 0).random(4), chunk_rng(5, 1).random(4)
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(a, chunk_rng(5, 0).random(4))


@pytest.mark.parametrize("kwargs, message", [({"trials": 0}, "trials must be at least 1"),
                                             ({"chunk_size": 0}, "chunk_size must be at least 1")])
def test_simulate_refuses_impossible_arguments(tiny, kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate(scenario_from_dict(tiny), **kwargs)


def test_provenance_records_how_the_run_was_made(tiny):
    r = simulate(scenario_from_dict(tiny), trials=5, seed=11, chunk_size=2)
    p = r.provenance
    assert (p["seed"], p["trials"], p["chunk_size"], p["workers"], p["backend"]) == \
        (11, 5, 2, 1, "local")
