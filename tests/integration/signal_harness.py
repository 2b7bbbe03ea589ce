"""Stop a ``simulate`` run with a signal at a chosen phase and inspect what it leaves.

Shared by ``tests/test_signals.py`` (a few cases) and ``benchmarks/signal_matrix.py`` (every
phase x signal x target, repeated). A run is stopped at an exact point through the pause
points of :mod:`simulator.interrupts` (``SIMULATOR_PAUSE_AT``), not after a guessed sleep.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from simulator.interrupts import PAUSE_AT, PAUSE_FILE
from simulator.report.run_folder import MARKER, clean_stale

#: Phases of a run, in order: before the command's imports, output folder checked, worker
#: pool started, first block of chunks done, tables written, figure workers started, inside
#: the held-back section before the swap, after the swap (old results being deleted), after
#: the commit.
PHASES = ("start", "loaded", "pool", "chunks", "writing", "figures", "swap", "swapped", "done")
#: Phases at which the new results are already in the output folder.
COMMITTED = ("swapped", "done")
#: Phases at which a held-back signal is delivered after the swap (so the new results win).
DEFERRED = ("swap",)

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
#: Seed of the interrupted run (the previous results use another).
NEW_SEED = 7
#: Two chunks of the engine: the smallest run that uses the worker pool with two workers.
TRIALS = 2 * 16_384
#: Bound on any one wait, so a broken run fails instead of hanging [s]; never an assertion.
PATIENCE = 300.0


def tiny_scenario(folder: Path) -> Path:
    """The tests' tiny scenario with one uncertain input, written to ``folder``."""
    from tests.conftest import TINY

    data = json.loads(json.dumps(TINY))
    data["energy"]["utilisation"] = {"dist": "uniform", "low": 0.4, "high": 0.6}
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def snapshot(folder: Path) -> dict[str, bytes] | None:
    if not folder.is_dir():
        return None
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def previous_results(folder: Path) -> dict[str, bytes]:
    """Make ``folder`` look like a previous run's output (marker and files, seed 1) without
    running one, and return its snapshot."""
    folder.mkdir(parents=True)
    (folder / "summary.csv").write_text("strategy,metric,mean\nonly_a,cumulative_spend,1\n")
    (folder / "manifest.json").write_text(json.dumps({"seed": 1}) + "\n")
    (folder / "fan_chart.png").write_bytes(b"\x89PNG previous")
    marker = {"format": "ai-infra-simulator run folder", "version": 1, "state": "complete",
              "files": ["fan_chart.png", "manifest.json", "summary.csv"], "pid": 1,
              "host": socket.gethostname()}
    (folder / MARKER).write_text(json.dumps(marker))
    return snapshot(folder)


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return fields[0], int(fields[2])


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) and st[1] == pgid and st[0] != "Z":
            members.append(int(entry))
    return members


def shared_memory_of(pids: list[int]) -> set[str]:
    """Shared memory the processes map or hold: ``/dev/shm`` paths and anonymous memory files."""
    found = set()
    for pid in pids:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        for line in maps.splitlines():
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and (parts[5].startswith("/dev/shm/")
                                    or parts[5].startswith("/memfd:")):
                found.add(parts[5].removesuffix(" (deleted)"))
    return found


def memory_still_held(names: set[str]) -> set[str]:
    """Which of ``names`` (from :func:`shared_memory_of`) any process on the machine still maps,
    or, for ``/dev/shm`` paths, still exist."""
    left = {n for n in names if n.startswith("/dev/shm/") and os.path.exists(n)}
    memfds = {n for n in names if n.startswith("/memfd:")}
    if memfds:
        pids = [int(e) for e in os.listdir("/proc") if e.isdigit()]
        left |= memfds & shared_memory_of(pids)
    return left


