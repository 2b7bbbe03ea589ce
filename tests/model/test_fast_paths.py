"""Every shortcut the cost model takes gives the same bits as the general path it skips.

The model leaves out the work a scenario does not need (suppliers no strategy orders from,
supply cuts without shocks, caps without limits, leases nobody signs, demand without noise,
zero-cost categories, products with a survival or payment weight of exactly 1, payment years
nobody pays in) and computes the kernels of fixed inputs once for all trials. Each shortcut
rests on an identity of IEEE arithmetic (``x * 1 == x``, ``min(x, inf) == x``, ``x + 0 == x``
for x not -0, the basic operations rounding the same whatever the memory layout); these tests
switch every one of them off and compare every output array of a chunk, byte for byte."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import yaml

from simulator.io.loading import load_scenario, scenario_from_dict
from simulator.model import cash_timing as ct
from simulator.model import chunk, paths, saving, steps
from simulator.model import cost_model as cm
from simulator.model import sourcing as so
from simulator.sample.draws import sample
from tests.conftest import BASE, REPO


def _general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch off every shortcut: the model then does all the arithmetic it skips."""
    def every_age(kernel):
        return np.arange(len(kernel)), np.zeros(len(kernel), dtype=bool)

    def every_limit(scenario):
        n = len(scenario.supplier_names)
        return (True,) * n, (True,) * n

    monkeypatch.setattr(cm, "kernel_ages", every_age)
    monkeypatch.setattr(cm, "paid_ahead", lambda weights: weights)
    monkeypatch.setattr(cm, "is_plus_zero", lambda x: False)
    monkeypatch.setattr(cm, "is_one", lambda x: False)
    monkeypatch.setattr(cm, "per_trial_or_one", lambda x: x)
    monkeypatch.setattr(paths, "limits", every_limit)
    monkeypatch.setattr(steps, "owned_share", lambda lease: 1.0 - lease)
    monkeypatch.setattr(saving, "counterfactual_owned_only", lambda lease: False)
    monkeypatch.setattr(so, "learning_starts_at_one", lambda reference: False)
    monkeypatch.setattr(ct, "cash_in_one_pass", lambda cost, weights, n_years: False)
    monkeypatch.setattr(steps, "_ordering",
                        lambda shares, fb: slice(0, shares.shape[1]))


def _load(path) -> dict:
    return yaml.safe_load(path.read_text())


def _capped_merchant(data: dict) -> dict:
    data["suppliers"]["amd"]["capacity"] = {"first_year": 3e5, "growth": 0.4, "max": 2e6}
    return data


def _leasing_inhouse(data: dict) -> dict:
    data["strategies"]["hybrid"]["lease_share"] = {2025: 0.5, 2030: 0.2}
    return data


def _free_energy(data: dict) -> dict:
    data["energy"]["price_per_mwh"] = 0
    data["operations"]["cost_per_mw_year"] = 0
    return data


SCENARIOS = {
    "base": lambda: _load(BASE),
    "minimal": lambda: _load(REPO / "benchmarks" / "minimal.yaml"),
    "capped merchant": lambda: _capped_merchant(_load(BASE)),
    "free energy, in-house and leases": lambda: _free_energy(_load(BASE)),
    "leases with an in-house program": lambda: _leasing_inhouse(_load(BASE)),
    "no lead times": lambda: {**_load(BASE), "fleet": {"lifetime_years": 4,
                                                       "order_lead_years": 0},
                              "datacentre": {**_load(BASE)["datacentre"], "lead_years": 0}},
}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_run_chunk_is_bit_identical_to_the_general_path(name, monkeypatch):
    scenario = scenario_from_dict(SCENARIOS[name]())
    draws = sample(scenario, 3000, rng=np.random.default_rng(11))
    with np.errstate(all="ignore"):
        fast = chunk.run_chunk(scenario, draws)
        monkeypatch.undo()
        _general_path(monkeypatch)
        general = chunk.run_chunk(scenario, draws)
    for field in dataclasses.fields(fast):
        a, b = getattr(fast, field.name), getattr(general, field.name)
        assert (a.dtype, a.shape) == (b.dtype, b.shape), field.name
        assert a.tobytes() == b.tobytes(), field.name


def test_in_service_skips_whole_ages_exactly():
    rng = np.random.default_rng(3)
    bought = rng.random((9, 50), dtype=np.float32) * 1e3
    kernel = cm.survival_by_age(rng.choice([2.0, 3.0, 4.5], 50).astype(np.float32), 9)
    alive, whole = cm.kernel_ages(kernel)
    assert whole[:2].all() and not whole[3] and 8 not in alive
    expected = bought * kernel[0]
    for a in range(1, 9):
        expected[a:] += bought[:9 - a] * kernel[a]
    assert cm.in_service(bought, kernel).tobytes() == expected.tobytes()


def test_cash_without_lead_times_and_trailing_weights_exactly():
    rng = np.random.default_rng(4)
    cost = rng.random((8, 40), dtype=np.float32) * 1e6
    w = cm.payment_weights(rng.uniform(0.0, 1.0, 40), 3)
    assert len(cm.paid_ahead(w)) == 2  # paid at most a year ahead: two weights of four
    full = cost[:5] * w[0].astype(np.float32)
    for k in range(1, 4):
        full += cost[k:5 + k] * w[k].astype(np.float32)
    assert ct.cash_by_year(cost, cm.paid_ahead(w), 5).tobytes() == full.tobytes()
    at_service = cm.payment_weights(np.zeros(40), 0)
    assert ct.cash_by_year(cost, at_service, 5).tobytes() == \
        (cost[:5] * np.float32(1.0)).tobytes()


