"""Fault injection: a run stopped by SIGINT, SIGTERM or SIGKILL (to its main process or its
whole process group) at each phase keeps the previous results or has the new ones complete,
never a mix; exits 130 / 143 with a true message and no traceback; leaves no process, no
shared memory and (after the next run's clean-up) no hidden folder behind.

Each run is stopped at an exact point through the pause points of
:mod:`simulator.interrupts`, so nothing here depends on timing. The full matrix (every phase x
signal x target, repeated) is ``benchmarks/signal_matrix.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.integration.signal_harness import interrupt_run, previous_results, tiny_scenario

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="inspects /proc and process groups")

CASES = [
    # phase, signal, to the whole group
    ("start", signal.SIGINT, False),     # before the command's imports are done
    ("loaded", signal.SIGTERM, False),   # output folder checked, nothing simulated
    ("pool", signal.SIGINT, True),       # Ctrl-C as workers start (was swallowed)
    ("pool", signal.SIGKILL, False),     # workers must notice their parent is gone
    ("chunks", signal.SIGTERM, True),
    ("chunks", signal.SIGKILL, True),    # a closed terminal, a job scheduler
    ("writing", signal.SIGINT, False),
    ("figures", signal.SIGTERM, True),   # figure-drawing workers running
    ("swap", signal.SIGINT, False),      # held back: the swap completes, then the stop
    ("swap", signal.SIGKILL, True),
    ("swapped", signal.SIGKILL, False),  # killed while deleting the previous results
    ("done", signal.SIGTERM, False),
]


@pytest.mark.parametrize(("phase", "sig", "group"), CASES,
                         ids=[f"{p}-{s.name}-{'group' if g else 'main'}" for p, s, g in CASES])
def test_a_stopped_run_keeps_previous_results_or_completes(tmp_path, phase, sig, group):
    scenario = tiny_scenario(tmp_path)
    out = tmp_path / "run"
    previous_results(out)
    outcome = interrupt_run(scenario, out, phase=phase, sig=sig, group=group)
    assert outcome.problems() == []
    assert outcome.state == ("new" if phase in ("swapped", "done") or
                             (phase == "swap" and sig != signal.SIGKILL) else "previous")


def test_an_interrupted_first_run_creates_nothing(tmp_path):
    scenario = tiny_scenario(tmp_path)
    out = tmp_path / "deep" / "run"
    outcome = interrupt_run(scenario, out, phase="chunks", sig=signal.SIGINT, group=True)
    assert outcome.returncode == 130 and "Traceback" not in outcome.stderr
    assert "nothing was written" in outcome.stderr and "was not created" in outcome.stderr
    assert not (tmp_path / "deep").exists()


def test_a_killed_run_is_cleaned_up_by_the_next_run_through_the_command(tmp_path):
    """Not the harness's clean-up: the hidden folder a SIGKILL leaves is gone after the next
    real run, and that run says so."""
    from simulator.cli import main

    scenario = tiny_scenario(tmp_path)
    out = tmp_path / "run"
    previous_results(out)
    pause = tmp_path / "pause.txt"
    env = {**os.environ, "SIMULATOR_PAUSE_AT": "writing", "SIMULATOR_PAUSE_FILE": str(pause)}
    proc = subprocess.Popen([sys.executable, "-m", "simulator", str(scenario), "--trials", "50",
                             "--out", str(out), "-q"], env=env, start_new_session=True)
    while not (pause.exists() and "writing" in pause.read_text()):
        assert proc.poll() is None, "the run ended before it was stopped"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stale = [p.name for p in tmp_path.iterdir() if p.name.startswith(".run.partial-")]
    assert len(stale) == 1
    assert main([str(scenario), "--trials", "50", "--out", str(out)]) == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run.")]
