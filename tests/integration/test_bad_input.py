"""Bad input: a clear message naming file, line, key path and problem; exit code 2; no traceback."""

from __future__ import annotations

import pytest

from simulator.cli import main
from tests.conftest import DELETE, set_key


def run_cli(path, capsys, *extra):
    code = main([str(path), "--quiet", "--out", str(path.parent / "out"), *extra])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err




@pytest.mark.parametrize("dotted, value, expect_path, expect", [
    ("demand.growth.intial", 1.0, "demand.growth.intial", "did you mean 'initial'"),
    ("suppliers.a.price_per_unit", -5, "suppliers.a.price_per_unit", "must lie in (0, inf)"),
    ("suppliers.a.price_per_unit", "cheap", "suppliers.a.price_per_unit", "cannot read 'cheap'"),
    ("suppliers.a.price_per_unit", {"dist": "normal", "mean": 10, "sd": 3},
     "suppliers.a.price_per_unit", "add min/max bounds"),
    ("suppliers.a.price_per_unit", {"dist": "lognormal", "low": 10, "high": 5},
     "suppliers.a.price_per_unit", "must be above low"),
    ("suppliers.a.price_per_unit", {"dist": "gamma", "a": 2},
     "suppliers.a.price_per_unit", "unknown distribution 'gamma'"),
    ("horizon.end", 2020, "horizon", "end year 2020 is before start year 2025"),
    ("strategies.only_a.shares", {"a": 0.7, "b": 0.2}, "strategies.only_a.shares",
     "sum to 0.9"),
    ("strategies.only_a.shares", {"a": 0.5, "nvida": 0.5}, "", "unknown supplier 'nvida'"),
    ("trials", "many", "trials", "valid integer"),
    ("trials", 10**12, "trials", "less than or equal to 50000000"),
    ("energy.pue", 0.9, "energy.pue", "must lie in [1, inf)"),
    ("fleet", DELETE, "fleet", "required key is missing"),
    ("energy.price_per_mwh", float("nan"), "energy.price_per_mwh", "not a finite number"),
])
def test_bad_values(tiny, write_scenario, capsys, dotted, value, expect_path, expect):
    path = write_scenario(set_key(tiny, dotted, value))
    code, err = run_cli(path, capsys)
    assert code == 2
    assert str(path) in err
    assert expect in err
    if expect_path:
        assert f" {expect_path}:" in err


@pytest.mark.parametrize("text, expect", [
    ("", "the file is empty"),
    ("horizon: [oops\n", "not valid YAML"),
    ("- just\n- a list\n", "top level must be a mapping"),
    ("name: a\nname: b\n", "duplicate key (first given on line 1)"),
    ("name: !!python/object/apply:os.system ['echo hi']\n", "YAML tag 'python/object/apply"),
    ("name: !!python/name:os.system\n", "YAML tag 'python/name:os.system'"),
    ("name: !custom {a: 1}\n", "YAML tag '!custom'"),
    ("name: 2025-01-01\n", "YAML tag 'timestamp'"),
    ("name: x\n\tscope: y\n", "not valid YAML"),
])
def test_malformed_files(write_scenario, capsys, text, expect):
    code, err = run_cli(write_scenario(text), capsys)
    assert code == 2
    assert expect in err


def test_line_numbers_point_at_the_offending_key(tiny, write_scenario, capsys):
    tiny["energy"]["pue"] = 0.5
    path = write_scenario(tiny)
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "pue:" in t)
    _, err = run_cli(path, capsys)
    assert f"{path}:{line}: energy.pue:" in err


def test_billion_laughs_is_refused_quickly(write_scenario, capsys):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    code, err = run_cli(write_scenario("\n".join(lines) + "\n"), capsys)
    assert code == 2
    assert "runaway aliases" in err


def test_not_utf8_directory_and_missing(tmp_path, capsys):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    code, err = run_cli(bad, capsys)
    assert code == 2 and "not UTF-8" in err
    folder = tmp_path / "adir"
    folder.mkdir()
    code, err = run_cli(folder, capsys)
    assert code == 2 and "is a directory" in err
    code, err = run_cli(tmp_path / "nope.yaml", capsys)
    assert code == 2 and "no such file" in err


def test_bad_arguments_exit_2(tiny, write_scenario, capsys):
    path = write_scenario(tiny)
    with pytest.raises(SystemExit) as exc:
        main([str(path), "--trials", "0"])
    assert exc.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err
