"""Tweaking assumptions: overrides by key path, inheritance, --set and sweeps."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from simulator import ScenarioError, load_scenario, override, simulate, sweep
from simulator.cli import main
from simulator.io.inheritance import merge
from tests.conftest import BASE, ENGINE_RTOL, TINY


@pytest.fixture(scope="module")
def base():
    return load_scenario(BASE)


def test_override_changes_only_what_it_names(base):
    variant = override(base, {"demand.growth.initial.high": 2.5, "trials": 1234})
    assert variant.demand.growth.initial.high == 2.5
    assert variant.trials == 1234
    before = base.model_dump(mode="json", by_alias=True)
    after = variant.model_dump(mode="json", by_alias=True)
    before["demand"]["growth"]["initial"]["high"] = 2.5
    before["trials"] = 1234
    assert after == before


def test_override_accepts_yaml_forms(base):
    v = override(base, {"suppliers.nvidia.price_per_unit": "25k",
                       "energy.pue": {"dist": "uniform", "low": 1.1, "high": 1.2}})
    assert v.suppliers["nvidia"].price_per_unit.value == 25_000
    assert v.energy.pue.dist == "uniform"


@pytest.mark.parametrize("changes, message", [
    ({"demand.growth.hgih": 3}, "nearest valid key path: 'demand.growth.initial.high'"),
    ({"trails": 5}, "nearest valid key path: 'trials'"),
    ({"suppliers.nvidia.price_per_unit": -1}, "must lie in (0, inf)"),
    ({"horizon.end": 2000}, "before start year"),
])
def test_override_errors(base, changes, message):
    with pytest.raises(ScenarioError) as exc:
        override(base, changes)
    assert message in str(exc.value)


def test_overridden_run_matches_an_edited_file(base, tmp_path):
    data = yaml.safe_load(BASE.read_text())
    data["demand"]["growth"]["decay"]["high"] = 0.3
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    a = simulate(load_scenario(path), trials=3000, seed=5)
    b = simulate(override(base, {"demand.growth.decay.high": 0.3}), trials=3000, seed=5)
    np.testing.assert_array_equal(a.npv, b.npv)


def test_order_of_suppliers_and_strategies_does_not_change_the_draws(base, tmp_path):
    """A file with its mappings sorted alphabetically is the same scenario: every input keeps
    its own random stream, so results per strategy agree to rounding."""
    path = tmp_path / "sorted.yaml"
    path.write_text(yaml.safe_dump(yaml.safe_load(BASE.read_text()), sort_keys=True))
    a = simulate(load_scenario(path), trials=2000, seed=5)
    b = simulate(base, trials=2000, seed=5)
    for s in b.strategies:
        np.testing.assert_allclose(a.npv[a.strategies.index(s)], b.npv[b.strategies.index(s)],
                                   rtol=ENGINE_RTOL)


def write(path, data):
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_variant_equals_base_plus_its_changes(tmp_path):
    parent = write(tmp_path / "parent.yaml", TINY)
    sub = tmp_path / "variants"
    sub.mkdir()
    child = write(sub / "child.yaml", {"extends": "../parent.yaml", "name": "child",
                                       "demand": {"growth": {"initial": 0.8}},
                                       "strategies": {"a_to_b": None}})
    got = load_scenario(child)
    expected = override(load_scenario(parent), {"name": "child", "demand.growth.initial": 0.8})
    assert got.strategy_names == ["only_a"]
    assert got.demand.growth.initial.value == 0.8
    assert got.demand.growth.decay == expected.demand.growth.decay
    assert got.suppliers == expected.suppliers


def test_distribution_in_a_variant_replaces_the_parent_one_whole(tmp_path):
    data = dict(TINY)
    data["suppliers"] = {**TINY["suppliers"], "a": {**TINY["suppliers"]["a"], "price_per_unit":
                                                   {"dist": "lognormal", "median": 10,
                                                    "sigma": 0.2}}}
    write(tmp_path / "parent.yaml", data)
    child = write(tmp_path / "child.yaml", {
        "extends": "parent.yaml",
        "suppliers": {"a": {"price_per_unit": {"dist": "lognormal", "low": 5, "high": 10}}}})
    price = load_scenario(child).suppliers["a"].price_per_unit
    assert (price.low, price.high, price.median) == (5, 10, None)


def test_inheritance_cycles_and_missing_parents(tmp_path, capsys):
    write(tmp_path / "a.yaml", {"extends": "b.yaml", "name": "a"})
    write(tmp_path / "b.yaml", {"extends": "a.yaml", "name": "b"})
    with pytest.raises(ScenarioError, match="inheritance cycle"):
        load_scenario(tmp_path / "a.yaml")
    write(tmp_path / "c.yaml", {"extends": "nope.yaml"})
    assert main([str(tmp_path / "c.yaml"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "parent scenario 'nope.yaml' not found" in err and "c.yaml:1: extends:" in err


def test_errors_in_inherited_keys_point_at_the_parent_file(tmp_path):
    bad = dict(TINY, energy={**TINY["energy"], "pue": 0.5})
    write(tmp_path / "parent.yaml", bad)
    write(tmp_path / "child.yaml", {"extends": "parent.yaml", "name": "child"})
    with pytest.raises(ScenarioError) as exc:
        load_scenario(tmp_path / "child.yaml")
    assert "parent.yaml:" in str(exc.value) and "energy.pue" in str(exc.value)


def test_merge_rules():
    assert merge({"a": {"x": 1, "y": 2}, "b": [1]}, {"a": {"y": 3}, "b": [2], "c": None}) == \
        {"a": {"x": 1, "y": 3}, "b": [2]}


def test_sweep_matches_separate_runs(base):
    table = sweep(base, "demand.growth.decay.high", [0.16, 0.3], trials=2000, seed=3)
    for value in (0.16, 0.3):
        r = simulate(override(base, {"demand.growth.decay.high": value}), trials=2000, seed=3)
        got = table[(table["value"] == value) & (table["quantity"] == "cumulative_spend")]
        np.testing.assert_allclose(got["p50"], r.summary().query(
            "metric == 'cumulative_spend'")["p50"])


def test_cli_set_and_sweep(tmp_path, capsys):
    out = tmp_path / "run"
    code = main([str(BASE), "--trials", "2000", "--set", "demand.growth.initial.high=2.5",
                 "--set", "trials=3000", "--out", str(out), "-q"])
    assert code == 0 and (out / "summary.csv").exists()
    assert main([str(BASE), "--set", "demand.growth.hgih=3", "-q"]) == 2
    assert "nearest valid key path: 'demand.growth.initial.high'" in capsys.readouterr().err
    assert main([str(BASE), "--set", "novalue", "-q"]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
    sweep_out = tmp_path / "sweep"
    code = main([str(BASE), "--trials", "1000", "--sweep", "demand.growth.decay.high=0.16,0.3",
                 "--out", str(sweep_out), "-q"])
    assert code == 0
    assert {p.name for p in sweep_out.iterdir()} == {"sweep.csv", "sweep.png", ".simulator-run.json"}


def test_fixing_a_correlated_input_drops_its_correlations(base):
    correlated = base.sampling.correlations[0].inputs[0]
    fixed = override(base, {correlated: 1.2})
    assert all(correlated not in spec.inputs for spec in fixed.sampling.correlations)
    assert len(fixed.sampling.correlations) == len(base.sampling.correlations) - sum(
        correlated in spec.inputs for spec in base.sampling.correlations)
