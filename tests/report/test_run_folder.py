"""The program replaces only folders it wrote, and within them only its own files; a folder
holding anything else is refused before the run, with every file in it kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulator.cli import main
from simulator.report import run_folder
from simulator.report.run_folder import MARKER, OutputFolder, OutputFolderError, clean_stale
from simulator.run import engine
from tests.conftest import TINY


@pytest.fixture
def scenario(tmp_path) -> Path:
    data = json.loads(json.dumps(TINY))
    data["energy"]["utilisation"] = {"dist": "uniform", "low": 0.4, "high": 0.6}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if a run starts simulating: refusals must come before."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("the run simulated before refusing its output folder")

    monkeypatch.setattr(engine, "simulate", refuse)


def run(scenario: Path, out: Path, *extra: str) -> int:
    return main([str(scenario), "-q", "--trials", "40", "--out", str(out), *extra])


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` (recursively): file bytes, or None for a folder."""
    return {str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
            for p in sorted(folder.rglob("*"))}


def hidden_siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


def marker_files(folder: Path) -> set[str]:
    return set(json.loads((folder / MARKER).read_text())["files"])


def test_a_run_marks_its_folder_with_the_files_it_wrote(scenario, tmp_path):
    out = tmp_path / "run"
    assert run(scenario, out) == 0
    marker = json.loads((out / MARKER).read_text())
    assert marker["format"] == run_folder.MARKER_FORMAT and marker["state"] == "complete"
    assert set(marker["files"]) == {p.name for p in out.iterdir()} - {MARKER}
    assert {"summary.csv", "manifest.json", "report.html", "fan_chart.png"} <= set(marker["files"])
    assert hidden_siblings(out) == []


@pytest.mark.parametrize("foreign", [
    {"notes.txt": b"my notes"},
    {"manifest.json": b""},                         # a web app's, or an empty file
    {"sweep.csv": b"a,b\n1,2\n"},
    {"sub/data.csv": b"1,2\n", "README": b"mine"},  # a subfolder
])
def test_a_folder_holding_other_files_is_refused_before_the_run_and_kept(
        scenario, tmp_path, capsys, no_simulation, foreign):
    out = tmp_path / "mine"
    for name, data in foreign.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    before = snapshot(out)
    assert run(scenario, out) == 2
    err = capsys.readouterr().err
    assert f"output folder {out} holds files this program did not write" in err
    assert f"no {MARKER}" in err
    for name in {n.split("/")[0] for n in foreign}:
        assert name in err
    assert "Traceback" not in err
    assert snapshot(out) == before
    assert hidden_siblings(out) == []


