"""The JSON Schema for editors accepts every shipped scenario and flags typos."""

from __future__ import annotations

import copy

import pytest

from simulator.io.json_schema import scenario_json_schema
from simulator.io.yaml_source import read_yaml_file
from tests.conftest import REPO, TINY

jsonschema = pytest.importorskip("jsonschema")
VALIDATOR = jsonschema.Draft202012Validator(scenario_json_schema())
COMPLETE = [p for p in sorted((REPO / "scenarios").glob("*.yaml"))
            if "extends" not in read_yaml_file(p)[0]]


@pytest.mark.parametrize("path", COMPLETE, ids=[p.stem for p in COMPLETE])
def test_shipped_scenarios_are_valid(path):
    errors = [f"{list(e.path)}: {e.message}" for e in VALIDATOR.iter_errors(read_yaml_file(path)[0])]
    assert not errors


def test_shorthands_are_valid_and_typos_are_not():
    data = copy.deepcopy(TINY)
    data["suppliers"]["a"]["price_per_unit"] = "30k"
    data["claims"] = ["cumulative_spend through 2026 >= 7T"]
    assert not list(VALIDATOR.iter_errors(data))
    data["demand"]["growth"]["intial"] = 0.5
    assert any("intial" in e.message for e in VALIDATOR.iter_errors(data))
