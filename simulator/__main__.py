"""The ``simulate`` console command (also ``python -m simulator``).

SIGINT and SIGTERM are handled from the process's first moments: this module imports nothing
but the standard library and :mod:`simulator.interrupts` before installing the handlers, and
only then loads the command (NumPy, pydantic and the rest take a second or more), so a Ctrl-C
at any moment ends the command with exit code 130 (143 for SIGTERM) and a one-line message,
never a traceback.
"""

from __future__ import annotations

import sys

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
    sys.exit(code)


if __name__ == "__main__":
    console()
