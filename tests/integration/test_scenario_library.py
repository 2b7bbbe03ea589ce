"""The shipped scenario library (scenarios/*.yaml): every file validates, runs, has a source for
every numeric input and matches docs/assumptions.md; its median path agrees with a hand
calculation; and the calibration its description states holds for the stochastic median.
"""

from __future__ import annotations

import math
import os
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from simulator import load_scenario, override, simulate
from simulator.report.assumptions import assumptions_table
from simulator.report.assumptions import main as assumptions_main
from simulator.spec.scenario import Scenario
from simulator.spec.suppliers import InHouse, Merchant

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))
IDS = [p.stem for p in SCENARIOS]
TRIALS = 2_000
HOURS = 8760.0


@cache
def _load(path: Path) -> Scenario:
    return load_scenario(path)


@cache
def _run(path: Path):
    return simulate(_load(path), trials=TRIALS, seed=7)


def test_the_library_is_there():
    expected = {"base", "industry", "aggressive_demand", "demand_slowdown", "taiwan_shock",
                "inhouse_success", "inhouse_failure", "short_chip_life", "industry_hindcast"}
    assert expected <= set(IDS)


@pytest.mark.parametrize("path", SCENARIOS, ids=IDS)
def test_scenario_validates_and_runs(path):
    scenario = _load(path)
    assert scenario.name == path.stem
    results = _run(path)
    cumulative = results.cumulative()
    assert cumulative.shape == (len(scenario.strategies), TRIALS)
    assert np.isfinite(cumulative).all() and (cumulative >= 0).all()
    assert np.isfinite(results.annual).all() and (results.annual >= 0).all()
    assert np.isfinite(results.installed_gw).all() and (results.installed_gw >= 0).all()


#: A source cites a numbered public figure ("S26", ranges "S85-S87") or says it is an
#: assumption and why (at least three words of reasoning after "assumption:").
CITATION = re.compile(r"\bS(\d{1,3})(?:-S(\d{1,3}))?\b")
REASONED = re.compile(r"assumption:\s*\S+(?:\s+\S+){2,}")

#: S-numbers the scenarios may cite without a row in docs/sources.md (none: every citation
#: must be listed there).
NOT_YET_LISTED: set[int] = set()


@pytest.mark.parametrize("path", SCENARIOS, ids=IDS)
def test_every_numeric_input_has_a_source(path):
    table = assumptions_table(_load(path))
    missing = table.loc[table["source"].str.strip() == "", "input"].tolist()
    assert not missing, f"{path.name}: inputs without a source: {missing}"
    for _, row in table.iterrows():
        src = row["source"]
        assert CITATION.search(src) or REASONED.search(src), \
            f"{path.name}: {row['input']}: source {src!r} cites no Sxx and gives no reasoning"


def test_cited_sources_are_listed():
    listed = {int(m) for m in re.findall(r"^\| S(\d+) \|", (REPO / "docs" / "sources.md")
                                         .read_text(), flags=re.M)}
    cited = set()
    for path in SCENARIOS:
        for lo, hi in CITATION.findall(path.read_text()):
            cited |= set(range(int(lo), int(hi or lo) + 1))
    assert cited - listed <= NOT_YET_LISTED, f"unlisted sources: {sorted(cited - listed)}"


def test_assumptions_doc_matches_the_yaml():
    cwd = os.getcwd()
    try:
        os.chdir(REPO)
        assert assumptions_main(["--check", "docs/assumptions.md"]) == 0, \
            "run: python -m simulator.report.assumptions --write docs/assumptions.md"
    finally:
        os.chdir(cwd)


# -- the median path, by hand ---------------------------------------------------------------------

def at_median(scenario: Scenario) -> Scenario:
    """Every uncertain input fixed at its median; yearly noise off; every random event (a shock
    starting, a chip generation failing, a raise materialising) at its median outcome: certain
    where its probability is above 1/2 (the forced Taiwan disruption of the stress variant),
    absent otherwise."""
    changes: dict[str, object] = {}
    for path, dist in scenario.uncertain_inputs():
        changes[path] = dist.quantile(0.5)  # key paths as the table prints them round-trip
    changes["demand.growth.noise_sd"] = 0.0
    changes["sampling.correlations"] = []
    for path, p in list(changes.items()):
        if path.endswith("probability"):
            changes[path] = 1.0 if p > 0.5 else 0.0
    return override(scenario, changes)


