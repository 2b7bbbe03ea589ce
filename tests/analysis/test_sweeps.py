"""Where a swept quantity crosses a level (simulator.crossing): exact on hand-made tables, and
on a sweep of a fixed scenario whose spend is linear in the swept price."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from simulator import crossing, sweep
from simulator.io.loading import scenario_from_dict


def _table(values, ys, strategy="s", quantity="q"):
    return pd.DataFrame({"value": values, "strategy": strategy, "quantity": quantity,
                         "unit": "USD", "mean": ys, "p5": ys, "p50": ys, "p95": ys})


def test_linear_interpolation_between_swept_values():
    table = pd.concat([_table([1, 2, 4], [10.0, 6.0, -2.0]),
                       _table([1, 2, 4], [1.0, 2.0, 3.0], strategy="t")])
    got = crossing(table, "q", 0.0)
    assert list(got.index) == ["s", "t"]
    assert got["s"] == pytest.approx(3.5)  # 6 -> -2 between 2 and 4: zero at 2 + 2 * 6/8
    assert math.isnan(got["t"])            # never reaches 0
    assert crossing(table, "q", 6.0)["s"] == 2.0  # a swept value on the level is the crossing
    assert crossing(table, "q", 2.5)["t"] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="no quantity 'r'"):
        crossing(table, "r", 0.0)


def test_a_sweep_of_a_price_crosses_where_the_hand_calculation_says(tiny):
    """Every input fixed: cumulative spend of only_a is 310,476.25 + 252 x (price of a) USD
    (chips 100 + 50/1.25 + 175/1.25^2 = 252 units' worth at the start price; servers, 1,260
    per compute unit whatever the chip's price, and the rest as in tests/model/test_chunk.py);
    a_to_b's is 311,276.25 + 120 x price, which stays below 313,000 for prices up to 12."""
    table = sweep(scenario_from_dict(tiny), "suppliers.a.price_per_unit", [8, 10, 12],
                  trials=2, seed=1)
    got = crossing(table, "cumulative_spend", 313_000.0)
    assert got["only_a"] == pytest.approx((313_000 - 310_476.25) / 252, rel=1e-5)
    assert math.isnan(got["a_to_b"])
