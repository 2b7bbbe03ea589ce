"""Fuzzing the whole command: mutated scenarios either run, with finite and non-negative
results, or are refused with exit code 2 and a message naming the file, never a traceback.

Mutations start from scenarios/base.yaml (as plain data) and from the tiny scenario of
conftest.py: drop a key, retype a value (text, list, mapping, null, boolean, huge, negative,
NaN, infinity) or perturb a number, one to three times.

Figures are still drawn (the plotting code sees every mutated result) but not rasterised:
``Figure.savefig`` writes a placeholder, which keeps a successful run well under a second.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import tempfile
import traceback
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from simulator.cli import main
from simulator.io.yaml_source import read_yaml_file
from tests.conftest import BASE, DELETE, TINY, set_key

#: The tiny scenario with two uncertain inputs and two claims (its all-fixed original cannot be
#: run yet: see KNOWN_CRASHES).
TINY_UNCERTAIN = copy.deepcopy(TINY)
TINY_UNCERTAIN["energy"]["utilisation"] = {"dist": "uniform", "low": 0.4, "high": 0.6}
TINY_UNCERTAIN["demand"]["growth"]["initial"] = {"dist": "lognormal", "low": 0.3, "high": 0.7}
TINY_UNCERTAIN["claims"] = ["cumulative_spend >= 300k", "installed_gw in 2026 < 0.001"]

STARTS = {"tiny": TINY_UNCERTAIN, "base": read_yaml_file(BASE)[0]}

#: Values a mutation may put anywhere.
ODD_VALUES = ["text", "", "7T", "-3%", [], [1, 2], {}, {"a": 1}, {"dist": "uniform"}, None, True,
              False, 10**30, -1, -1e9, 0, 1e308, float("nan"), float("inf"), float("-inf")]
#: Factors a number may be multiplied by.
FACTORS = [0.0, -1.0, 1e-9, 1e-3, 0.5, 0.999, 1.001, 2.0, 10.0, 1e3, 1e9]


def _paths(node, prefix=()) -> list[tuple]:
    """Every key path in the data (dict keys and list indices)."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    for key, value in items:
        out.append((*prefix, key))
        out += _paths(value, (*prefix, key))
    return out


def _parent(data, path):
    node = data
    for key in path[:-1]:
        node = node[key]
    return node


@st.composite
def mutated(draw) -> tuple[str, dict, list[str]]:
    """(start name, mutated data, description of the mutations)."""
    name = draw(st.sampled_from(sorted(STARTS)))
    data = copy.deepcopy(STARTS[name])
    done = []
    for _ in range(draw(st.sampled_from([1, 1, 2, 3]))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(data, path), path[-1]
        value = parent[key]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        # numbers are perturbed more often than retyped: most retypes are refused at once,
        # perturbed numbers reach the engine, the analysis and the plots
        ops = ["retype"] + (["drop"] if isinstance(parent, dict) else []) + \
            (["perturb"] * 4 if number else [])
        op = draw(st.sampled_from(ops))
        where = ".".join(map(str, path))
        if op == "drop":
            del parent[key]
            done.append(f"drop {where}")
        elif op == "retype":
            new = draw(st.sampled_from(ODD_VALUES))
            parent[key] = copy.deepcopy(new)
            done.append(f"{where} = {new!r}")
        else:
            factor = draw(st.sampled_from(FACTORS))
            new = value * factor
            parent[key] = int(new) if isinstance(value, int) and math.isfinite(new) else new
            done.append(f"{where} x {factor}")
    return name, data, done


@st.composite
def perturbed(draw) -> tuple[str, dict, list[str]]:
    """Numbers moved within an order of magnitude: mostly valid scenarios that reach the
    engine, the analysis and the plots."""
    name = draw(st.sampled_from(sorted(STARTS)))
    data = copy.deepcopy(STARTS[name])
    numbers = [p for p in _paths(data) if isinstance(_parent(data, p)[p[-1]], int | float)
               and not isinstance(_parent(data, p)[p[-1]], bool)]
    done = []
    for path in draw(st.lists(st.sampled_from(numbers), min_size=1, max_size=4, unique=True)):
        parent, key = _parent(data, path), path[-1]
        factor = draw(st.sampled_from([0.3, 0.5, 0.9, 1.1, 1.5, 3.0]))
        new = parent[key] * factor
        parent[key] = round(new) if isinstance(parent[key], int) else new
        done.append(f"{'.'.join(map(str, path))} x {factor}")
    return name, data, done


def _placeholder_savefig(self, fname, *args, **kwargs):
    """Lay out and draw nothing: the plotting functions have run; write a stand-in PNG."""
    Path(fname).write_bytes(b"\x89PNG\r\n\x1a\n")


#: Result columns that must be finite and non-negative: spend [USD], power [GW], NPV [USD].
NON_NEGATIVE = ("cumulative_spend", "npv", "installed_gw")
STAT_COLUMNS = ["mean", "p5", "p25", "p50", "p75", "p95"]


def _check_results(out: Path, note: str) -> None:
    summary = pd.read_csv(out / "summary.csv")
    rows = summary[summary["metric"].isin(NON_NEGATIVE)
                   | summary["metric"].str.match(r"^spend_\d{4}$")]
    assert not rows.empty, note
    values = rows[STAT_COLUMNS].to_numpy(dtype=float)
    assert (pd.notna(values) & (abs(values) < math.inf)).all(), f"non-finite summary: {note}"
    assert (values >= 0).all(), f"negative spend, GW or NPV: {note}"
    yearly = pd.read_csv(out / "yearly.csv")
    values = yearly[STAT_COLUMNS].to_numpy(dtype=float)
    assert (pd.notna(values) & (abs(values) < math.inf)).all(), f"non-finite yearly: {note}"
    assert (values >= 0).all(), f"negative yearly spend: {note}"
    assert (out / "report.html").is_file()


#: Crashes this fuzzer found in modules outside its remit (reported, not fixed here), each with a
#: minimal reproduction in test_known_crash below: (exception, module, function) of the
#: innermost simulator frame. The fuzzer passes over them so that it keeps looking for others.
KNOWN_CRASHES: set[tuple[str, str, str]] = set()  # all found so far are fixed


def _signature(exc: BaseException) -> tuple[str, str, str]:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "simulator" in Path(f.filename).parts and not f.name.startswith("<")]
    where = frames[-1] if frames else None
    return (type(exc).__name__, Path(where.filename).name if where else "",
            where.name if where else "")


FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(FUZZ, max_examples=60)
@given(mutated())
def test_mutated_scenarios_run_or_are_refused_cleanly(case):
    _run_or_refuse(*case)


@settings(FUZZ, max_examples=20)
@given(perturbed())
def test_perturbed_scenarios_run_or_are_refused_cleanly(case):
    _run_or_refuse(*case)


def _run_or_refuse(name: str, data: dict, done: list[str]) -> None:
    """The contract: exit code 0 with finite, non-negative results, or exit code 2 with a
    message naming the file; never an exception or a traceback."""
    note = f"{name} with {'; '.join(done)}"
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        mp.setattr(Figure, "savefig", _placeholder_savefig)
        path = Path(tmp) / "scenario.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        out = Path(tmp) / "out"
        stdout, stderr = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = main([str(path), "--trials", "200", "--out", str(out), "-q"])
        except Exception as exc:
            if _signature(exc) in KNOWN_CRASHES:
                reject()  # reported and reproduced in test_known_crash
            raise AssertionError(f"crash {_signature(exc)}: {note}") from exc
        err = stderr.getvalue()
        event(f"{name}: exit code {code}")
        assert "Traceback" not in err, note
        assert code in (0, 2), f"exit code {code}: {note}\n{err}"
        if code == 2:
            # warnings about unusual values (the tiny scenario's prices) may come first
            assert err.startswith(("error: ", "warning: ")) and "error: " in err \
                and str(path) in err, f"{note}\n{err}"
        else:
            _check_results(out, note)


def _tiny(**changes) -> dict:
    """The tiny scenario with one uncertain input, changed by key path."""
    data = copy.deepcopy(TINY)
    data["energy"]["utilisation"] = {"dist": "uniform", "low": 0.4, "high": 0.6}
    for dotted, value in changes.items():
        set_key(data, dotted, DELETE if value is None else value)
    return data


@pytest.mark.parametrize("data", [
    pytest.param(copy.deepcopy(TINY), id="every input fixed"),
    pytest.param(_tiny(**{"strategies.only_a.shares": {}}), id="empty shares"),
    pytest.param(_tiny(**{"demand.start.compute_units": 1e36}), id="float32 overflow"),
    pytest.param(_tiny(**{"demand.start.compute_units": 1e36, "strategies.a_to_b": None,
                          "claims": ["cumulative_spend >= 1T"]}),
                 id="float32 overflow, one strategy"),
    pytest.param(_tiny(**{"demand.start.compute_units": 0}), id="no demand"),
])
def test_former_crash(tmp_path, data):
    """Minimal reproductions of crashes the fuzzer found (every input fixed, empty shares,
    spend beyond float32, no demand): each must now run or be refused with exit code 2."""
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert main([str(path), "--trials", "200", "--out", str(tmp_path / "out"), "-q"]) in (0, 2)