def test_an_empty_folder_is_used(scenario, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert run(scenario, out) == 0
    assert (out / "summary.csv").is_file() and marker_files(out) >= {"summary.csv"}


def test_rerun_into_its_own_folder_replaces_exactly_its_own_files(scenario, tmp_path):
    out = tmp_path / "run"
    assert run(scenario, out, "--claim", "cumulative_spend through 2027 >= 1") == 0
    first = marker_files(out)
    assert "claims.csv" in first and "s_curve.png" in first
    assert run(scenario, out, "--seed", "5") == 0  # no claims this time
    second = marker_files(out)
    assert "claims.csv" not in second and "s_curve.png" not in second
    assert {p.name for p in out.iterdir()} == second | {MARKER}
    assert json.loads((out / "manifest.json").read_text())["seed"] == 5
    assert hidden_siblings(out) == []


def test_a_file_added_to_a_run_folder_keeps_the_folder_as_it_is(scenario, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(scenario, out) == 0
    (out / "my_notes.md").write_text("what I think of these numbers")
    (out / "plots").mkdir()
    (out / "plots" / "mine.png").write_bytes(b"png")
    before = snapshot(out)
    assert run(scenario, out, "--seed", "9") == 2
    err = capsys.readouterr().err
    assert "my_notes.md" in err and "plots" in err and f"no {MARKER}" not in err
    assert snapshot(out) == before


def test_the_scenario_file_in_the_output_folder_is_never_removed(tmp_path, scenario, capsys,
                                                                 no_simulation):
    out = tmp_path / "study"
    out.mkdir()
    inside = out / "scenario.yaml"
    inside.write_bytes(scenario.read_bytes())
    assert run(inside, out) == 2
    assert "scenario.yaml" in capsys.readouterr().err
    assert inside.read_bytes() == scenario.read_bytes()
    # even when a marker (forged, or hand-edited) lists it
    (out / MARKER).write_text(run_folder._marker_body("complete", ["scenario.yaml"]))
    assert run(inside, out) == 2
    assert inside.read_bytes() == scenario.read_bytes()


@pytest.mark.parametrize("marker", [
    "",                                                             # empty
    "not json",
    json.dumps({"format": "something else", "files": ["notes.txt"]}),
    json.dumps({"format": run_folder.MARKER_FORMAT, "files": ["../notes.txt"]}),
    json.dumps({"format": run_folder.MARKER_FORMAT, "files": "notes.txt"}),
])
def test_a_marker_the_program_did_not_write_makes_nothing_its_own(tmp_path, marker):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / MARKER).write_text(marker)
    (folder / "notes.txt").write_text("mine")
    assert run_folder.read_marker(folder) is None
    assert set(run_folder.foreign_entries(folder)) == {MARKER, "notes.txt"}
    with pytest.raises(OutputFolderError, match=r"notes\.txt"):
        OutputFolder.prepare(folder)


def test_a_listed_name_that_is_now_a_folder_or_link_is_not_the_programs(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / MARKER).write_text(run_folder._marker_body("complete", ["a.csv", "b.csv"]))
    (folder / "a.csv").mkdir()
    (folder / "b.csv").symlink_to(tmp_path / "elsewhere.csv")
    assert run_folder.foreign_entries(folder) == ["a.csv", "b.csv"]


def test_a_symlinked_output_folder_is_followed_and_the_link_kept(scenario, tmp_path):
    real = tmp_path / "disk" / "results"
    link = tmp_path / "latest"
    real.mkdir(parents=True)
    link.symlink_to(real)
    assert run(scenario, link) == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert (real / "summary.csv").is_file()
    assert run(scenario, link, "--seed", "3") == 0  # a rerun swaps the folder behind the link
    assert link.is_symlink() and json.loads((real / "manifest.json").read_text())["seed"] == 3
    assert hidden_siblings(real) == [] and hidden_siblings(link) == []


def test_a_symlink_to_a_foreign_folder_is_refused(scenario, tmp_path, capsys, no_simulation):
    real = tmp_path / "documents"
    real.mkdir()
    (real / "thesis.tex").write_text("years of work")
    link = tmp_path / "out"
    link.symlink_to(real)
    assert run(scenario, link) == 2
    assert "thesis.tex" in capsys.readouterr().err
    assert (real / "thesis.tex").read_text() == "years of work" and link.is_symlink()


@pytest.mark.parametrize("kind", ["dangling", "loop"])
def test_a_dangling_or_looping_symlink_is_refused_before_the_run(scenario, tmp_path, capsys,
                                                                 no_simulation, kind):
    link = tmp_path / "out"
    if kind == "dangling":
        link.symlink_to(tmp_path / "gone")
    else:
        link.symlink_to(tmp_path / "other")
        (tmp_path / "other").symlink_to(link)
    assert run(scenario, link) == 2
    err = capsys.readouterr().err
    assert f"output folder {link} is a symbolic link" in err and "does not exist" in err
    assert link.is_symlink() and not (tmp_path / "gone").exists()


def test_a_file_as_output_folder_is_refused(scenario, tmp_path, capsys, no_simulation):
    out = tmp_path / "thesis.tex"
    out.write_text("years of work")
    assert run(scenario, out) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert out.read_text() == "years of work"


def test_missing_parents_are_made_and_removed_again_when_nothing_is_written(tmp_path):
    out = tmp_path / "a" / "b" / "run"
    folder = OutputFolder.prepare(out)
    assert folder.staging.parent == out.parent and not out.exists()
    folder.discard()
    assert not (tmp_path / "a").exists()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _stale(parent: Path, name: str, kind: str, pid: int, *, marker: str | None, files=(),
           tag: str = "abc123") -> Path:
    path = parent / f".{name}.{kind}-{pid}-{tag}"
    path.mkdir()
    for f in files:
        (path / f).write_text("x")
    if marker is not None:
        (path / MARKER).write_text(run_folder._marker_body(marker, files))
    return path


def test_stale_folders_of_killed_runs_are_removed_by_the_next_run(scenario, tmp_path, capsys):
    out = tmp_path / "run"
    dead = _dead_pid()
    partial = _stale(tmp_path, "run", "partial", dead, marker="partial", files=["summary.csv"])
    old = _stale(tmp_path, "run", "old", dead, marker="complete", files=["yearly.csv"])
    empty = _stale(tmp_path, "run", "partial", dead, marker=None, tag="empty")
    # not the program's, or not stale: kept
    unmarked = _stale(tmp_path, "run", "partial", dead, marker=None, files=["data.bin"],
                      tag="unmarked")
    alive = _stale(tmp_path, "run", "partial", os.getpid(), marker="partial", files=["a.csv"])
    other_name = _stale(tmp_path, "runs", "partial", dead, marker="partial", files=["a.csv"])
    assert main([str(scenario), "--trials", "40", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"removed {partial.name}" in err and "interrupted run" in err
    assert not partial.exists() and not old.exists() and not empty.exists()
    assert unmarked.is_dir() and alive.is_dir() and other_name.is_dir()
    assert (unmarked / "data.bin").exists()


def test_a_stale_folder_of_another_host_is_kept(tmp_path):
    path = _stale(tmp_path, "run", "partial", _dead_pid(), marker="partial", files=["a.csv"])
    marker = json.loads((path / MARKER).read_text())
    (path / MARKER).write_text(json.dumps({**marker, "host": "elsewhere"}))
    assert clean_stale(tmp_path / "run") == []
    assert path.is_dir()


def test_a_kill_between_two_renames_is_undone_by_the_next_run(tmp_path):
    """Where no atomic exchange exists the swap is two renames; a kill between them leaves
    the previous results in an ``.old-`` sibling and no output folder: they are put back."""
    old = _stale(tmp_path, "run", "old", _dead_pid(), marker="complete", files=["summary.csv"])
    done = clean_stale(tmp_path / "run")
    assert done == [f"put back the previous results from {old.name}"]
    assert (tmp_path / "run" / "summary.csv").is_file() and not old.exists()


@pytest.mark.parametrize("exchange", [True, False])
def test_commit_swaps_whole_folders_with_or_without_an_atomic_exchange(tmp_path, monkeypatch,
                                                                      exchange):
    if not exchange:
        monkeypatch.setattr(run_folder, "_exchange", lambda a, b: False)
    out = tmp_path / "run"
    for generation in ("first", "second"):
        folder = OutputFolder.prepare(out)
        (folder.staging / f"{generation}.csv").write_text(generation)
        folder.commit([folder.staging / f"{generation}.csv"])
        assert folder.committed
    assert {p.name for p in out.iterdir()} == {"second.csv", MARKER}
    assert hidden_siblings(out) == []


def test_the_atomic_exchange_is_used_where_the_system_has_it(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    if not run_folder._exchange(a, b):
        pytest.skip("no renameat2(RENAME_EXCHANGE) here")
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


def test_a_folder_that_changed_during_the_run_is_left_alone(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    folder = OutputFolder.prepare(out)
    (folder.staging / "summary.csv").write_text("new")
    (out / "arrived.txt").write_text("written by someone else meanwhile")
    with pytest.raises(OutputFolderError, match=r"changed during the run.*arrived\.txt"):
        folder.commit([folder.staging / "summary.csv"])
    assert {p.name for p in out.iterdir()} == {"arrived.txt"}
    kept = tmp_path / f"run.new-{os.getpid()}"
    assert (kept / "summary.csv").read_text() == "new"
    assert not folder.committed


def test_a_sweep_into_a_foreign_folder_is_refused(scenario, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "sweep.csv").write_text("someone else's sweep")
    code = main([str(scenario), "-q", "--trials", "40", "--out", str(out),
                 "--sweep", "energy.pue=1.1,1.3"])
    assert code == 2 and "sweep.csv" in capsys.readouterr().err
    assert (out / "sweep.csv").read_text() == "someone else's sweep"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs file permissions that apply (not root)")
def test_an_unwritable_place_is_reported_before_the_run(scenario, tmp_path, capsys, no_simulation):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        assert run(scenario, parent / "run") == 1
    finally:
        parent.chmod(0o755)
    assert "cannot write outputs" in capsys.readouterr().err