def _interpolate(rows: dict, year: int) -> dict[str, float]:
    """A year-keyed table ("all" or years as text) at a year: linear between the listed years,
    flat outside; rows are mappings of name -> value."""
    if "all" in rows:
        return dict(rows["all"])
    listed = sorted(int(k) for k in rows)
    lo = max([y for y in listed if y <= year], default=listed[0])
    hi = min([y for y in listed if y >= year], default=listed[-1])
    w = 0.0 if hi == lo else (year - lo) / (hi - lo)
    names = set(rows[str(lo)]) | set(rows[str(hi)])
    return {s: (1 - w) * rows[str(lo)].get(s, 0.0) + w * rows[str(hi)].get(s, 0.0) for s in names}


def _shares(scenario: Scenario, strategy: str, year: int) -> dict[str, float]:
    """Supplier shares in a year."""
    return _interpolate(scenario.strategies[strategy].shares, year)


def _lease(scenario: Scenario, strategy: str, year: int) -> float:
    """Share of the year's new capacity that is rented."""
    rows = scenario.strategies[strategy].lease_share
    return _interpolate({k: {"x": v} for k, v in rows.items()}, year)["x"]


def _paid_share(lead: float, k: int) -> float:
    """Share of what serves from year s that is paid in year s - k (README: cash timing)."""
    if lead == 0:
        return 1.0 if k == 0 else 0.0

    def g(z):  # integral of clip(x, 0, 1) up to z
        return 0.0 if z <= 0 else (0.5 * z * z if z < 1 else z - 0.5)

    return (g(1 - k + lead) - g(1 - k) - g(lead - k) + g(-k)) / lead


