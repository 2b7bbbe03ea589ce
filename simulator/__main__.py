"""The ``simulate`` console command (also ``python -m simulator``).

SIGINT and SIGTERM are handled from the process's first moments: this module imports nothing
but the standard library and :mod:`simulator.interrupts` before installing the handlers, and
only then loads the command (NumPy, pydantic and the rest take a second or more), so a Ctrl-C
at any moment ends the command with exit code 130 (143 for SIGTERM) and a one-line message,
never a traceback.

Once the command has its exit code, the process ends without the interpreter's own teardown:
the exit handlers run (pools and temporary folders are cleaned up, as at any exit), the
standard streams are flushed, and then the process exits at once. The teardown would free the
objects of every loaded module one by one (NumPy, pandas, matplotlib, the run's results): a
third of a second or more after a default run, with nothing left to write.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading

from simulator import interrupts


def console() -> None:
    """Run the ``simulate`` command and exit with its code."""
    interrupts.install()
    try:
        interrupts.checkpoint("start")
        from simulator.cli import main

        code = main()
        # the run is over: a late signal ends the process with its code rather than raising
        # in the interpreter's shutdown
        interrupts.exit_at_once()
    except KeyboardInterrupt as exc:  # loading the command, or between its end and here
        interrupts.exit_at_once()
        print("\ninterrupted", file=sys.stderr)
        code = getattr(exc, "exit_code", 130)
    _exit_now(code)


def _exit_now(code: int | str | None) -> None:
    """End the process with ``code`` as :func:`sys.exit` would (None is 0; a string is printed
    to stderr and gives 1), after the exit handlers and a flush of stdout and stderr, but
    without the interpreter's teardown of every module."""
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    status = 0 if code is None else int(code)
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.main_thread()):
        sys.exit(status)  # the interpreter waits for them (and runs their exit hooks)
    atexit._run_exitfuncs()  # what the interpreter would run at exit (CPython's own helper)
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (output piped into `head`) or a closed stream has nothing to flush
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    console()
