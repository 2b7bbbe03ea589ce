"""The ``simulate`` command: a thin layer over the public API.

::

    simulate SCENARIO.yaml [--trials N] [--seed S] [--out DIR] [--set KEY=VALUE ...]
                           [--claim TEXT ...] [--sampler random|lhs|sobol] [--sobol N]
                           [--precision SE] [--sweep KEY=V1,V2,...] [--quiet]
    simulate validate FILE [FILE ...]
    simulate describe SCENARIO.yaml [--markdown]
    simulate schema
    simulate optimize SCENARIO.yaml [--budget N] [--trials N] [--seed S] [--out DIR]
    simulate explore SCENARIO.yaml [--port N] [--no-browser] [--address 127.0.0.1]

Exit codes: 0 success, 1 the environment (outputs cannot be written, an optional package is
missing, a Dask scheduler cannot be reached), 2 bad input (scenario or arguments, or an output
folder holding files the program did not write), 130 interrupted (Ctrl-C), 143 stopped by
SIGTERM.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

# Only what reading and checking a scenario needs is imported up front, so that bad input is
# reported quickly; the engine, pandas and matplotlib load when a run starts.
from simulator import interrupts
from simulator.cli.arguments import build_parser
from simulator.cli.commands import describe_command, schema_command, validate_command
from simulator.cli.explore import explore_command
from simulator.cli.optimize import optimize_command
from simulator.cli.run import simulate_command


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``simulate`` command; returns the exit code.

    SIGINT and SIGTERM are handled throughout (exit 130 and 143): an interrupted run removes
    what it had started to write and says what the output folder holds.
    """
    previous = interrupts.install()
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:  # outside a run (loading, printing): nothing half-written
        print("\ninterrupted", file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    finally:
        interrupts.restore(previous)


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # this process is the command: warnings read as one plain line, not a source location
    warnings.formatwarning = lambda message, *_args, **_kwargs: f"warning: {message}\n"
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return SUBCOMMANDS[argv[0]](argv[1:])
        args = build_parser().parse_args(argv)
        # overflow and 0/0 inside the model are caught by its numerical guard, which names the
        # inputs responsible; NumPy's own warnings would only print noise before that message
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return simulate_command(args, argv)
    except BrokenPipeError:
        # output piped into e.g. `head`, which stopped reading: not an error
        sys.stderr.close()
        return 0


SUBCOMMANDS = {"validate": validate_command, "schema": schema_command,
               "describe": describe_command, "optimize": optimize_command,
               "explore": explore_command}