def hand_path(sc: Scenario, strategy: str) -> tuple[np.ndarray, np.ndarray]:
    """Installed GW and total cash spend per year of one strategy, for a scenario whose inputs
    are all fixed (:func:`at_median`), worked out year by year from the README's equations.
    Years past the end are simulated as long as the longest lead time, because what serves
    then is partly paid within the horizon."""
    def v(x):
        return x.value  # every input is fixed here

    start, end = sc.horizon.start, sc.horizon.end
    lead_chips, lead_dc = v(sc.fleet.order_lead_years), v(sc.datacentre.lead_years)
    extra = math.ceil(max(lead_chips, lead_dc))
    years = list(range(start, end + 1 + extra))
    n_years = end - start + 1
    life = v(sc.fleet.lifetime_years)

    def surv(age):  # share of a vintage still in service at an age (0 = first year)
        return min(max(life - age, 0.0), 1.0) if age >= 0 else 0.0

    # prices, power and servers per unit of each supplier, by year; shocks; capacity
    price, kw, srv, frac, cap = {}, {}, {}, {}, {}
    sn = sc.servers_networking
    for name, s in sc.suppliers.items():
        if isinstance(s, Merchant):
            p0 = (v(s.price_per_unit) if s.price_per_unit is not None
                  else v(s.cost_per_unit) / (1 - v(s.gross_margin))) * v(s.shortage_premium)
            keep = 1.0
        else:
            keep = 1 - v(s.performance_penalty)
            p0 = v(s.unit_cost) / keep
        price[name] = [p0 / (1 + v(s.price_performance_gain)) ** t for t in range(len(years))]
        kw[name] = [v(s.kw_per_unit) / keep / (1 + v(s.power_efficiency_gain)) ** t
                    for t in range(len(years))]
        srv[name] = [v(sn.cost_per_unit) / keep / (1 + v(sn.price_performance_gain)) ** t
                     for t in range(len(years))]
        frac[name] = [1.0] * len(years)
        cap[name] = [math.inf] * len(years)
        c = s.capacity
        if c is None:
            continue
        # the allocation in chips times each year's compute per chip
        first, avail = 0.0, [1.0] * len(years)
        if isinstance(s, InHouse):
            prog = s.program
            first = prog.first_volume_year - start + v(prog.delay_years)  # volume start
            n_gen = max(1, (end + extra - prog.start_year) // prog.generation_years + 1)
            works = v(prog.failure_probability) == 0.0
            avail = [min(sum(min(max(min(t + 1, s_g + prog.generation_years) - max(t, s_g), 0), 1)
                             for g in range(n_gen)
                             for s_g in [first + g * prog.generation_years]), 1) if works else 0.0
                     for t in range(len(years))]
        for t in range(len(years)):
            chips = min(v(c.first_year) * (1 + v(c.growth)) ** max(0.0, t - first),
                        math.inf if c.max is None else v(c.max))
            per_chip = v(c.compute_per_chip) * (1 + v(c.compute_per_chip_growth)) ** t
            cap[name][t] = chips * per_chip * avail[t]
    for shock in sc.shocks.values():
        if v(shock.annual_probability) == 0.0:
            continue
        w = shock.window
        starts = [y for y in years[:n_years] if (w is None or w.start <= y <= w.end)
                  and (sc.horizon.observed_through is None or y > sc.horizon.observed_through)]
        active = {y + k for y in starts for k in range(math.ceil(v(shock.duration_years)))}
        for t, y in enumerate(years):
            if y in active:
                for name in shock.suppliers:
                    price[name][t] *= v(shock.price_multiplier)
                    frac[name][t] *= v(shock.supply_fraction)

    # demand in compute units: the start level in GW converted at the baseline's new-chip power
    dem = sc.demand
    base0 = _shares(sc, sc.baseline_strategy, start)
    new_kw = sum(share * kw[name][0] for name, share in base0.items())
    legacy_kw = v(dem.kw_per_unit)
    legacy = v(dem.before_start.gw) * 1e6 / legacy_kw
    alive0 = legacy * surv(1)
    demand = [alive0 + max(v(dem.start.gw) * 1e6 - alive0 * legacy_kw, 0.0) / new_kw]
    g1, decay = v(dem.growth.initial), v(dem.growth.decay)
    for t in range(1, len(years)):
        demand.append(demand[-1] * (1 + g1 * (1 - decay) ** (t - 1)))

    # purchases year by year: fleet, fallbacks, in-house learning; a share may be rented
    strat = sc.strategies[strategy]
    fb = strat.fallback
    used_inhouse = [n for n in sc.inhouse_suppliers() if strat.uses(n)]
    contract = sc.leasing.contract_years if sc.leasing is not None else 0

    def runs(age):  # a lease signed `age` years ago is still running
        return 1.0 if 0 <= age < contract else 0.0

    lease = [_lease(sc, strategy, y) for y in years]
    owned, rented, value, kw_new, srv_new = [], [], [], [], []
    volume = {n: 0.0 for n in sc.inhouse_suppliers()}
    for t, y in enumerate(years):
        alive = legacy * surv(t + 1) + sum(owned[u] * surv(t - u) + rented[u] * runs(t - u)
                                           for u in range(t))
        need = max(demand[t] - alive, 0.0)
        orders = {n: need * share for n, share in _shares(sc, strategy, y).items()}
        got = {n: min(q * frac[n][t], cap[n][t]) for n, q in orders.items()}
        if fb is not None:
            short = sum(orders[n] - got[n] for n in orders if n != fb)
            got[fb] = min((orders.get(fb, 0.0) + short) * frac[fb][t], cap[fb][t])
        unit_price = {n: price[n][t] for n in got}
        for n in volume:
            s = sc.suppliers[n]
            reference = v(s.capacity.first_year) * v(s.capacity.compute_per_chip)
            unit_price[n] = price[n][t] * max(volume[n] / reference, 1.0) ** \
                math.log2(v(s.learning_rate))
            volume[n] += got.get(n, 0.0)
        units = sum(got.values())
        owned.append(units * (1 - lease[t]))
        rented.append(units * lease[t])
        value.append(sum(q * unit_price[n] for n, q in got.items()))  # owned and rented
        kw_new.append(sum(q * kw[n][t] for n, q in got.items()))
        srv_new.append(sum(q * srv[n][t] for n, q in got.items()))

    # power (owned and rented), data centres, energy, operations, servers, leases, program
    owned_mw = [(sum(kw_new[u] * (1 - lease[u]) * surv(t - u) for u in range(t + 1))
                 + legacy * surv(t + 1) * legacy_kw) * 1e-3 for t in range(len(years))]
    rented_mw = [sum(kw_new[u] * lease[u] * runs(t - u) for u in range(t + 1)) * 1e-3
                 for t in range(len(years))]
    built, capacity = [], v(dem.before_start.gw) * 1e3
    for t in range(len(years)):
        built.append(max(capacity, owned_mw[t]) - capacity)
        capacity = max(capacity, owned_mw[t])
    e = sc.energy
    mwh_cost = HOURS * v(e.utilisation) * v(e.pue) * v(e.price_per_mwh)
    dc_mw, om = v(sc.datacentre.cost_per_mw), v(sc.operations.cost_per_mw_year)
    dc_life = v(sc.datacentre.life_years)
    # a provider rents a unit-year at its own cost (chips and servers over one chip life, the
    # building over its own life, energy and O&M) times 1 + margin
    payment = []
    for t in range(n_years):
        units = owned[t] + rented[t]
        mix = (value[t] / units, srv_new[t] / units, kw_new[t] / units * 1e-3) if units else (0,) * 3
        rent = ((mix[0] + mix[1]) / life + mix[2] * dc_mw / dc_life
                + mix[2] * (mwh_cost + om)) * (1 + v(sc.leasing.provider_margin)) \
            if strat.leases else 0.0
        payment.append(rented[t] * rent)
    # what serves from year s: chips and servers paid over the order lead, buildings over the
    # construction lead, both before they serve
    hardware = [(value[s] + srv_new[s]) * (1 - lease[s]) for s in range(len(years))]
    annual = []
    for t, y in enumerate(years[:n_years]):
        total = sum(hardware[t + k] * _paid_share(lead_chips, k)
                    + built[t + k] * dc_mw * _paid_share(lead_dc, k) for k in range(extra + 1))
        total += owned_mw[t] * (mwh_cost + om) + sum(payment[u] * runs(t - u)
                                                     for u in range(t + 1))
        for n in used_inhouse:
            prog = sc.suppliers[n].program
            # every generation fails at failure probability 1: cancelled when the N-th shows
            cancel = math.inf
            if v(prog.failure_probability) == 1.0 and prog.cancel_after_failures is not None:
                cancel = start + math.floor(prog.first_volume_year - start + v(prog.delay_years)
                                            + (prog.cancel_after_failures - 1)
                                            * prog.generation_years)
            if prog.start_year <= y <= cancel:
                total += v(prog.team_cost_per_year)
                if (y - prog.start_year) % prog.generation_years == 0:
                    total += v(prog.nre_per_generation)
            if y == cancel:
                total += v(prog.cancellation_cost)
        annual.append(total)
    mw = [a + b for a, b in zip(owned_mw[:n_years], rented_mw[:n_years], strict=True)]
    return np.array(mw) / 1e3, np.array(annual)


@pytest.mark.parametrize("path", SCENARIOS, ids=IDS)
def test_median_path_matches_a_hand_calculation(path):
    """With every input fixed at its median and no noise, every trial is the same path; the
    engine must reproduce the hand calculation for every strategy (the baseline, the merchant
    mixes with fallbacks, and the in-house strategies with capacity, learning and program).
    Tolerance 1e-5 relative: both sides are exact arithmetic in float64, but the engine keeps
    per-trial paths in float32 (relative rounding 6e-8); 1e-5 leaves room for summation order
    and nothing else, so a wrong number anywhere (a price, a share, a lifetime) fails."""
    sc = at_median(_load(path))
    assert not sc.uncertain_paths()  # nothing random is left but events at 0 or 1
    results = simulate(sc, trials=3, seed=1)
    for i, strategy in enumerate(sc.strategy_names):
        gw, annual = hand_path(sc, strategy)
        np.testing.assert_allclose(results.installed_gw[i], np.tile(gw, (3, 1)), rtol=1e-5,
                                   err_msg=f"{path.stem}/{strategy}: installed GW")
        np.testing.assert_allclose(results.annual[i], np.tile(annual, (3, 1)), rtol=1e-5,
                                   err_msg=f"{path.stem}/{strategy}: annual spend")
        np.testing.assert_allclose(results.cumulative()[i], annual.sum(), rtol=1e-5)


def test_base_median_path_on_paper():
    """The first two years of base.yaml at its medians, worked out from the YAML's numbers
    (lognormal median = sqrt(low * high), uniform median = midpoint), checked against both the
    engine and :func:`hand_path`: 1.9 GW in 2025 of which 0.6 GW is the sunk 2024 fleet (all of
    it still in service with the median 5-year life), 1.3 GW of new Nvidia chips. Cash in 2025
    pays for what serves in 2025 and, ahead of service, in 2026 and 2027 (lead times)."""
    sc = _load(REPO / "scenarios" / "base.yaml")
    kw_new = math.sqrt(0.6 * 0.9)                       # kW per H100e, Nvidia 2025
    kw_old = math.sqrt(1.1 * 1.5)                       # kW per H100e, fleet before 2025
    price = math.sqrt(12e3 * 22e3) * (1.0 + 1.15) / 2   # list price x shortage premium
    server = math.sqrt(8e3 * 23e3)                      # servers and networking per H100e
    g1, decay = math.sqrt(0.8 * 1.5), (0.06 + 0.16) / 2
    units = [1.3e6 / kw_new]                            # new H100e serving in 2025
    fleet = 0.6e6 / kw_old + units[0]                   # nothing retires before 2029
    units.append(fleet * g1)                            # 2026: growth only
    units.append((fleet + units[1]) * g1 * (1 - decay))  # 2027
    # chips and servers fall 30% a year (median gains), power per unit 30%
    hardware = [u * (price + server) / 1.3 ** t for t, u in enumerate(units)]
    built_mw = [u * kw_new / 1.3 ** t * 1e-3 for t, u in enumerate(units)]
    gw_2026 = 1.9 + built_mw[1] * 1e-3
    chip_lead = sc.fleet.order_lead_years.quantile(0.5)   # triangular median, ~0.57 yr
    dc_lead = sc.datacentre.lead_years.quantile(0.5)      # ~1.78 yr
    # paid shares (README, cash timing): a lead L < 1 pays 1 - L/2 in the year itself and L/2
    # the year before; 1 <= L < 2 pays 0.5/L, (L - 0.5 - (L-1)^2/2)/L and (L-1)^2/2/L
    chip_paid = [1 - chip_lead / 2, chip_lead / 2]
    dc_paid = [0.5 / dc_lead, (dc_lead - 0.5 - (dc_lead - 1) ** 2 / 2) / dc_lead,
               (dc_lead - 1) ** 2 / 2 / dc_lead]
    per_mw = sc.datacentre.cost_per_mw.quantile(0.5)      # PERT median
    energy = 1900 * HOURS * (0.6 + 0.85) / 2 * (1.1 + 1.3) / 2 \
        * sc.energy.price_per_mwh.quantile(0.5)
    om = 1900 * math.sqrt(0.3e6 * 0.9e6)
    spend_2025 = (sum(w * h for w, h in zip(chip_paid, hardware, strict=False))
                  + sum(w * b * per_mw for w, b in zip(dc_paid, built_mw, strict=True))
                  + energy + om)
    assert 60e9 < spend_2025 < 100e9  # sanity of the paper numbers themselves

    gw, annual = hand_path(at_median(sc), "nvidia_only")
    engine = simulate(at_median(sc), trials=1, seed=1)
    for label, g, a in [("hand_path", gw, annual),
                        ("engine", engine.installed_gw[0, 0], engine.annual[0, 0])]:
        assert g[0] == pytest.approx(1.9, rel=1e-6), label
        assert g[1] == pytest.approx(gw_2026, rel=1e-6), label
        assert a[0] == pytest.approx(spend_2025, rel=1e-6), label


# -- the calibration the descriptions state ---------------------------------------------------------

#: Stochastic medians of the baseline strategy stated in each scenario's description:
#: installed GW in a year, and cumulative spend through a year [USD].
CALIBRATION = {
    "base": {"gw": {2030: 14, 2033: 25}},
    "industry": {"gw": {2025: 10, 2030: 65, 2035: 100}, "spend": {2030: 4.4e12}},
    "aggressive_demand": {"gw": {2030: 53, 2033: 250}},
    "demand_slowdown": {"gw": {2030: 8.5}, "spend": {2030: 0.6e12}},
}


@pytest.mark.parametrize("name", sorted(CALIBRATION))
def test_stated_calibration_holds(name):
    """The stochastic median (2,000 trials) is within 15% of the figure the description
    states. Monte Carlo error of a median at 2,000 trials is ~1.25 sd / sqrt(n): with log-sd
    up to ~0.9 (the aggressive case in 2033) that is ~2.5%; the descriptions round to two
    significant figures ("~14 GW"), ~4%. 15% covers both with margin, while growth off by
    a tenth (0.1 more on both bounds of base's first-year growth moves its 2030 median from
    ~14 to ~17 GW, +22%) fails."""
    path = REPO / "scenarios" / f"{name}.yaml"
    sc, results = _load(path), _run(path)
    b = sc.strategy_names.index(sc.baseline_strategy)
    years = list(sc.years)
    for year, target in CALIBRATION[name].get("gw", {}).items():
        median = float(np.median(results.installed_gw[b, :, years.index(year)]))
        assert median == pytest.approx(target, rel=0.15), f"{name}: GW in {year}"
    for year, target in CALIBRATION[name].get("spend", {}).items():
        median = float(np.median(results.cumulative(year)[b]))
        assert median == pytest.approx(target, rel=0.15), f"{name}: spend through {year}"


@pytest.mark.parametrize("path", SCENARIOS, ids=IDS)
def test_stochastic_median_is_near_the_all_at_median_path(path):
    """The median of the full stochastic run lies near the all-at-median path: spend and power
    are monotone in the dominant inputs (growth, decay, prices), so the median of the output
    is close to the output at the median inputs; noise, shocks and the mixing of ~40 inputs
    move it by 0.92-1.12x in the shipped scenarios (every strategy). A factor-of-1.2 band keeps
    room for Monte Carlo error (~2% at 2,000 trials) and leaves a real check: a distribution
    whose median is far from its bulk, or an event that dominates the outcome, moves one side
    but not the other."""
    sc = _load(path)
    results = _run(path)
    fixed = simulate(at_median(sc), trials=1, seed=1)
    for b, strategy in enumerate(sc.strategy_names):
        for metric, stochastic, central in [
            ("cumulative spend", np.median(results.cumulative()[b]), fixed.cumulative()[b, 0]),
            ("last-year GW", np.median(results.installed_gw[b, :, -1]),
             fixed.installed_gw[b, 0, -1]),
        ]:
            ratio = float(stochastic / central)
            assert 1 / 1.2 < ratio < 1.2, \
                f"{path.stem}/{strategy}: {metric} median / at-median = {ratio:.3f}"


#: Reported big-4 hyperscaler capex (Microsoft, Alphabet, Amazon, Meta) [USD], S85.
BIG4_CAPEX = {2024: 226e9, 2025: 410e9}

#: Labelled assumption (no public figure in the sources): 60% of big-4 capex is AI
#: infrastructure, and everyone else (Oracle, neoclouds, AI labs, Chinese and sovereign buyers,
#: enterprises) adds half as much again: 0.6 x 1.5 = 0.9.
HINDCAST_FACTOR = 0.9


def test_hindcast_lands_within_25_percent_of_reported_capex():
    """Cash spend precedes service, so the industry's 2024 and 2025 spend can be read against
    reported capex: the hindcast (industry started in 2023) lands its 2024 and 2025 median cash
    spend within 25% of big-4 capex x HINDCAST_FACTOR ($203B, $369B), and industry.yaml's own
    2025 as well; its median 2025 fleet is in industry.yaml's 8-13 GW. Measured: $211B and
    $330B (hindcast), $340B (industry.yaml); the check passes for factors 0.75-1.07."""
    hind = _load(REPO / "scenarios" / "industry_hindcast.yaml")
    r = simulate(hind, trials=TRIALS, seed=7)
    i, years = hind.strategy_names.index("current_mix"), list(hind.years)
    for year, capex in BIG4_CAPEX.items():
        median = float(np.median(r.annual[i, :, years.index(year)]))
        assert median == pytest.approx(capex * HINDCAST_FACTOR, rel=0.25), f"hindcast {year}"
    assert 8 <= float(np.median(r.installed_gw[i, :, years.index(2025)])) <= 13
    ind = _load(REPO / "scenarios" / "industry.yaml")
    own = _run(REPO / "scenarios" / "industry.yaml")
    median = float(np.median(own.annual[ind.strategy_names.index("current_mix"), :, 0]))
    assert median == pytest.approx(BIG4_CAPEX[2025] * HINDCAST_FACTOR, rel=0.25)
