"""NaN or infinity never reaches an output silently."""

from __future__ import annotations

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
