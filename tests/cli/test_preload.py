"""The command's imports ahead of need (simulator.cli.preload): after a fork, a thread imports
the modules in order, calls ``module:function`` entries, and goes on past a module that cannot
be imported; without a fork, ``wait`` imports them."""

from __future__ import annotations

import multiprocessing as mp
import sys

import pytest

from simulator.cli.preload import Preload

pytestmark = pytest.mark.skipif("fork" not in mp.get_all_start_methods(),
                                reason="imports ahead of need start at a fork")

CALLS: list[str] = []


def mark() -> None:
    CALLS.append("called")


def _fork_once() -> None:
    process = mp.get_context("fork").Process(target=int)
    process.start()
    process.join()
    assert process.exitcode == 0


def test_without_a_fork_the_modules_are_imported_by_wait(monkeypatch):
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    with Preload(["colorsys"]) as preload:
        assert "colorsys" not in sys.modules
    assert "colorsys" not in sys.modules
    preload.wait()
    assert "colorsys" in sys.modules


def test_a_fork_starts_the_imports(monkeypatch):
    for name in ("colorsys", "wave"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    CALLS.clear()
    with Preload(["colorsys", "no_such_module_anywhere", f"{__name__}:mark", "wave"]) as preload:
        _fork_once()
    preload.wait()
    assert "colorsys" in sys.modules and "wave" in sys.modules
    assert CALLS == ["called"]
    _fork_once()  # a later fork starts nothing more, and is not held up
    preload.wait()
    assert CALLS == ["called"]
