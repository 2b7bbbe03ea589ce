"""What a variant inherits through ``extends:`` that describes its parent's subject (scope,
starting size, demand growth, revenue, cash, funding rounds, claims) is named by 'simulate
describe' and in one line at run time; the shipped template for a new company restates all of
it and validates."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import yaml

from simulator.cli import main
from simulator.io.inheritance import subject_inherited, subject_notice
from simulator.io.loading import load_scenario
from tests.conftest import REPO, TINY

TEMPLATE = REPO / "scenarios" / "template_company.yaml"


def _family(tmp_path: Path) -> Path:
    parent = copy.deepcopy(TINY)
    parent["scope"] = "Company P's own data centres"
    parent["revenue"] = {"start": "1B", "growth": 0.5, "other_costs_share": 0.4}
    parent["funding"] = {"cash_at_start": "2B",
                         "raises": [{"name": "seed", "year": 2025, "amount": "1B"},
                                    {"name": "series A", "year": 2026, "amount": "3B"}]}
    parent["claims"] = ["cumulative_spend >= 1", "installed_gw in 2027 >= 1"]
    (tmp_path / "parent.yaml").write_text(yaml.safe_dump(parent, sort_keys=False))
    child = {"extends": "parent.yaml", "name": "child", "revenue": {"growth": 0.7},
             "funding": {"raises": [{"name": "bridge", "year": 2026, "amount": "1B"}]}}
    path = tmp_path / "child.yaml"
    path.write_text(yaml.safe_dump(child, sort_keys=False))
    return path


def test_what_a_child_inherits_of_its_parents_subject(tmp_path):
    child = _family(tmp_path)
    load_scenario(child)  # valid
    parts = {p.part: p for p in subject_inherited(child)}
    assert list(parts) == ["scope", "starting size", "demand growth", "revenue", "opening cash",
                           "claims"]  # its own funding round replaces the parent's list
    assert parts["scope"].detail == "Company P's own data centres"
    assert parts["starting size"].detail == "demand.start = {compute_units: 100}"
    assert parts["revenue"].partly and parts["revenue"].keys == ("start", "other_costs_share")
    assert parts["opening cash"].detail == "funding.cash_at_start = 2B"
    assert parts["claims"].detail == ("2 claims: cumulative_spend >= 1; installed_gw in 2027 "
                                      ">= 1")
    assert {p.parent for p in parts.values()} == {"parent.yaml"}
    assert subject_inherited(tmp_path / "parent.yaml") == []  # no extends: nothing inherited


def test_describe_lists_it_and_a_run_says_it_in_one_line(tmp_path, capsys):
    child = _family(tmp_path)
    assert main(["describe", str(child)]) == 0
    out = capsys.readouterr().out
    head = out.split("\n\n")[0].splitlines()
    assert head[0] == ("Inherited from parent.yaml, and specific to its subject (restate these "
                       "for another company):")
    assert head[1].split() == ["scope", "Company", "P's", "own", "data", "centres"]
    assert head[4].split() == ["revenue", "start,", "other_costs_share", "(the", "rest", "is",
                               "set", "here)"]
    assert main([str(child), "--trials", "20", "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert notes == [f"note: {subject_notice(child)}"]
    assert notes[0] == ("note: child.yaml inherits scope, starting size, demand growth, revenue "
                        "(in part), opening cash and claims from parent.yaml, which describe the "
                        "parent's subject; restate them for another company ('simulate "
                        "describe' lists them)")
    assert main([str(child), "--trials", "20", "--out", str(tmp_path / "out"), "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_the_template_restates_the_subject_and_validates_where_users_copy_it(tmp_path, capsys):
    assert subject_inherited(TEMPLATE) == []
    assert main(["validate", str(TEMPLATE)]) == 0
    # a user's copy next to base.yaml, renamed
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(REPO / "scenarios" / "base.yaml", folder / "base.yaml")
    text = TEMPLATE.read_text().replace("name: template_company", "name: my_company")
    (folder / "my_company.yaml").write_text(text)
    capsys.readouterr()
    assert main(["validate", str(folder / "my_company.yaml")]) == 0
    assert "my_company.yaml: valid" in capsys.readouterr().out
    scenario = load_scenario(folder / "my_company.yaml")
    assert scenario.demand.start.gw.value == 0.5 and len(scenario.claims) == 2
