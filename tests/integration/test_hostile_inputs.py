"""Hostile and malformed input: every case stops with a clear message (file, line where
possible, key path, problem, hint), exit code 2 and no traceback, without exhausting memory or
the recursion limit. (How long a refusal takes is measured by benchmarks, not asserted here: a
time limit fails on a busy machine.)

Extends tests/test_bad_input.py (which keeps its cases); a few cases run through the real
``simulate`` console script in a subprocess, with a memory limit, to prove it end to end.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulator.cli import main
from simulator.io.inheritance import MAX_EXTENDS
from simulator.io.yaml_source import MAX_BYTES, MAX_DEPTH, MAX_NODES
from tests.conftest import TINY, set_key


def refuse(path: Path, capsys, *extra: str, out: Path | None = None) -> str:
    """Run the CLI on ``path`` and check that it refuses it cleanly; returns stderr from the error.
    Warnings about unusual values (the tiny scenario's prices) may come before the error."""
    out = out or path.parent / "out"
    code = main([str(path), "--quiet", "--trials", "50", "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith(("error: ", "warning: "))
    err = err[err.index("error: "):]
    return err


def uncertain_tiny() -> dict:
    """The tiny scenario with one uncertain input (a run of an all-fixed scenario is tested
    elsewhere); valid as it stands."""
    data = copy.deepcopy(TINY)
    data["energy"]["utilisation"] = {"dist": "uniform", "low": 0.4, "high": 0.6}
    return data


def dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def line_of(path: Path, text: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if text in t)


# -- the file itself ------------------------------------------------------------------------------

def laughs(levels: int = 10, width: int = 9) -> str:
    lines = [f'a0: &a0 [{", ".join(["lol"] * width)}]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def merge_bomb(levels: int = 10, width: int = 9) -> str:
    """A billion laughs through '<<' merge keys: PyYAML's own merge flattening would build
    2 x 9**9 entries before anything could count them."""
    lines = ["a0: &a0 {x: 1, y: 2}"]
    lines += [f"a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * width)}]}}"
              for i in range(1, levels)]
    return "\n".join(lines) + "\n"


TEXT_CASES = {
    # name: (file text or bytes, expected in the message, expected line or None)
    "only comments": ("# nothing here\n\n   \n# still nothing\n", "the file is empty", None),
    "a PNG": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not UTF-8", 1),
    "a NUL byte": ("name: tiny\nscope: a\x00b\n", "control character (#x0000)", 2),
    "UTF-16": ("name: tiny\n".encode("utf-16"), "not UTF-8", 1),
    "two documents": ("name: a\n---\nname: b\n", "one YAML document", 2),
    "unclosed quote": ("name: 'tiny\nscope: x\n", "not valid YAML", None),
    "tab indentation": ("horizon:\n\tstart: 2025\n", "indent with spaces, not tabs", 2),
    "colon in text": ("name: a: b\n", "quote text that contains ': '", 1),
    "billion laughs": (laughs(), "runaway aliases", 1),
    "merge-key bomb": (merge_bomb(), "runaway aliases", None),
    "merge of a number": ("a: {<<: 1}\n", "merge key '<<' takes a mapping", 1),
    "alias inside its anchor": ("name: &a [*a]\n", f"nested more than {MAX_DEPTH} levels", 1),
    "10,000 nested lists": ("name: " + "[" * 10_000 + "]" * 10_000 + "\n",
                            f"nested more than {MAX_DEPTH} levels", 1),
    "10,000 nested mappings": ("name: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n",
                               f"nested more than {MAX_DEPTH} levels", 1),
    "deep block nesting": ("".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "1\n",
                           f"nested more than {MAX_DEPTH} levels", None),
    "too many values": ("values: [" + ", ".join(["1"] * (MAX_NODES + 10)) + "]\n",
                        f"more than {MAX_NODES:,} YAML values", 1),
    "too large": ("# " + "x" * (MAX_BYTES + 10) + "\n", "a scenario is at most", None),
    "an integer with 5,000 digits": ("trials: " + "9" * 5000 + "\n", "too large", 1),
    "an integer beyond float range": ("seed: 1\ntrials: " + "9" * 400 + "\n", "too large", 2),
    "a null key": ("null: 1\n", "keys must be text", 1),
    "a list as key": ("? [a, b]\n: 1\n", "cannot be used as a key", 1),
    "!!binary": ("name: !!binary aGVsbG8=\n", "YAML tag 'binary'", 1),
    "!!set": ("name: !!set {a, b}\n", "YAML tag 'set'", 1),
    "!!omap": ("name: !!omap [a: 1]\n", "YAML tag 'omap'", 1),
    "!!python/object/new": ("name: !!python/object/new:os.system [echo hi]\n",
                            "YAML tag 'python/object/new:os.system'", 1),
    "a tag on a key": ("!!python/name:os.system x: 1\n", "YAML tag 'python/name:os.system'", 1),
    "a tag on a mapping": ("horizon: !!python/object:argparse.Namespace {start: 1}\n",
                           "YAML tag 'python/object:argparse.Namespace'", 1),
}


@pytest.mark.parametrize("case", list(TEXT_CASES))
def test_malformed_files(tmp_path, capsys, case):
    content, expect, line = TEXT_CASES[case]
    path = tmp_path / "scenario.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    err = refuse(path, capsys)
    assert expect in err
    assert str(path) in err
    assert "(hint: " in err
    if line is not None:
        assert f"{path}:{line}:" in err


def test_special_files(tmp_path, capsys):
    err = refuse(tmp_path, capsys)
    assert "is a directory" in err and "hint: " in err
    if Path("/dev/zero").exists():  # reading it would never end
        err = refuse(Path("/dev/zero"), capsys, out=tmp_path / "out")
        assert "not a regular file" in err
    fifo = tmp_path / "pipe.yaml"
    if hasattr(os, "mkfifo"):  # opening a pipe without a writer would block forever
        os.mkfifo(fifo)
        err = refuse(fifo, capsys)
        assert "not a regular file" in err


def test_merge_keys_still_work(tmp_path, capsys):
    """'<<' merges are built by the safe reader itself (counted like aliases); keys given next
    to the merge win, and their lines are kept."""
    data = uncertain_tiny()
    text = dump(data).replace("suppliers:\n  a:", "defaults: &gpu {kw_per_unit: 2, "
                              "power_efficiency_gain: 1.0}\nsuppliers:\n  a:")
    text = text.replace("  b:\n    price_per_unit: 4\n    kw_per_unit: 2\n"
                        "    power_efficiency_gain: 1.0\n",
                        "  b:\n    <<: *gpu\n    price_per_unit: 4\n    kw_per_unit: -1\n")
    path = tmp_path / "scenario.yaml"
    path.write_text(text.replace("defaults:", "x_defaults:"))
    err = refuse(path, capsys)
    # the explicit kw_per_unit overrides the merged one, and is reported at its own line
    assert f"{path}:{line_of(path, 'kw_per_unit: -1')}: suppliers.b.kw_per_unit:" in err


# -- values ---------------------------------------------------------------------------------------



VALUE_CASES = [
    # (key path, new value, key path in the message, expected text)
    # wrong types
    ("horizon", [2025, 2027], "horizon", "expected a mapping of keys, got a list"),
    ("strategies", "many", "strategies", "expected a mapping of keys, got text 'many'"),
    ("energy", None, "energy", "expected a mapping of keys, got nothing (null)"),
    ("claims", {"a": 1}, "claims", "expected a list, got a mapping"),
    ("name", ["a", "b"], "name", "expected text, got a list"),
    ("energy.utilisation", True, "energy.utilisation", "true/false value"),
    ("fleet.lifetime_years", [2, 3], "fleet.lifetime_years",
     "expected a number or a distribution, got a list"),
    ("sampling", {"repair_correlations": "maybe"}, "sampling.repair_correlations",
     "expected true or false"),
    ("trials", 4.5, "trials", "fractional part"),
    # unknown keys, with the nearest valid name
    ("strategeis", {}, "strategeis", "did you mean 'strategies'?"),
    ("suppliers.a.price_per_unt", 3, "suppliers.a.price_per_unt", "did you mean 'price_per_unit'?"),
    ("energy.pue", {"dist": "uniform", "low": 1.1, "hihg": 1.3}, "energy.pue.hihg",
     "did you mean 'high'?"),
    ("demand.growth.noise", 0.1, "demand.growth.noise", "did you mean 'noise_sd'?"),
    # zero or negative where positive is needed
    ("fleet.lifetime_years", 0, "fleet.lifetime_years", "must lie in (0, inf)"),
    ("datacentre.cost_per_mw", 0, "datacentre.cost_per_mw", "must lie in (0, inf)"),
    ("operations.cost_per_mw_year", "-300", "operations.cost_per_mw_year", "must lie in [0, inf)"),
    ("energy.pue", {"dist": "normal", "mean": 1.2, "sd": 0, "min": 1}, "energy.pue.sd",
     "greater than 0"),
    ("trials", 0, "trials", "greater than or equal to 1"),
    # shares
    ("strategies.a_to_b.shares", {"2025": {"a": 1}, "2027": {"a": 0.5, "b": 0.4}},
     "strategies.a_to_b.shares", "in 2027 sum to 0.9"),
    ("strategies.only_a.shares", {"a": 1.5, "b": -0.5}, "strategies.only_a.shares.a",
     "share 1.5 is outside [0, 1]"),
    ("strategies.only_a.shares", {"twenty": {"a": 1}}, "strategies.only_a.shares",
     "'twenty' is not a year"),
    # years
    ("horizon", {"start": 2025, "end": 2200}, "horizon", "more than 60 years"),
    ("horizon", {"start": 2025, "end": 1e20}, "horizon.end", "as an integer"),
    ("claims", ["cumulative_spend through 2040 >= 1T"], "", "outside the horizon"),
    # percentiles and parameters out of order
    ("energy.pue", {"dist": "triangular", "low": 1.0, "mode": 5, "high": 2}, "energy.pue",
     "low <= mode <= high"),
    ("energy.pue", {"dist": "uniform", "low": 1.3, "high": 1.2}, "energy.pue", "must be above low"),
    ("energy.pue", {"dist": "pert", "low": 1.3, "mode": 1.2, "high": 1.1}, "energy.pue",
     "low <= mode <= high"),
    # unknown distributions
    ("energy.pue", {"dist": "weibull", "k": 2}, "energy.pue", "unknown distribution 'weibull'"),
    ("energy.pue", {"low": 1.1, "high": 1.3}, "energy.pue", "needs 'dist: <family>'"),
    # non-finite numbers from Python callers (YAML text forms are below)
    ("energy.price_per_mwh", float("inf"), "energy.price_per_mwh", "not a finite number"),
    ("claims", [{"metric": "cumulative_spend", "op": ">=", "threshold": float("nan")}],
     "claims[0].threshold", "not a finite number"),
    # names that would become dangerous output folders
    ("name", "/tmp/not-a-run", "name", "cannot be used as a name"),
    ("name", "..", "name", "cannot be used as a name"),
    ("name", "a/../../b", "name", "cannot be used as a name"),
    ("name", "two\nlines", "name", "cannot be used as a name"),
    ("name", "x" * 1000, "name", "1,000 characters long"),
]


@pytest.mark.parametrize("dotted, value, expect_path, expect", VALUE_CASES,
                         ids=[f"{c[0]}={str(c[1])[:30]}" for c in VALUE_CASES])
def test_bad_values(tmp_path, capsys, dotted, value, expect_path, expect):
    path = tmp_path / "scenario.yaml"
    path.write_text(dump(set_key(uncertain_tiny(), dotted, value)))
    err = refuse(path, capsys)
    assert expect in err
    assert str(path) in err
    if expect_path:
        assert f" {expect_path}:" in err


@pytest.mark.parametrize("text, expect", [
    (".nan", "nan is not a finite number"),
    (".NaN", "nan is not a finite number"),
    (".inf", "inf is not a finite number"),
    ("-.Inf", "-inf is not a finite number"),
    ("1e400", "'1e400' is not a finite number"),
    ("'infT'", "cannot read 'infT' as a number"),
    ("'1e999k'", "'1e999k' is not a finite number"),
])
def test_non_finite_numbers_in_yaml(tmp_path, capsys, text, expect):
    path = tmp_path / "scenario.yaml"
    path.write_text(dump(uncertain_tiny()).replace("price_per_mwh: 100", f"price_per_mwh: {text}"))
    err = refuse(path, capsys)
    assert f"{path}:{line_of(path, 'price_per_mwh')}: energy.price_per_mwh: {expect}" in err


def test_overflowing_distribution(tmp_path, capsys):
    """Valid ranges whose product overflows: the model's numerical guard names the input, with
    no NumPy warning printed before the message."""
    data = set_key(uncertain_tiny(), "suppliers.a.price_per_unit",
                   {"dist": "lognormal", "low": 1, "high": 1e300})
    path = tmp_path / "scenario.yaml"
    path.write_text(dump(data))
    err = refuse(path, capsys)
    assert "non-finite" in err and "suppliers.a.price_per_unit" in err
    assert "RuntimeWarning" not in err and str(path) in err


def correlated(correlations: list[dict], **sampling) -> dict:
    data = uncertain_tiny()
    data["energy"]["pue"] = {"dist": "uniform", "low": 1.1, "high": 1.3}
    data["energy"]["price_per_mwh"] = {"dist": "uniform", "low": 50, "high": 150}
    data["sampling"] = {"correlations": correlations, **sampling}
    return data


PUE, UTIL, PRICE = "energy.pue", "energy.utilisation", "energy.price_per_mwh"


@pytest.mark.parametrize("correlations, expect", [
    ([{"inputs": [PUE, UTIL], "rho": 0.9}, {"inputs": [PUE, PRICE], "rho": 0.9},
      {"inputs": [UTIL, PRICE], "rho": -0.9}], "not positive semidefinite"),
    ([{"inputs": [PUE, UTIL], "rho": 1.5}], "less than or equal to 1"),
    ([{"inputs": [PUE, UTIL], "rho": ".nan"}], "sampling.correlations[0].rho"),
    ([{"inputs": [PUE, PUE], "rho": 0.5}], "cannot be correlated with itself"),
    ([{"inputs": [PUE, "energy.pu"], "rho": 0.5}], "did you mean 'energy.pue'"),
    ([{"inputs": [PUE, "operations.cost_per_mw_year"], "rho": 0.5}], "is fixed"),
    ([{"inputs": [PUE], "rho": 0.5}], "sampling.correlations[0].inputs"),
])
def test_invalid_correlations(tmp_path, capsys, correlations, expect):
    path = tmp_path / "scenario.yaml"
    path.write_text(dump(correlated(correlations)))
    err = refuse(path, capsys)
    assert expect in err


# -- arguments ------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, expect", [
    (["--trials", str(10**12)], "at most 50,000,000 trials"),
    (["--trials", "1e12"], "expected a whole number"),
    (["--precision", "0.01", "--max-trials", str(10**12)], "at most 50,000,000 trials"),
    (["--sobol", str(2**30)], "at most 65,536"),
    (["--workers", "100000"], "local processes"),
    (["--seed", "-1"], "must be 0 or more"),
])
def test_absurd_arguments_are_refused_before_running(tmp_path, capsys, args, expect):
    path = tmp_path / "scenario.yaml"
    path.write_text(dump(uncertain_tiny()))
    with pytest.raises(SystemExit) as exc:
        main([str(path), "-q", *args])
    assert exc.value.code == 2
    assert not (tmp_path / "runs").exists()
    err = capsys.readouterr().err
    assert expect in err and "Traceback" not in err


@pytest.mark.parametrize("setting, expect", [
    ("trials=1e12", "valid integer"),  # YAML 1.1 reads 1e12 as text
    ("trials=1000000000000", "less than or equal to 50000000"),
    ("name=../../victim", "cannot be used as a name"),
    ("seed=.nan", "finite number"),
])
def test_absurd_overrides(tmp_path, capsys, setting, expect):
    path = tmp_path / "scenario.yaml"
    path.write_text(dump(uncertain_tiny()))
    err = refuse(path, capsys, "--set", setting)
    assert expect in err


def test_a_name_never_replaces_a_folder_outside_runs(tmp_path, capsys, monkeypatch):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    path = tmp_path / "scenario.yaml"
    path.write_text(dump(set_key(uncertain_tiny(), "name", str(victim))))
    monkeypatch.chdir(tmp_path)
    code = main([str(path), "-q", "--trials", "50"])  # default output folder: runs/<name>
    err = capsys.readouterr().err
    assert code == 2 and "cannot be used as a name" in err
    assert f"{path}:1: name:" in err
    assert (victim / "precious.txt").read_text() == "keep me"


def test_output_folder_that_is_not_a_run_is_not_replaced(tmp_path, capsys, monkeypatch):
    path = tmp_path / "scenario.yaml"
    path.write_text(dump(uncertain_tiny()))
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "thesis.tex").write_text("years of work")
    for out, expect in [(folder, "holds files this program did not write"),
                        (folder / "thesis.tex", "not a folder")]:
        assert main([str(path), "-q", "--trials", "50", "--out", str(out)]) == 2
        assert expect in capsys.readouterr().err
    monkeypatch.chdir(folder)
    assert main([str(path), "-q", "--trials", "50", "--out", ".."]) == 2
    assert "contains the current folder" in capsys.readouterr().err
    assert (folder / "thesis.tex").read_text() == "years of work"
    # a previous run's folder is replaced as before
    run = tmp_path / "run"
    assert main([str(path), "-q", "--trials", "50", "--out", str(run)]) == 0
    assert main([str(path), "-q", "--trials", "60", "--out", str(run)]) == 0
    assert '"trials": 60' in (run / "manifest.json").read_text()


def test_parent_scenarios(tmp_path, capsys):
    path = tmp_path / "scenario.yaml"
    (tmp_path / "loop_a.yaml").symlink_to("loop_b.yaml")
    (tmp_path / "loop_b.yaml").symlink_to("loop_a.yaml")
    (tmp_path / "a_list.yaml").write_text("- 1\n- 2\n")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.yaml")  # reading it would block for ever
    for header, expect in [("extends: [a, b]\n", "must be the path of a parent"),
                           ("extends: missing.yaml\n", "not found"),
                           ("extends: scenario.yaml\n", "inheritance cycle"),
                           (f"extends: {tmp_path}\n", "is a folder, not a scenario file"),
                           ("extends: loop_a.yaml\n", "points back to itself"),
                           ('extends: "base\\0.yaml"\n', "control character (such as a NUL"),
                           ("extends: a_list.yaml\n", "holds a list, not a mapping of keys"),
                           *([("extends: pipe.yaml\n", "not a regular file")]
                             if hasattr(os, "mkfifo") else [])]:
        path.write_text(header + dump(uncertain_tiny()))
        err = refuse(path, capsys)
        assert expect in err and f"{path}:1: extends:" in err


def test_a_chain_of_a_thousand_parents_is_refused_by_its_length(tmp_path, capsys):
    (tmp_path / "c0.yaml").write_text(dump(uncertain_tiny()))
    for i in range(1, 1001):
        (tmp_path / f"c{i}.yaml").write_text(f"extends: c{i - 1}.yaml\n")
    err = refuse(tmp_path / "c1000.yaml", capsys)
    assert f"more than {MAX_EXTENDS} files long (c1000.yaml -> ..." in err
    assert "nested too deeply" not in err
    # a chain of MAX_EXTENDS parents is fine
    start = 1000 - MAX_EXTENDS
    (tmp_path / f"c{start}.yaml").write_text(dump(uncertain_tiny()))
    assert main(["validate", str(tmp_path / "c1000.yaml")]) == 0


@pytest.mark.parametrize("text", ["---\n", "~\n", "null\n"])
def test_an_empty_document_is_named_as_such(tmp_path, capsys, text):
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    err = refuse(path, capsys)
    assert "the file holds no keys (an empty document)" in err and "NoneType" not in err


# -- end to end through the console script ---------------------------------------------------------

SIMULATE = shutil.which("simulate", path=str(Path(sys.executable).parent)) or "simulate"


def run_script(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the ``simulate`` console script with 3 GiB of address space at most (the timeout
    only guards against a hang; it is not a speed limit)."""
    def limit() -> None:  # pragma: no cover - runs in the child
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    return subprocess.run([SIMULATE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=env,
                          preexec_fn=limit if sys.platform != "win32" else None)


@pytest.mark.skipif(sys.platform == "win32", reason="uses resource limits")
def test_console_script_refuses_hostile_files(tmp_path):
    """End to end, within a 3 GiB memory limit: refused cleanly, nothing written."""
    cases = {
        "laughs.yaml": (laughs(), "runaway aliases"),
        "nested.yaml": ("name: " + "[" * 10_000 + "]" * 10_000 + "\n", "nested more than"),
        "latin1.yaml": ("name: caf\xe9\n".encode("latin-1"), "not UTF-8"),
    }
    for name, (content, expect) in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        proc = run_script(name, "-q", cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert f"error: invalid scenario {name}" in proc.stderr and expect in proc.stderr
    (tmp_path / "tiny.yaml").write_text(dump(uncertain_tiny()))
    proc = run_script("tiny.yaml", "--trials", str(10**12), cwd=tmp_path)
    assert proc.returncode == 2 and "at most 50,000,000 trials" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "runs").exists()
