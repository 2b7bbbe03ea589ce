"""The per-trial fields of a run: one home for their names, dtypes and axis order.

The engine computes each field trial axis last (:class:`simulator.model.chunk.ChunkOutput`);
:class:`~simulator.results.container.Results` keeps them in the axis order given here.
"""

from __future__ import annotations

import numpy as np

#: Per-trial fields kept in Results (named as in Results and ChunkOutput):
#: name -> (dtype, axes: s strategy, n trial, t year); ``Results.TRIAL_AXIS`` is the position
#: of "n" in each (checked by the tests).
#: Paths are float32, as the engine computes them (:data:`DTYPE`); totals over the horizon
#: (npv, the dependence share over the horizon, economic cost, leases owed) are accumulated in
#: float64 inside each chunk and kept in float64, as are the in-house saving and break-even.
TRIAL_FIELDS = {
    "annual": (np.float32, "snt"),
    "npv": (np.float64, "sn"),
    "installed_gw": (np.float32, "snt"),
    "unmet_units": (np.float32, "snt"),
    "dependence_share": (np.float32, "snt"),
    "dependence_share_total": (np.float64, "sn"),
    "inhouse_net_saving": (np.float64, "sn"),
    "inhouse_breakeven_year": (np.float64, "sn"),
    "economic_cost": (np.float64, "sn"),
    "committed_lease": (np.float64, "sn"),
    "demand_units": (np.float32, "nt"),
    "operating_cash_flow": (np.float32, "nt"),
    "funding": (np.float32, "nt"),
    "interest": (np.float32, "nt"),
    "work_in_progress": (np.float64, "sn"),
    "inhouse_saving_chips": (np.float64, "sn"),
    "inhouse_saving_servers": (np.float64, "sn"),
    "inhouse_saving_facilities": (np.float64, "sn"),
    "inhouse_saving_program": (np.float64, "sn"),
    "dependence_units_planned": (np.float32, "sn"),
    "dependence_units_cap": (np.float32, "sn"),
    "dependence_units_delay": (np.float32, "sn"),
    "dependence_units_failure": (np.float32, "sn"),
}


def trial_major(name: str, value: np.ndarray) -> np.ndarray:
    """A view of an engine output (trials last) in the axis order of :data:`TRIAL_FIELDS`."""
    axes = TRIAL_FIELDS[name][1]
    if axes == "snt":
        return value.transpose(0, 2, 1)
    if axes == "nt":
        return value.T
    return value


def trial_slice(name: str, trials: slice) -> tuple[slice, ...]:
    """Index selecting ``trials`` along the trial axis of a :data:`TRIAL_FIELDS` array."""
    return (slice(None),) * TRIAL_FIELDS[name][1].index("n") + (trials,)

