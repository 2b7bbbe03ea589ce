"""Every option that changes a run is on record (terminal header, manifest.json, report.html),
a rerun from the recorded options reproduces the run's tables byte for byte, a run with
overrides does not take the unmodified run's default folder, and output folders get the
user's umask."""

from __future__ import annotations

import copy
import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from simulator.cli import main
from simulator.cli.arguments import build_parser, run_overrides
from simulator.cli.outputs import default_output
from tests.conftest import TINY

CSVS = ("summary.csv", "yearly.csv", "indicators.csv", "comparison.csv", "claims.csv",
        "sensitivity.csv")


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    data = copy.deepcopy(TINY)
    data["demand"]["growth"]["initial"] = {"dist": "uniform", "low": 0.3, "high": 0.7}
    data["suppliers"]["a"]["price_per_unit"] = {"dist": "uniform", "low": 8, "high": 12}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


OPTIONS = ["--trials", "300", "--seed", "11", "--sampler", "lhs",
           "--set", "energy.pue=1.3", "--set", "demand.growth.initial.high=0.8",
           "--claim", "cumulative_spend >= 300k", "--sobol", "8"]
RECORDED = ["--trials 300", "--seed 11", "--sampler lhs", "--set energy.pue=1.3",
            "--set demand.growth.initial.high=0.8", "--claim 'cumulative_spend >= 300k'",
            "--sobol 8"]


def test_overrides_are_listed_in_a_fixed_order():
    args = build_parser().parse_args(["s.yaml", *OPTIONS, "--workers", "1", "--quiet"])
    assert run_overrides(args) == RECORDED  # --workers and --quiet change no number
    assert run_overrides(build_parser().parse_args(["s.yaml", "--out", "x"])) == []
    args = build_parser().parse_args(["s.yaml", "--precision", "0.01"])
    assert run_overrides(args) == ["--precision 0.01", "--max-trials 2000000"]


def test_every_override_on_record_and_a_rerun_reproduces_the_tables(scenario, tmp_path, capsys):
    first = tmp_path / "first"
    argv = [str(scenario), *OPTIONS, "--workers", "1", "--out", str(first)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    header = printed.split("\nVerdict")[0]
    # the verdict printed is the one written as data, sentence for sentence
    verdict = json.loads((first / "verdict.json").read_text())
    assert verdict["findings"] and all(" ".join(f["text"].split()) in " ".join(printed.split())
                                       for f in verdict["findings"])
    assert "overrides: " + " ".join(RECORDED) in " ".join(header.split())
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["command"]["argv"] == argv
    assert manifest["command"]["overrides"] == RECORDED
    assert manifest["trials"] == 300 and manifest["seed"] == 11 and manifest["design"] == "lhs"
    html = (first / "report.html").read_text()
    assert "--set energy.pue=1.3" in html and "--sobol 8" in html
    assert "cumulative_spend &gt;= 300k" in html
    # the provenance closes the report, after the verdict and the tables
    assert html.index('id="verdict"') < html.index('id="summary"') < html.index('id="provenance"')
    # the report names its CSV tables without assuming they travel with it
    tables = html[html.index('id="tables"'):html.index('id="provenance"')]
    assert all(f"<td>{name}</td>" in tables for name in CSVS)
    assert "if this page reached you on its own" in tables

    recorded = manifest["command"]["argv"]
    k = recorded.index("--out")
    second = tmp_path / "second"
    assert main([*recorded[:k], "--out", str(second), *recorded[k + 2:], "-q"]) == 0
    for name in (*CSVS, "what_must_be_true.csv"):
        if (first / name).exists():
            assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_runs_with_overrides_get_their_own_default_folder(scenario, tmp_path, monkeypatch,
                                                          capsys):
    monkeypatch.chdir(tmp_path)
    assert main([str(scenario), "--trials", "50", "-q"]) == 0
    assert main([str(scenario), "--trials", "50", "--set", "energy.pue=1.3"]) == 0
    out = capsys.readouterr().out
    changed = default_output("tiny", ["--trials 50", "--set energy.pue=1.3"])
    assert changed.parent == Path("runs") and changed.name.startswith("tiny-")
    assert len(changed.name) == len("tiny-") + 8
    assert f" files to {changed}/: " in out and "writes to runs/tiny/" in out
    assert main([str(scenario), "-q"]) == 0
    folders = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert folders == sorted(["tiny", default_output("tiny", ["--trials 50"]).name,
                              changed.name])
    s = json.loads((tmp_path / changed / "manifest.json").read_text())
    assert s["command"]["overrides"] == ["--trials 50", "--set energy.pue=1.3"]
    plain = json.loads((tmp_path / "runs" / "tiny" / "manifest.json").read_text())
    assert plain["command"]["overrides"] == [] and plain["trials"] == TINY["trials"]


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_output_folders_respect_the_umask(scenario, tmp_path, mask):
    old = os.umask(mask)
    try:
        assert main([str(scenario), "--trials", "20", "--out", str(tmp_path / "run"), "-q"]) == 0
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "run").stat().st_mode)
    assert mode == 0o777 & ~mask
    for f in (tmp_path / "run").iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~mask, f.name


def test_a_sweep_with_overrides_gets_its_own_default_folder(scenario, tmp_path, monkeypatch,
                                                            capsys):
    monkeypatch.chdir(tmp_path)
    sweep = ["--sweep", "energy.pue=1.1,1.3"]
    assert main([str(scenario), *sweep, "--trials", "20", "-q"]) == 0
    assert main([str(scenario), *sweep, "-q"]) == 0
    plain = Path("runs") / "tiny-sweep-energy.pue"
    changed = default_output("tiny", ["--trials 20"], suffix="-sweep-energy.pue")
    assert changed.name.startswith("tiny-sweep-energy.pue-") and changed != plain
    assert (tmp_path / plain / "sweep.csv").is_file()
    assert (tmp_path / changed / "sweep.csv").is_file()


@pytest.mark.parametrize("option", [["--parquet"], ["--sobol", "64"], ["--precision", "0.01"]])
def test_single_run_options_with_a_sweep_are_refused_not_ignored(scenario, tmp_path, capsys,
                                                                   option):
    out = tmp_path / "sweep"
    code = main([str(scenario), "--sweep", "energy.pue=1.1,1.3", *option, "--out", str(out),
                 "-q"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {option[0]} applies to a single run, not to --sweep")
    assert "Traceback" not in err and not out.exists()
