"""NaN or infinity never reaches an output silently."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import simulate
from simulator.cli import main
from simulator.errors import NumericalError
from simulator.io.loading import scenario_from_dict


def test_overflowing_growth_names_its_input(tiny):
    tiny["demand"]["growth"]["initial"] = 1e200
    tiny["horizon"]["end"] = 2030
    with pytest.raises(NumericalError, match=r"demand units in trial 0.*demand.growth.initial"):
        simulate(scenario_from_dict(tiny), trials=3)


def test_cli_reports_overflow_without_traceback(tiny, write_scenario, capsys):
    tiny["suppliers"]["a"]["price_per_unit"] = 1e306
    tiny["suppliers"]["a"]["price_performance_gain"] = 0.0
    code = main([str(write_scenario(tiny)), "-q", "--trials", "10"])
    err = capsys.readouterr().err
    assert code == 2
    assert "non-finite" in err and "suppliers.a.price_per_unit = 1e+306" in err
    assert "Traceback" not in err and "RuntimeWarning" not in err


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("as_float32", [True, False])
def test_the_sum_first_decides_as_the_extremes_do(dtype, as_float32):
    """A finite sum passes at once; every other case is decided by the extremes: the same
    answer as reading the extremes alone, for NaN, infinities, finite values whose sum
    overflows, and float64 values beyond float32's range."""
    from simulator.run import guard

    def by_extremes(v: np.ndarray) -> bool:
        limit = guard.FLOAT32_MAX if as_float32 else np.inf
        low, high = float(v.min()), float(v.max())
        return -limit <= low and high <= limit and np.isfinite(low) and np.isfinite(high)

    big = float(np.finfo(dtype).max) / 2
    cases = {"ordinary": [1.0, 2e12, 0.0], "nan": [1.0, np.nan, 3.0], "inf": [np.inf, 1.0],
             "-inf": [-np.inf, 2.0], "both": [np.inf, -np.inf], "sum overflows": [big] * 4,
             "beyond float32": [1.0, 1e39], "empty": []}
    for name, values in cases.items():
        with np.errstate(over="ignore"):
            v = np.array(values, dtype=dtype).reshape(1, -1)
        expected = True if not v.size else by_extremes(v)
        assert guard._in_range(v, as_float32) == expected, name
