"""Importing what a run needs after its simulation (pandas, matplotlib, the analysis and the
report: most of a second) while the simulation's worker processes run, instead of before.

The simulation's workers are forked, and a fork must never copy a module half imported by
another thread (the child would wait for ever on that module's lock if it imported it). So the
importing thread starts only once the first worker has been forked, and every later fork waits
until the module the thread is importing is complete: imports and forks take turns under one
lock, taken by every fork of this process (:func:`os.register_at_fork`). Where nothing is forked
(a run of a few chunks simulates in this process, faster than on a pool; or a start method
other than fork) the modules are imported after the simulation, by :meth:`Preload.wait`: a
thread importing beside a simulation in the same process only slows it down (both need the
interpreter).
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Sequence

#: Held by the importing thread for each module, and by this process around each fork.
_turns = threading.Lock()
#: Set while a fork waits for its turn, so that the importing thread lets it go first.
_fork_waiting = threading.Event()
#: The importer to start after the next fork, if any.
_armed: Preload | None = None


def _before_fork() -> None:
    _fork_waiting.set()
    _turns.acquire()


def _after_fork_in_parent() -> None:
    _turns.release()
    _fork_waiting.clear()
    global _armed
    if _armed is not None:
        preload, _armed = _armed, None
        preload.start()


def _after_fork_in_child() -> None:
    global _armed
    _armed = None
    _turns.release()
    _fork_waiting.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)


class Preload:
    """Modules imported by a thread of this process once it has forked (see the module's
    description): use as a context manager around the call that forks the workers, then
    :meth:`wait` before using them.

    Parameters
    ----------
    modules : sequence of str
        Module names, imported in this order; ``module:function`` also calls a function of
        the module without arguments (one that loads what the module would load on first
        use). What fails is left to the caller, whose own import raises it.
    """

    def __init__(self, modules: Sequence[str]) -> None:
        self.modules = tuple(modules)
        self._thread: threading.Thread | None = None
        self._done = False

    def __enter__(self) -> Preload:
        global _armed
        _armed = self
        return self

    def __exit__(self, *exc: object) -> None:
        global _armed
        if _armed is self:  # nothing was forked
            _armed = None

    def start(self) -> None:
        """Start importing in a thread (called after the first fork in the context)."""
        self._thread = threading.Thread(target=self._run, name="preload", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for entry in self.modules:
            name, _, function = entry.partition(":")
            while _fork_waiting.is_set():  # a fork goes first
                time.sleep(0.001)
            with _turns:
                try:
                    module = importlib.import_module(name)
                    if function:
                        getattr(module, function)()
                except Exception:  # raised again where the run imports it, if it needs it
                    continue
        self._done = True

    def wait(self) -> None:
        """Return once everything is imported: wait for the thread, or import here if none
        started (what the libraries load on first use is then loaded before a later fork,
        once for every process forked from this one)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        elif not self._done:
            self._run()