def test_allocate_without_cuts_or_caps_exactly():
    rng = np.random.default_rng(5)
    orders = rng.random((3, 30), dtype=np.float32) * 100
    ones, inf = np.ones_like(orders), np.full_like(orders, np.inf)
    for fb in (None, 0, 2):
        expected = so.allocate(orders, ones, inf, fb)
        assert so.allocate(orders, None, None, fb).tobytes() == expected.tobytes()


def test_availabilities_match_generation_by_generation():
    rng = np.random.default_rng(6)
    delay = rng.uniform(0.0, 2.5, 200).astype(np.float32)
    fails = rng.random((6, 200)) < 0.3
    cancel = so.cancellation_offset(fails, delay, 1, 2, 2)
    t = np.arange(12, dtype=np.float32)[:, None]
    expected = [np.zeros((12, 200), dtype=np.float32) for _ in range(2)]
    for g in range(6):
        s = 1 + delay + g * 2
        overlap = np.clip(np.minimum(t + 1, s + 2) - np.maximum(t, s), 0.0, 1.0)
        expected[0] += overlap * (~fails[g] & (s < cancel))
        expected[1] += overlap * ~np.zeros(200, dtype=bool)
    got = so.availabilities(delay, 1, 2, 6, 12, [(fails, cancel), (None, None)])
    for g, e in zip(got, expected, strict=True):
        assert g.tobytes() == np.minimum(e, 1.0).tobytes()


SCENARIO_FILES = ("taiwan_shock", "inhouse_failure", "industry")


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", [*SCENARIOS, *SCENARIO_FILES])
def test_run_chunk_does_not_depend_on_its_block_size(name):
    """The model evaluates a chunk in blocks of trials for cache locality: any block size,
    one that does not divide the chunk included, gives every output bit for bit (the chunk is
    split evenly, so no block holds a single trial: those round exp and log differently)."""
    scenario = (load_scenario(REPO / "scenarios" / f"{name}.yaml") if name in SCENARIO_FILES
                else scenario_from_dict(SCENARIOS[name]()))
    draws = sample(scenario, 3000, rng=np.random.default_rng(12))
    with np.errstate(all="ignore"):
        whole = chunk.run_chunk(scenario, draws, block_trials=3000)
        for size in (1024, 777, 2):
            blocked = chunk.run_chunk(scenario, draws, block_trials=size)
            for field in dataclasses.fields(whole):
                a, b = getattr(whole, field.name), getattr(blocked, field.name)
                assert (a.dtype, a.shape) == (b.dtype, b.shape), field.name
                assert a.tobytes() == b.tobytes(), (size, field.name)


@pytest.mark.parametrize("rows", [1, 2, 3, 5])
def test_sum_rows_is_numpys_sum_over_the_first_axis(rows):
    rng = np.random.default_rng(rows)
    x = (rng.random((rows, 7, 300)) * 10.0 ** rng.integers(-6, 9, (rows, 7, 300))
         ).astype(np.float32)
    plus = rng.random((7, 300), dtype=np.float32) * 1e4
    assert cm.sum_rows(x).tobytes() == x.sum(axis=0).tobytes()
    assert cm.sum_rows(x, plus).tobytes() == (x.sum(axis=0) + plus).tobytes()


@pytest.mark.parametrize("after", [1, 2, 3])
def test_cancellation_and_breakeven_match_their_axis_formulas(after):
    """Year by year over contiguous rows, the same numbers as a cumulative sum and argmax
    along the generation (year) axis."""
    rng = np.random.default_rng(after)
    fails = rng.random((7, 500)) < 0.3
    delay = rng.uniform(0.0, 2.0, 500).astype(np.float32)
    reached = np.cumsum(fails, axis=0) >= after
    start = np.floor(1 + delay + np.argmax(reached, axis=0) * 2)
    expected = np.where(reached.any(axis=0), start, np.inf)
    assert so.cancellation_offset(fails, delay, 1, 2, after).tobytes() == expected.tobytes()
    cum = rng.standard_normal((11, 500)) + np.linspace(-2.0, 2.0, 11)[:, None] * after
    negative = cum < 0
    last = np.where(negative.any(axis=0), 10 - np.argmax(negative[::-1], axis=0), -1)
    expected = np.where(last == 10, np.inf, 2025 + last + 1.0)
    years = np.arange(2025, 2036)
    assert so.breakeven_year(cum, years).tobytes() == expected.tobytes()


@pytest.mark.parametrize("lead_shape", [(), (3,)])
@pytest.mark.parametrize("n", [2, 3, 7, 777, 8192])
def test_cash_in_one_pass_is_the_loop_over_payment_years(lead_shape, n, monkeypatch):
    rng = np.random.default_rng(n)
    cost = (rng.random((*lead_shape, 14, n)) * 10.0 ** rng.integers(0, 10, (*lead_shape, 14, n))
            ).astype(np.float32)
    cost[..., :2, : n // 2] = 0.0
    weights = cm.payment_weights(rng.uniform(0.2, 3.0, n), 3).astype(np.float32)
    assert ct.cash_in_one_pass(cost, weights, 11)
    assert not ct.cash_in_one_pass(cost[..., :1], weights[:, :1], 11)  # one trial
    assert not ct.cash_in_one_pass(cost, weights[:, :1], 11)  # weights shared by every trial
    one_pass = ct.cash_by_year(cost, weights, 11)
    monkeypatch.setattr(ct, "cash_in_one_pass", lambda cost, weights, n_years: False)
    assert one_pass.tobytes() == ct.cash_by_year(cost, weights, 11).tobytes()