@dataclass
class Outcome:
    """What one interrupted run left."""

    phase: str
    signal: str
    group: bool
    returncode: int | None = None
    stderr: str = ""
    state: str = ""                   # previous | new | mixed | missing
    leftovers: list[str] = field(default_factory=list)   # after the next run's clean-up
    memory: list[str] = field(default_factory=list)      # shared memory still held
    processes: list[int] = field(default_factory=list)   # processes of the run still alive
    reached: bool = True

    @property
    def expected_code(self) -> int:
        sig = signal.Signals[self.signal]
        return -sig if sig == signal.SIGKILL else 128 + sig

    @property
    def expected_state(self) -> str:
        if self.phase in COMMITTED or (self.phase in DEFERRED and self.signal != "SIGKILL"):
            return "new"
        return "previous"

    def problems(self) -> list[str]:
        """Every way this outcome breaks the rules (empty when it keeps them all)."""
        out = []
        if not self.reached:
            return [f"the run never reached {self.phase!r}: {self.stderr[-500:]}"]
        if self.returncode != self.expected_code:
            out.append(f"exit code {self.returncode}, expected {self.expected_code}")
        if self.state != self.expected_state:
            out.append(f"output folder holds {self.state} results, expected {self.expected_state}")
        if self.leftovers:
            out.append(f"left behind: {self.leftovers}")
        if self.memory:
            out.append(f"shared memory still held: {sorted(self.memory)}")
        if self.processes:
            out.append(f"processes still running: {self.processes}")
        if self.signal != "SIGKILL":
            if "Traceback" in self.stderr:
                out.append("a traceback: " + self.stderr[-800:])
            said = self.stderr
            if self.phase != "start" and self.expected_state == "new" \
                    and "holds the new results" not in said:
                out.append(f"the message does not say the new results are there: {said!r}")
            if self.phase != "start" and self.expected_state == "previous" \
                    and "holds the previous results" not in said:
                out.append(f"the message does not say the previous results are kept: {said!r}")
            if "interrupted" not in said:
                out.append(f"no 'interrupted' message: {said!r}")
        return out


def _state(out: Path, before: dict[str, bytes] | None) -> str:
    now = snapshot(out)
    if now is None:
        return "missing"
    if now == before:
        return "previous"
    try:
        marker = json.loads(now[MARKER])
        manifest = json.loads(now["manifest.json"])
    except (KeyError, ValueError):
        return "mixed"
    whole = marker.get("state") == "complete" and set(marker["files"]) == set(now) - {MARKER}
    return "new" if whole and manifest.get("seed") == NEW_SEED else "mixed"


def interrupt_run(scenario: Path, out: Path, *, phase: str, sig: signal.Signals,
                  group: bool, trials: int = TRIALS, workers: int = 2) -> Outcome:
    """Start ``simulate SCENARIO --out OUT`` in its own process group, stop it with ``sig`` (to
    its main process, or to the whole group) once it reaches ``phase``, then inspect ``out``,
    its hidden siblings after the clean-up the next run does, the run's processes and its
    shared memory."""
    outcome = Outcome(phase=phase, signal=sig.name, group=group)
    before = snapshot(out)
    pause_file = scenario.parent / f"pause-{uuid.uuid4().hex}.txt"
    env = {**os.environ, PAUSE_AT: phase, PAUSE_FILE: str(pause_file),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "simulator", str(scenario), "--trials", str(trials),
           "--seed", str(NEW_SEED), "--workers", str(workers), "--out", str(out), "-q"]
    # a shell gives a foreground command the default Ctrl-C disposition; a test runner in
    # the background may have SIGINT ignored, which the child would inherit
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + PATIENCE
        while not (pause_file.exists() and phase in pause_file.read_text()):
            if proc.poll() is not None or time.monotonic() > deadline:
                outcome.reached = False
                break
            time.sleep(0.02)
        memory = shared_memory_of(group_members(proc.pid))
        if outcome.reached:
            (os.killpg if group else os.kill)(proc.pid, sig)
        _, outcome.stderr = proc.communicate(timeout=PATIENCE)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        pause_file.unlink(missing_ok=True)
    outcome.returncode = proc.returncode
    # workers of a killed main process notice within half a second and exit
    deadline = time.monotonic() + PATIENCE
    while (alive := group_members(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    outcome.processes = alive
    outcome.memory = sorted(memory_still_held(memory))
    clean_stale(out)  # what the next run into the same place does first
    outcome.state = _state(out, before)
    outcome.leftovers = sorted(p.name for p in out.parent.iterdir()
                               if p.name.startswith(f".{out.name}.")) \
        if out.parent.is_dir() else []
    return outcome
