"""The finite-value guard: no NaN or infinity reaches an output unnoticed."""

from __future__ import annotations

import numpy as np

from simulator.errors import NumericalError
from simulator.model.chunk import ChunkOutput
from simulator.results.fields import TRIAL_FIELDS
from simulator.sample.draws import Draws
from simulator.spec.scenario import Scenario

FLOAT32_MAX = float(np.finfo(np.float32).max)

#: Outputs that must be finite (NaN is allowed where documented: shares without purchases,
#: in-house metrics of strategies without a program; inf only for "never" years).
_MUST_BE_FINITE = ("annual", "npv", "installed_gw", "unmet_units", "economic_cost",
                   "committed_lease", "operating_cash_flow", "funding", "interest",
                   "work_in_progress")



def _in_range(value: np.ndarray, as_float32: bool) -> bool:
    """Whether every value is finite (and, if stored as float32, within its range): the
    extremes decide it, and a NaN anywhere makes them NaN."""
    if not value.size:
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
        demand inputs when the demand path itself overflowed, else that trial's inputs of
        largest magnitude.
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
        if name == "demand_units":
            suspects = [p for p in paths if p.startswith("demand.")] or paths
        else:
            suspects = sorted(paths, key=lambda p: -abs(float(draws.values[p][trial])))[:3]
        values = ", ".join(f"{p} = {float(draws.values[p][trial]):.4g}" for p in suspects)
        raise NumericalError(
            f"the model produced a non-finite or out-of-range {name.replace('_', ' ')} in trial "
            f"{first_trial + trial:,} (overflow or an invalid operation); likely cause: "
            f"{values}. Narrow the distributions that can reach such values, or bound them "
            "with min/max.")
