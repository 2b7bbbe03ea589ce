"""The ``simulate optimize`` command: outputs, plain words, and bad input."""

from __future__ import annotations

import re

from simulator.cli import main
from tests.conftest import BASE
from tests.optimize_cases import two_years


def test_command_writes_the_frontier_and_explains_it(write_scenario, tmp_path, capsys):
    path = write_scenario(two_years(constraints=["mean nvidia_share <= 0.5"]))
    out = tmp_path / "out"
    code = main(["optimize", str(path), "--trials", "8", "--out", str(out), "--workers", "1",
                 "--variants"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert {p.name for p in out.iterdir()} == {"frontier.csv", "frontier.png", "regret.csv",
                                               "manifest.json", ".simulator-run.json"}
    assert "amd 30% of purchases by 2025" in printed
    assert "Robust across 1 scenario:" in printed and "1 of 1 scenario," in printed
    assert "above nvidia_only's" in printed  # AMD costs more here


def test_command_without_levers_is_refused(write_scenario, capsys):
    data = two_years()
    del data["levers"]
    code = main(["optimize", str(write_scenario(data))])
    err = capsys.readouterr().err
    assert code == 2 and "levers" in err and "Traceback" not in err


def test_command_checks_objectives_against_the_scenario(capsys):
    code = main(["optimize", str(BASE), "--constraint", "mean amd_share <= 0.5"])
    err = capsys.readouterr().err
    assert code == 2
    assert "levers.constraints[0]" in err and "nvidia_share" in err and "--constraint" in err


def test_command_refuses_a_search_too_large_to_keep(capsys):
    code = main(["optimize", str(BASE), "--trials", "5000000", "--variants"])
    err = capsys.readouterr().err
    assert code == 2 and "GB of per-trial values" in err and "Traceback" not in err


def test_command_finds_the_shipped_variants_and_takes_overrides(tmp_path, capsys):
    from simulator.analysis.robustness import variants_of

    names = sorted(p.rsplit("/", 1)[-1] for p in variants_of(BASE))
    assert names == ["aggressive_demand.yaml", "demand_slowdown.yaml", "inhouse_failure.yaml",
                     "inhouse_success.yaml", "short_chip_life.yaml", "taiwan_shock.yaml"]
    # AMD dearer than Nvidia (and no in-house chip): the frontier becomes a trade-off
    code = main(["optimize", str(BASE), "--trials", "200", "--variants", "--out",
                 str(tmp_path / "o"), "--set", "suppliers.amd.price_per_unit=40k",
                 "--set", "levers.vary.inhouse_share.high=0"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    n_front = int(re.search(r"On the frontier \((\d+) settings", printed)[1])
    assert n_front >= 3
    assert "above nvidia_only's" in printed  # dependence is cut at a price now


def test_describe_lists_the_levers(capsys):
    assert main(["describe", str(BASE)]) == 0
    out = capsys.readouterr().out
    assert "levers (simulate optimize):" in out
    assert "2027 to 2032 step 1  [target_year]" in out
    assert "constraints: P(unmet_demand > 0.05) <= 0.1" in out
