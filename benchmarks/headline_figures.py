"""The headline figures a model change is judged by, for a before/after table (not a test).

Run from the repository root::

    python benchmarks/headline_figures.py scenarios/base.yaml OUT.json [--trials 20000]
        [--seed 7] [--set KEY=VALUE ...]

Per strategy: median cumulative spend through 2030 and 2035, P(cumulative spend >= $7T) by
2030 and 2035, Nvidia's (the dependence supplier's) mean share of chip spend in 2030 and 2035,
the median paired difference to the baseline in cash spend and in economic cost (for a leasing
strategy: lease against own), the funding gap's median and P(funded), the median spend in the
first two years, the median in-house net saving and the work in progress at the end. Only the
public API is used, so an older checkout of the package gives comparable numbers. ``--set``
switches one change off on the same code (e.g. ``--set fleet.order_lead_years=0``).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import yaml

from simulator import load_scenario, simulate


def figures(results) -> dict[str, dict[str, float | None]]:
    """Headline figures per strategy (USD, fractions)."""
    sc, years = results.scenario, list(results.years)
    base = results.strategies.index(sc.baseline_strategy)
    gap = results.funding_gap()[0] if sc.revenue is not None else None
    out = {}
    for i, s in enumerate(results.strategies):
        row: dict[str, float | None] = {}
        for y in (2030, 2035):
            c = results.cumulative(through=y)[i]
            row[f"p50_cum_{y}"] = float(np.median(c))
            row[f"p_7T_{y}"] = float((c >= 7e12).mean())
            share = results.dependence_share[i, :, years.index(y)]
            row[f"nvidia_share_{y}"] = float(np.nanmean(share))
        row["diff_vs_base_p50"] = float(np.median(results.cumulative()[i]
                                                  - results.cumulative()[base]))
        row["econ_diff_vs_base_p50"] = float(np.median(results.economic_cost[i]
                                                       - results.economic_cost[base]))
        row["annual_2025_p50"] = float(np.median(results.annual[i, :, 0]))
        row["annual_2026_p50"] = float(np.median(results.annual[i, :, 1]))
        if hasattr(results, "work_in_progress"):
            row["wip_p50"] = float(np.median(results.work_in_progress[i]))
        if gap is not None:
            row["gap_p50"] = float(np.median(gap[i]))
            row["p_funded"] = float((gap[i] <= 0).mean())
        saving = results.inhouse_net_saving[i]
        row["inhouse_net_p50"] = (float(np.nanmedian(saving)) if np.isfinite(saving).any()
                                  else None)
        out[s] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("out")
    parser.add_argument("--trials", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    if args.set:
        from simulator import override

        changes = dict(item.split("=", 1) for item in args.set)
        scenario = override(scenario, {k: yaml.safe_load(v) for k, v in changes.items()})
    results = simulate(scenario, trials=args.trials, seed=args.seed, workers=1)
    with open(args.out, "w") as f:
        json.dump(figures(results), f, indent=1)


if __name__ == "__main__":
    main()
