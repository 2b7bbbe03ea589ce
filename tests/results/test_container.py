"""Results: frozen per-trial arrays in the axis order of results/fields, totals and tables that
agree with the arrays they summarise."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import simulate
from simulator.io.loading import scenario_from_dict
from simulator.results.fields import TRIAL_FIELDS
from tests.model.test_chunk import hand_computed_tiny


@pytest.fixture
def results(tiny):
    return simulate(scenario_from_dict(tiny), trials=6, seed=0)


def test_every_per_trial_field_has_the_declared_dtype_and_axes(results):
    sizes = {"s": len(results.strategies), "n": results.n_trials, "t": len(results.years)}
    for name, (dtype, axes) in TRIAL_FIELDS.items():
        value = getattr(results, name)
        assert value.dtype == dtype, name
        assert value.shape == tuple(sizes[a] for a in axes), name
        assert results.TRIAL_AXIS[name] == axes.index("n")


def test_arrays_are_frozen(results):
    with pytest.raises(ValueError, match="read-only"):
        results.annual[0, 0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        results.npv[0, 0] = 1.0


def test_cumulative_spend_and_summary_agree_with_the_hand_computation(results):
    hand = hand_computed_tiny()
    for i, strategy in enumerate(results.strategies):
        np.testing.assert_allclose(results.cumulative()[i], hand[strategy].sum(), rtol=1e-6)
        np.testing.assert_allclose(results.cumulative(2026)[i], hand[strategy][:2].sum(),
                                   rtol=1e-6)
    table = results.summary().set_index(["strategy", "metric"])
    # every trial is the same fixed scenario: mean, percentiles and their spread coincide
    row = table.loc[("only_a", "cumulative_spend")]
    assert row["unit"] == "USD"
    assert row["mean"] == pytest.approx(hand["only_a"].sum(), rel=1e-6)
    assert row["p5"] == pytest.approx(row["p95"], rel=1e-9)


def test_head_keeps_the_first_trials_as_views(results):
    head = results.head(3)
    assert head.n_trials == 3 and head.trials_total == results.trials_total
    np.testing.assert_array_equal(head.annual, results.annual[:, :3])
    assert np.shares_memory(head.annual, results.annual)


def test_to_frame_has_one_row_per_strategy_trial_and_year(results):
    frame = results.to_frame()
    assert len(frame) == len(results.strategies) * results.n_trials * len(results.years)
    assert frame["spend"].sum() == pytest.approx(float(results.annual.sum(dtype=np.float64)),
                                                 rel=1e-9)
