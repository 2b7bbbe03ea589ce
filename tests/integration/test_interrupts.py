"""An interrupted run never leaves a half-written result, and says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from simulator.cli import main
from simulator.report import writers
from tests.conftest import BASE


@pytest.fixture
def previous_run(tmp_path):
    out = tmp_path / "run"
    assert main([str(BASE), "--trials", "300", "--out", str(out), "-q"]) == 0
    return out, {p.name: p.read_bytes() for p in out.iterdir()}


def test_ctrl_c_while_simulating_keeps_previous_results(previous_run, tmp_path):
    out, before = previous_run
    pause = tmp_path / "pause.txt"
    env = {**os.environ, "SIMULATOR_PAUSE_AT": "chunks", "SIMULATOR_PAUSE_FILE": str(pause)}
    # a test runner started in the background may inherit SIGINT as ignored; give the child
    # the default disposition, so that Ctrl-C acts as in a shell
    proc = subprocess.Popen([sys.executable, "-m", "simulator", str(BASE), "--trials",
                             "40000", "--workers", "2", "--out", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    while not (pause.exists() and "chunks" in pause.read_text()):  # simulating, on workers
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "interrupted: nothing was written" in err and "Traceback" not in err
    assert "holds the previous results" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


def test_interrupt_while_writing_keeps_previous_results(previous_run, monkeypatch):
    out, before = previous_run

    def write_then_stop(analysis, folder, **_options):
        (folder / "fan_chart.png").write_bytes(b"half a picture")
        raise KeyboardInterrupt

    monkeypatch.setattr(writers, "write_figures", write_then_stop)
    assert main([str(BASE), "--trials", "300", "--out", str(out), "-q"]) == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


def test_an_existing_output_folder_is_replaced_as_a_whole(previous_run):
    out, before = previous_run
    assert main([str(BASE), "--trials", "400", "--out", str(out), "-q"]) == 0
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(after) == set(before)
    assert after["manifest.json"] != before["manifest.json"]
    assert os.path.isdir(out)
