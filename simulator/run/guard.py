"""The finite-value guard: no NaN or infinity reaches an output unnoticed."""

from __future__ import annotations

import numpy as np

from simulator.errors import NumericalError
from simulator.model.chunk import ChunkOutput
from simulator.results.fields import TRIAL_FIELDS
from simulator.sample.draws import Draws
from simulator.spec.range_checks import input_ranges
from simulator.spec.scenario import Scenario

FLOAT32_MAX = float(np.finfo(np.float32).max)

#: Outputs that must be finite (NaN is allowed where documented: shares without purchases,
#: in-house metrics of strategies without a program; inf only for "never" years).
_MUST_BE_FINITE = ("annual", "npv", "installed_gw", "unmet_units", "economic_cost",
                   "committed_lease", "operating_cash_flow", "funding", "interest",
                   "work_in_progress")


#: Growth of required compute over the horizon beyond which an overflow is blamed on the demand
#: inputs: a million-fold is far beyond any scenario (base.yaml's P95 is about 50-fold).
DEMAND_RUNAWAY = 1e6


def _suspects(scenario: Scenario, draws: Draws, trial: int, paths: list[str], n: int = 3
              ) -> list[str]:
    """The inputs of one trial most likely to have caused an overflow: furthest outside their
    field's usual range (in decades), then largest in magnitude."""
    ranges = input_ranges(scenario)

    def oddness(path: str) -> tuple[float, float]:
        x = abs(float(draws.values[path][trial]))
        p = ranges.get(path)
        if p is None or not np.isfinite(x):
            return (np.inf if not np.isfinite(x) else 0.0, x)
        lo, hi = p.usual
        with np.errstate(all="ignore"):
            decades = max(np.log10(x / hi) if hi > 0 and x > hi else 0.0,
                          np.log10(lo / x) if lo > 0 and 0 < x < lo else 0.0)
        return (float(decades), x)

    return sorted(paths, key=oddness, reverse=True)[:n]


def _in_range(value: np.ndarray, as_float32: bool) -> bool:
    """Whether every value is finite (and, if stored as float32, within its range): the
    extremes decide it, and a NaN anywhere makes them NaN.

    First, in one pass instead of two, the sum: a NaN or infinity anywhere makes it NaN or
    infinite, so a finite sum means every value is finite (and float32 values are within
    float32's range); only a sum that is not (an overflow of finite values, or a bad value)
    reads the extremes.
    """
    if not value.size:
        return True
    if value.dtype == np.float32 or not as_float32:
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(value.sum()):
                return True
    low, high = float(value.min()), float(value.max())
    limit = FLOAT32_MAX if as_float32 else np.inf
    return -limit <= low and high <= limit and np.isfinite(low) and np.isfinite(high)


def check_finite(scenario: Scenario, draws: Draws, out: ChunkOutput, *, first_trial: int = 0
                 ) -> None:
    """Refuse to let NaN or infinity reach an output.

    Raises
    ------
    NumericalError
        Naming the first bad trial, the output, and the inputs that most likely caused it: the
        demand inputs when demand itself ran away (grew over ``DEMAND_RUNAWAY``-fold), else
        that trial's inputs furthest outside their usual ranges, then largest in magnitude.
    """
    for name in ("demand_units", *_MUST_BE_FINITE):
        value = getattr(out, name)
        if _in_range(value, TRIAL_FIELDS.get(name, (None,))[0] == np.float32):
            continue  # the common case, in two passes without temporaries
        bad = ~np.isfinite(value)
        if TRIAL_FIELDS.get(name, (None,))[0] == np.float32:
            bad |= np.abs(value) > FLOAT32_MAX  # would become inf when stored
        if not bad.any():
            continue
        trial = int(np.argmax(bad.reshape(-1, value.shape[-1]).any(axis=0)))
        paths = list(draws.values)  # fixed inputs too: a fixed 1e306 overflows as well
        demand = np.asarray(out.demand_units, dtype=np.float64)[:, trial]
        with np.errstate(all="ignore"):
            runaway = not np.isfinite(demand).all() or demand.max() > DEMAND_RUNAWAY * max(
                float(demand[0]), 1e-300)
        if name == "demand_units" or runaway:  # compounding growth, not a price, overflowed
            demand_paths = [p for p in paths if p.startswith("demand.")] or paths
            suspects = _suspects(scenario, draws, trial, demand_paths)
        else:
            suspects = _suspects(scenario, draws, trial, paths)
        values = ", ".join(f"{p} = {float(draws.values[p][trial]):.4g}" for p in suspects)
        raise NumericalError(
            f"the model produced a non-finite or out-of-range {name.replace('_', ' ')} in trial "
            f"{first_trial + trial:,} (overflow or an invalid operation); likely cause: "
            f"{values}. Narrow the distributions that can reach such values, or bound them "
            "with min/max.")
