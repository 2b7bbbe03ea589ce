"""Interrupts of the ``simulate`` command: SIGINT and SIGTERM become an exception that unwinds
the run (so temporary folders are removed and the message says what is on disk), and a few
short sections (the swap of an output folder) are never cut in half.

Only the command installs the handlers (:func:`install`); a library caller keeps its own.
Nothing here imports anything but the standard library, so the command can install the
handlers before its heavy imports.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: The signals a run turns into :class:`Interrupted` (Ctrl-C, and a polite ``kill``).
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A run was stopped by a signal; ``exit_code`` is 128 + the signal number (130 for
    SIGINT, 143 for SIGTERM), as a shell reports it. A KeyboardInterrupt, so code that already
    unwinds on Ctrl-C unwinds on SIGTERM the same way."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


#: The last signal :func:`install`'s handler received, or None.
received: int | None = None


def _raise(signum: int, _frame: object) -> None:
    global received
    received = signum
    raise Interrupted(signum)


def install() -> dict[int, object] | None:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` in this process; returns the previous
    handlers for :func:`restore`, or None where handlers cannot be set (not the main thread).
    A signal this process was started ignoring stays ignored, as Python does for SIGINT (a job
    started with ``nohup`` or in the background of a script is not meant to stop on Ctrl-C)."""
    global received
    if threading.current_thread() is not threading.main_thread():
        return None
    received = None
    return {sig: signal.signal(sig, _raise) for sig in SIGNALS
            if signal.getsignal(sig) is not signal.SIG_IGN}


def check() -> None:
    """Raise :class:`Interrupted` again if a signal arrived but its exception was lost: a
    handler that runs inside a finaliser or a garbage-collection callback has its exception
    printed and dropped, which would let an interrupted run go on."""
    if received is not None:
        raise Interrupted(received)


def restore(previous: dict[int, object] | None) -> None:
    """Put back the handlers :func:`install` replaced."""
    for sig, handler in (previous or {}).items():
        signal.signal(sig, handler)


def exit_at_once() -> None:
    """After a run is complete: a late SIGINT or SIGTERM ends the process at once with its exit
    code instead of raising inside the interpreter's shutdown (there is nothing left to undo)."""
    if threading.current_thread() is threading.main_thread():
        for sig in SIGNALS:
            signal.signal(sig, lambda signum, _frame: os._exit(128 + signum))


def in_worker() -> None:
    """Signal set-up of a worker process forked from the command: Ctrl-C reaches the whole
    process group, but only the main process acts on it (it stops the workers), so workers
    ignore SIGINT; SIGTERM ends a worker at once. Unblocks what :func:`deferred` blocked
    across the fork."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs (they are delivered, and raise, when it
    ends): for steps that must not stop half-way, such as swapping an output folder, and for
    starting worker processes (a fork copies the blocked set, so a worker never runs Python
    code under its parent's handlers). A no-op where signals cannot be blocked."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


#: Test hook: ``SIMULATOR_PAUSE_AT`` names phases (comma-separated) at which a run stops and
#: waits; it appends the phase to the file named by ``SIMULATOR_PAUSE_FILE`` first, so a test
#: can send a signal at exactly that point instead of guessing with sleeps.
PAUSE_AT = "SIMULATOR_PAUSE_AT"
PAUSE_FILE = "SIMULATOR_PAUSE_FILE"
#: How long a pause point waits for a signal before the run goes on [s].
PAUSE_LIMIT = 120.0


def checkpoint(phase: str) -> None:
    """A named point of a run where the fault-injection tests can stop it (see ``PAUSE_AT``);
    does nothing unless the environment asks for this phase."""
    wanted = os.environ.get(PAUSE_AT)
    if not wanted or phase not in wanted.split(","):
        return
    with open(os.environ[PAUSE_FILE], "a") as f:
        f.write(f"{phase} {os.getpid()}\n")
    end = time.monotonic() + PAUSE_LIMIT
    while time.monotonic() < end:
        # a signal held back by deferred() cannot interrupt the sleep: stop waiting once one
        # is pending, so it is delivered when the section ends
        if hasattr(signal, "sigpending") and set(signal.sigpending()) & set(SIGNALS):
            return
        time.sleep(0.01)
    print(f"note: pause point {phase!r} timed out", file=sys.stderr)
