"""A two-year scenario with fixed inputs and levers, whose spend per mix is known in closed
form (shared by the lever, search and command tests)."""

from __future__ import annotations

import copy

#: Two years, fixed inputs, no growth: 1000 compute units bought in the first year at 1 kW
#: each and kept, so the spend of a mix with shares s of three suppliers is 1000 x (s . prices)
#: plus servers at 5 per unit and a power cost that are the same for every mix (1 MW: building
#: 1000 once, energy 8760 x 0.5 x 1.2 x 100 and operations 300 each year).
PRICES = {"nvidia": 10.0, "amd": 30.0, "other": 20.0}
POWER_COST = 1000 + 2 * (8760 * 0.5 * 1.2 * 100 + 300)
SERVERS = 5.0  # servers and networking per compute unit [USD]
TWO_YEARS = {
    "name": "two_years",
    "scope": "test scenario",
    "horizon": {"start": 2025, "end": 2026},
    "trials": 8,
    "seed": 3,
    "demand": {"start": {"compute_units": 1000}, "growth": {"initial": 0.0}},
    "fleet": {"lifetime_years": 5},
    "suppliers": {name: {"price_per_unit": p, "kw_per_unit": 1.0} for name, p in PRICES.items()},
    "strategies": {"nvidia_only": {"shares": {"nvidia": 1}}},
    "servers_networking": {"cost_per_unit": 5.0},
    "datacentre": {"cost_per_mw": 1000},
    "energy": {"price_per_mwh": 100, "pue": 1.2, "utilisation": 0.5},
    "operations": {"cost_per_mw_year": 300},
    "levers": {
        "template": {"remainder": "nvidia", "ramp_from": 2024, "target_year": 2025},
        "vary": {"amd_share": {"kind": "share", "supplier": "amd", "low": 0, "high": 1,
                               "step": 0.1}},
        "objectives": ["mean npv", "mean nvidia_share"],
    },
}


def two_years(**levers) -> dict:
    data = copy.deepcopy(TWO_YEARS)
    data["levers"].update(levers)
    return data


def spend(shares: dict[str, float]) -> float:
    """Closed-form spend of a mix in the one-year scenario [USD]."""
    return 1000 * (sum(PRICES[s] * v for s, v in shares.items()) + SERVERS) + POWER_COST



