"""Where the ``simulate`` commands write: the default output folder of a run (its own folder
when overrides change the numbers), the output folder checked before anything is simulated,
the truthful message about what an interrupted run leaves in it, and how a command that
fails ends (one line, an exit code)."""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from simulator import interrupts
from simulator.errors import NumericalError, ScenarioError
from simulator.report.run_folder import OutputFolder, OutputFolderError

#: What a run, a sweep or a lever search can end with besides its result: each has its message
#: and exit code in :func:`failure_exit`.
FAILURES = (BrokenProcessPool, ScenarioError, NumericalError, OutputFolderError, OSError,
            RuntimeError)


def failure_exit(exc: BaseException, args: argparse.Namespace, out: Path | str) -> int:
    """Print the one-line message for one of :data:`FAILURES` and return its exit code (2 for
    the scenario's fault, 1 otherwise); an interrupt that reached the workers first stays an
    interrupt."""
    if isinstance(exc, BrokenProcessPool):  # before RuntimeError, which it is
        if interrupts.received is not None:  # the signal reached the workers first
            raise interrupts.Interrupted(interrupts.received) from None
        message, code = (f"a worker process died (out of memory?); nothing was written; {out} "
                         "is unchanged"), 1
    elif isinstance(exc, ScenarioError):
        message, code = str(exc), 2
    elif isinstance(exc, NumericalError):
        message, code = f"{args.scenario}: {exc}", 2
    elif isinstance(exc, OSError):
        message, code = f"cannot write outputs to {out}: {exc.strerror or exc}", 1
    else:  # OutputFolderError; RuntimeError: a missing extra, an unreachable or lost cluster
        message, code = str(exc), 1
    print(f"error: {message}", file=sys.stderr)
    return code


def default_output(name: str, overrides: list[str], *, suffix: str = "") -> Path:
    """The output folder of a run without ``--out``: ``runs/<name><suffix>`` for the scenario
    as it is, and ``runs/<name><suffix>-<8 hex digits>`` with overrides, the digits a hash of
    the overrides (:func:`run_overrides`), so that a run with changed values never replaces
    the unmodified run's folder, and the same overrides always find the same folder."""
    if not overrides:
        return Path("runs") / f"{name}{suffix}"
    digest = hashlib.sha256("\n".join(overrides).encode()).hexdigest()[:8]
    return Path("runs") / f"{name}{suffix}-{digest}"



def prepare_output(out: Path, args: argparse.Namespace) -> OutputFolder | int:
    """The checked output folder, or the exit code after saying why it cannot be used: checked
    before simulating, so nobody waits for results that cannot be written."""
    try:
        folder = OutputFolder.prepare(out, keep=[args.scenario])
    except OutputFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write outputs to {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        for note in folder.notes:
            print(f"note: {note} (left by an interrupted run)", file=sys.stderr)
    return folder


def write_into(out: Path, args: argparse.Namespace, work: Callable[[OutputFolder], int]) -> int:
    """Run ``work`` into the checked output folder ``out``; on an interrupt, discard what it
    staged and say truthfully what the folder holds. Returns the command's exit code."""
    folder = prepare_output(out, args)
    if isinstance(folder, int):
        return folder
    try:
        return work(folder)
    except KeyboardInterrupt as exc:
        folder.discard()
        print(interrupted_message(folder), file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    finally:
        folder.discard()  # nothing to do once committed


def interrupted_message(folder: OutputFolder) -> str:
    """What an interrupted run leaves in its output folder, truthfully."""
    if folder.committed:
        return (f"\ninterrupted after the new results were complete: {folder.path} holds the "
                "new results")
    state = ("is unchanged and holds the previous results" if folder.had_results else
             "is unchanged (empty)" if folder.target.is_dir() else "was not created")
    return f"\ninterrupted: nothing was written; {folder.path} {state}"

