"""Regression tests for input that used to end in a traceback, a hang or a misleading message,
and for the plausible and usual ranges of the schema's fields.

Each case gives a valid result, or a clear message with exit code 2 (bad input) or 1 (the
environment: a missing package, an unreachable cluster, a folder that cannot be written).
"""

from __future__ import annotations

import copy
import errno
import io
import socket
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

from simulator import load_scenario, simulate
from simulator.analysis.convergence import MAX_NEEDED, trials_needed
from simulator.cli import main
from simulator.errors import NumericalError
from simulator.io.json_schema import scenario_json_schema
from simulator.io.loading import scenario_from_dict
from simulator.io.overrides import override
from simulator.report import plots_analysis
from simulator.report.writers import spreadsheet_safe, write_csv
from simulator.spec.range_checks import UnusualValueWarning, unusual_values
from tests.conftest import BASE, REPO, TINY


def uncertain_tiny(**changes) -> dict:
    """The tiny scenario with one uncertain input, changed by dotted key path."""
    data = copy.deepcopy(TINY)
    data["energy"]["utilisation"] = {"dist": "uniform", "low": 0.4, "high": 0.6}
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return data


def write(tmp_path: Path, data: dict | str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main([*argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


# -- tracebacks on input that validates ------------------------------------------------------------

def test_a_one_year_horizon_runs_and_equals_the_first_year_of_a_longer_run():
    one = scenario_from_dict(uncertain_tiny(**{"horizon.end": 2025}))
    three = scenario_from_dict(uncertain_tiny())
    a = simulate(one, trials=50, seed=2)
    b = simulate(three, trials=50, seed=2)
    assert a.annual.shape[2] == 1
    # the first year does not depend on the years after it (float32 engine)
    np.testing.assert_allclose(a.annual[:, :, 0], b.annual[:, :, 0], rtol=1e-6)
    # tiny by hand in 2025: 100 units x ($10 chips + $5 servers) + 0.2 MW x $1,000/MW
    # + 0.2 MW x 8,760 h x utilisation x 1.2 x $100/MWh + 0.2 MW x $300/(MW yr)
    util = a.inputs["energy.utilisation"].astype(float)
    expected = 1000 + 500 + 200 + 0.2 * 8760 * util * 1.2 * 100 + 60
    np.testing.assert_allclose(a.annual[0, :, 0], expected, rtol=1e-6)


def test_a_one_year_horizon_through_the_command(tmp_path, capsys):
    path = write(tmp_path, uncertain_tiny(**{"horizon.end": 2025}))
    code, err = run(capsys, str(path), "-q", "--trials", "100", "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert (tmp_path / "out" / "report.html").is_file()


@pytest.mark.parametrize("trials", [1, 2, 5])
def test_no_more_trials_than_correlated_inputs(tmp_path, capsys, trials):
    """base.yaml correlates five inputs; two trials used to fail in Iman-Conover."""
    scenario = load_scenario(BASE)
    assert len(scenario.correlation_target()[0]) == 5
    code, err = run(capsys, str(BASE), "-q", "--trials", str(trials),
                    "--out", str(tmp_path / "out"))
    assert code == 0, err


def test_a_short_last_chunk_keeps_the_correlated_marginals():
    """18 trials in chunks of 16: the last chunk has 2 rows for 5 correlated inputs. Its
    values are still drawn from each input's own distribution (here: the same values as an
    uncorrelated run of that chunk, reordered)."""
    scenario = load_scenario(BASE)
    res = simulate(scenario, trials=18, seed=5, chunk_size=16, workers=1)
    plain = simulate(override(scenario, {"sampling.correlations": []}), trials=18, seed=5,
                     chunk_size=16, workers=1)
    for path in scenario.correlation_target()[0]:
        np.testing.assert_array_equal(np.sort(res.inputs[path][16:]),
                                      np.sort(plain.inputs[path][16:]), err_msg=path)


def _draw(ax) -> None:
    ax.figure.savefig(io.BytesIO(), format="png", dpi=40)


def test_s_curve_of_a_metric_undefined_in_every_trial():
    """Nothing is bought in 2026 (no growth, chips last 10 years): the supplier's share of
    spend is undefined in every trial; the figure says so instead of failing."""
    scenario = scenario_from_dict(uncertain_tiny(**{"demand.growth.initial": 0,
                                                     "fleet.lifetime_years": 10}))
    results = simulate(scenario, trials=40, seed=1)
    claim = "a_share in 2026 < 0.5"
    assert np.isnan(results.dependence_share[:, :, 1]).all()
    ax = plots_analysis.s_curve(results, claim, ax=Figure().gca())
    _draw(ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["only_a\n  undefined in every trial", "a_to_b\n  undefined in every trial"]


@pytest.mark.parametrize("claim", ["installed_gw in 2026 >= 1e308",
                                   "installed_gw in 2026 <= -1e308",
                                   "cumulative_spend >= 1e308", "cumulative_spend >= 1e299"])
def test_s_curve_with_a_threshold_near_the_float_limit(claim):
    results = simulate(scenario_from_dict(uncertain_tiny()), trials=40, seed=1)
    ax = plots_analysis.s_curve(results, claim, ax=Figure().gca())
    _draw(ax)  # tick labels are computed while drawing: this raised OverflowError
    lo, hi = ax.get_xlim()
    assert abs(lo) < plots_analysis.AXIS_LIMIT and abs(hi) < plots_analysis.AXIS_LIMIT
    assert any("beyond the axis" in t.get_text() for t in ax.texts)


def test_s_curve_keeps_an_ordinary_threshold_on_the_axis():
    results = simulate(scenario_from_dict(uncertain_tiny()), trials=40, seed=1)
    ax = plots_analysis.s_curve(results, "cumulative_spend >= 300k", ax=Figure().gca())
    lo, hi = ax.get_xlim()
    assert lo < 3e5 < hi
    assert not any("beyond the axis" in t.get_text() for t in ax.texts)


def test_trials_needed_for_a_precision_of_1e_300_is_bounded(tmp_path, capsys):
    table = pd.DataFrame({"relative_se": [0.1], "se": [1.0]})
    assert trials_needed(table, 1e-300, 1000) == MAX_NEEDED
    assert trials_needed(table, 0.01, 1000) == 100_000
    path = write(tmp_path, uncertain_tiny())
    code, err = run(capsys, str(path), "--trials", "100", "--precision", "1e-300",
                    "--max-trials", "300", "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert "precision 1e-300 not reached within 300 trials" in err


def test_a_discrete_lifetime_of_1e308_is_refused_with_its_unit(tmp_path, capsys):
    data = uncertain_tiny(**{"fleet.lifetime_years": {"dist": "discrete", "values": [2, 1e308]}})
    code, err = run(capsys, str(write(tmp_path, data)), "-q", "--out", str(tmp_path / "o"))
    assert code == 2
    assert "fleet.lifetime_years: 1e+308 yr is outside any physical meaning: the range is " \
           "0 to 30 yr (usual: 2 to 10 yr)" in err


# -- sweeps, backends, optional packages ------------------------------------------------------------

def test_a_sweep_that_cannot_write_its_outputs_exits_1(tmp_path, capsys, monkeypatch):
    import simulator.report.writers as writers

    def full(*_args, **_kwargs):
        raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(writers, "write_csv", full)
    path = write(tmp_path, uncertain_tiny())
    code, err = run(capsys, str(path), "-q", "--trials", "50", "--sweep", "energy.pue=1.1,1.2",
                    "--out", str(tmp_path / "sweep"))
    assert code == 1
    assert err.endswith(f"error: cannot write outputs to {tmp_path / 'sweep'}: File too large\n")


def test_sweeps_honour_backend_and_workers(tmp_path, capsys, monkeypatch):
    import simulator.analysis.sweeps as sweeps

    seen = []
    real = sweeps.simulate

    def spy(scenario, **kwargs):
        seen.append({k: kwargs[k] for k in ("workers", "backend", "scheduler")})
        return real(scenario, **{**kwargs, "workers": 1})

    monkeypatch.setattr(sweeps, "simulate", spy)
    path = write(tmp_path, uncertain_tiny())
    code, err = run(capsys, str(path), "-q", "--trials", "50", "--sweep", "energy.pue=1.1,1.2",
                    "--workers", "2", "--out", str(tmp_path / "sweep"))
    assert code == 0, err
    assert seen == [{"workers": 2, "backend": "local", "scheduler": None}] * 2


@pytest.mark.parametrize("args, expect", [
    (["--scheduler", "not an address"], "'not an address' is not a Dask scheduler address"),
    (["--backend", "dask", "--scheduler", "http://127.0.0.1:8787"], "is a web address"),
    (["--scheduler", "tcp://127.0.0.1:99999"], "port 99999"),
    (["--scheduler", "ftp://host:21"], "unknown address scheme 'ftp'"),
    (["--backend", "local", "--scheduler", "tcp://127.0.0.1:8786"], "use it with --backend dask"),
    (["--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"], "has its own workers"),
])
def test_scheduler_options_are_checked_before_running(tmp_path, capsys, args, expect):
    path = write(tmp_path, uncertain_tiny())
    code, err = run(capsys, str(path), "-q", "--trials", "50", "--out", str(tmp_path / "o"),
                    *args)
    assert code == 2 and expect in err
    assert not (tmp_path / "o").exists()


class _Server:
    """A TCP server on a free local port that either never answers or answers like a web
    server, as something that is not a Dask scheduler would."""

    def __init__(self, reply: bytes | None) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.reply, self.conns = reply, []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.reply is not None:
                try:
                    conn.recv(65536)
                    conn.sendall(self.reply)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.mark.parametrize("reply, expect", [
    (None, "does not speak Dask's protocol"),  # used to hang for ever
    (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4,
     "not Dask's protocol"),  # used to read a frame length of 3 EiB: MemoryError
])
def test_a_scheduler_address_that_is_not_dask(tmp_path, capsys, monkeypatch, reply, expect):
    pytest.importorskip("distributed")
    import simulator.run.parallel as parallel

    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", 2.0)
    server = _Server(reply)
    try:
        path = write(tmp_path, uncertain_tiny())
        code, err = run(capsys, str(path), "-q", "--trials", "50", "--out", str(tmp_path / "o"),
                        "--scheduler", f"tcp://127.0.0.1:{server.port}")
    finally:
        server.close()
    assert code == 1
    assert f"cannot use the Dask scheduler at tcp://127.0.0.1:{server.port}" in err
    assert expect in err and "cannot write outputs" not in err


def test_an_unreachable_scheduler_is_not_an_output_error(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    import simulator.run.parallel as parallel

    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", 1.0)
    free = socket.create_server(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    path = write(tmp_path, uncertain_tiny())
    code, err = run(capsys, str(path), "-q", "--trials", "50", "--out", str(tmp_path / "o"),
                    "--scheduler", f"tcp://127.0.0.1:{port}")
    assert code == 1
    assert "cannot use the Dask scheduler" in err and "is the port open?" in err
    assert "cannot write outputs" not in err


def test_parquet_without_pyarrow_fails_before_simulating(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyarrow" else real(name, *a))
    import simulator.run.engine as engine

    def never(*_args, **_kwargs):
        raise AssertionError("simulated before checking for pyarrow")

    monkeypatch.setattr(engine, "simulate", never)
    path = write(tmp_path, uncertain_tiny())
    code, err = run(capsys, str(path), "-q", "--parquet", "--out", str(tmp_path / "o"))
    assert code == 1
    assert err == ('error: --parquet needs the pyarrow package, which is not installed; from '
                   'the project\'s folder: pip install ".[parquet]"\n')
    assert 'pip install ".[parquet]"' in (REPO / "README.md").read_text() or \
        "pip install \".[dask]\"" in (REPO / "README.md").read_text()
    assert not (tmp_path / "o").exists()


# -- messages ---------------------------------------------------------------------------------------

def test_overflow_from_runaway_growth_is_blamed_on_growth(tmp_path):
    scenario = override(load_scenario(BASE), {"demand.growth.initial": 1000,
                                              "demand.growth.decay": 0})
    with pytest.raises(NumericalError, match=r"likely cause: demand\.growth\.initial = 1000,"):
        simulate(scenario, trials=20, workers=1)


def test_an_unknown_supplier_in_shares_points_at_its_line(tmp_path, capsys):
    text = BASE.read_text().replace("2030: {nvidia: 0.45, amd: 0.2, inhouse: 0.35}",
                                    "2030: {nvidia: 0.45, amd: 0.2, inhuose: 0.35}")
    path = write(tmp_path, text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "inhuose" in t)
    code, err = run(capsys, "validate", str(path))
    assert code == 2
    assert f"{path}:{line}: strategies.hybrid.shares.2030.inhuose: unknown supplier " \
           "'inhuose' (did you mean 'inhouse'?)" in err


def test_a_baseline_that_is_not_a_strategy_points_at_its_line(tmp_path, capsys):
    text = BASE.read_text().replace("baseline: nvidia_only", "baseline: hybird")
    path = write(tmp_path, text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "hybird" in t)
    code, err = run(capsys, "validate", str(path))
    assert code == 2 and f"{path}:{line}: baseline: baseline 'hybird' is not a strategy" in err


# -- CSV formula injection --------------------------------------------------------------------------

def test_text_cells_that_start_like_a_formula_are_neutralised(tmp_path):
    table = pd.DataFrame({"claim": ["=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)", "ok",
                                    "\tx"],
                          "value": [-5.0, 1.0, -2.0, 3.0, 4.0, 5.0]})
    path = write_csv(table, tmp_path / "t.csv")
    back = pd.read_csv(path)
    assert back["claim"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+1", "'-1+2", "'@SUM(A1)",
                                      "ok", "'\tx"]
    assert back["value"].tolist() == [-5.0, 1.0, -2.0, 3.0, 4.0, 5.0]  # numbers untouched
    assert spreadsheet_safe(-3) == -3 and spreadsheet_safe("a=b") == "a=b"


def test_a_claim_named_like_a_formula_is_written_as_text(tmp_path, capsys):
    data = uncertain_tiny(claims=[{"metric": "cumulative_spend", "op": ">=",
                                   "threshold": 300000, "name": '=HYPERLINK("http://x","y")'}])
    data["strategies"]["@b"] = data["strategies"].pop("a_to_b")
    code, err = run(capsys, str(write(tmp_path, data)), "-q", "--trials", "50",
                    "--out", str(tmp_path / "out"))
    assert code == 0, err
    for csv in (tmp_path / "out").glob("*.csv"):
        for cell in pd.read_csv(csv, dtype=str).to_numpy().ravel():
            assert not (isinstance(cell, str) and cell[:1] in "=+@"), (csv.name, cell)
    claims = pd.read_csv(tmp_path / "out" / "claims.csv")
    assert set(claims["claim"]) == {"'=HYPERLINK(\"http://x\",\"y\")"}
    assert set(claims["strategy"]) == {"only_a", "'@b"}


# -- plausible and usual ranges ---------------------------------------------------------------------

@pytest.mark.parametrize("dotted, value, expect", [
    ("fleet.lifetime_years", 1e300, "1e+300 yr is outside any physical meaning: the range is "
     "0 to 30 yr"),
    ("datacentre.life_years", 500, "500 yr is outside any physical meaning"),
    ("shocks.s.duration_years", 1e9, "1B yr is outside any physical meaning: the range is "
     "0 to 60 yr"),
    ("energy.pue", 1e6, "1M is outside any physical meaning: the range is 1 to 10 "
     "(usual: 1.03 to 2)"),
    ("energy.pue", 12, "12 is outside any physical meaning"),
    ("suppliers.a.kw_per_unit", 1e-9, "1e-09 kW/unit is outside any physical meaning: the "
     "range is 0.001 to 1k kW/unit"),
    ("shocks.s.price_multiplier", 0.01, "0.01 is outside any physical meaning: the range is "
     "0.1 to 100"),
    ("suppliers.a.shortage_premium", 50, "50 is outside any physical meaning"),
    ("servers_networking.price_performance_gain", 50, "50 1/yr is outside any physical "
     "meaning: the range is 0 to 10 1/yr"),
    ("energy.utilisation", 70, "a share is a fraction: for 70% write '70%' or 0.7"),
    ("strategies.only_a.shares", {"a": 70}, "share 70 is outside [0, 1]; a share is a "
     "fraction: for 70% write '70%' or 0.7"),
    ("fleet.lifetime_years", {"dist": "lognormal", "low": 20, "high": 60},
     "a distribution reaching"),
])
def test_values_outside_any_physical_meaning_are_refused(tmp_path, capsys, dotted, value,
                                                         expect):
    data = uncertain_tiny()
    data["shocks"] = {"s": {"annual_probability": 0.1, "suppliers": ["a"]}}
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[last] = value
    code, err = run(capsys, str(write(tmp_path, data)), "-q", "--out", str(tmp_path / "o"))
    assert code == 2 and expect in err, err
    assert f" {dotted}" in err


def test_a_lognormal_lifetime_within_its_physical_range_is_accepted():
    """The physical range holds a continuous distribution's P0.1-P99.9, not its unbounded
    support."""
    data = uncertain_tiny(**{"fleet.lifetime_years": {"dist": "lognormal", "low": 3, "high": 7}})
    scenario_from_dict(data)


def test_a_price_written_with_a_thousands_separator_is_flagged_at_its_line(tmp_path, capsys):
    text = BASE.read_text().replace("      low: 12k\n      high: 22k\n",
                                    "      low: 12.000\n      high: 22.000\n", 1)
    path = write(tmp_path, text)
    line = next(i for i, t in enumerate(text.splitlines(), 1)
                if t.startswith("    price_per_unit:"))
    code, err = run(capsys, "validate", str(path))
    assert code == 0
    assert err == (f"warning: {path}:{line}: suppliers.nvidia.price_per_unit: median $16.2 per "
                   "unit is far below the usual range, $1k to $200k per unit (hint: '12.000' "
                   "reads as 12: in YAML the point is a decimal point; for 12,000 write 12000 "
                   "or 12k)\n")


def test_a_growth_of_150_is_flagged_as_a_percentage(tmp_path, capsys):
    path = write(tmp_path, BASE.read_text())
    code, err = run(capsys, str(path), "--trials", "20", "--set",
                    "demand.growth.initial=150", "--out", str(tmp_path / "o"))
    assert code == 0  # a warning, not a refusal: the value is possible, only unusual
    assert err.startswith("warning: ")
    assert ("demand.growth.initial: value 150 1/yr is far above the usual range, -0.5 to 3 1/yr "
            "(hint: a growth rate is a fraction per year (1.0 = doubling): 150 means 151x a "
            "year; for 150% write 1.5 or '150%')") in err


def test_quiet_runs_print_no_warning_about_unusual_values(tmp_path, capsys):
    path = write(tmp_path, BASE.read_text())
    code, err = run(capsys, str(path), "-q", "--trials", "20", "--set",
                    "demand.growth.initial=150", "--out", str(tmp_path / "o"))
    assert code == 0 and err == ""


def test_a_gpu_at_18_dollars_is_flagged_in_python_too():
    data = yaml.safe_load(BASE.read_text())
    data["suppliers"]["nvidia"]["price_per_unit"] = 18.0
    with pytest.warns(UnusualValueWarning, match=r"suppliers\.nvidia\.price_per_unit: value \$18 "
                      r"per unit is far below the usual range, \$1k to \$200k per unit \(hint: "
                      r"is it in thousands\? for 18,000 write 18k\)"):
        scenario_from_dict(data)


def test_an_override_warns_only_about_what_it_changed():
    scenario = scenario_from_dict(uncertain_tiny())  # tiny's own prices are unusual
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnusualValueWarning)
        override(scenario, {"energy.pue": 1.5})
        override(scenario, {"energy.price_per_mwh": 5000})
    messages = [str(w.message) for w in caught if w.category is UnusualValueWarning]
    assert len(messages) == 1 and "energy.price_per_mwh: value $5k per MWh" in messages[0]


@pytest.mark.parametrize("path", sorted((REPO / "scenarios").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_shipped_scenarios_hold_no_unusual_value(path):
    assert unusual_values(load_scenario(path)) == []


def test_a_scenario_that_is_a_symlink_loop(tmp_path, capsys):
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    code, err = run(capsys, "validate", str(tmp_path / "a.yaml"))
    assert code == 2 and "a symbolic link to a file that does not exist, or a loop" in err


def test_describe_shows_the_usual_ranges(capsys):
    assert main(["describe", str(BASE)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("fleet.lifetime_years"))
    assert row.endswith("[yr] one of [3 (10%), 4 (25%), 5 (35%), 6 (30%)] (usual: 2 to 10 yr)")


def test_the_schema_shows_units_and_ranges():
    schema = scenario_json_schema()
    fleet = schema["$defs"]["Fleet"]["properties"]["lifetime_years"]
    assert fleet["x-unit"] == "yr" and fleet["x-usual-range"] == [2, 10]
    assert fleet["x-physical-range"] == [0, 30]
    text = str(schema["$defs"]["Merchant"]["properties"]["price_per_unit"])
    assert "'x-usual-range': [1000.0, 200000.0]" in text and "'x-unit': 'USD/unit'" in text


# -- claims that cannot be true by construction -----------------------------------------------------

def test_a_claim_impossible_by_construction_is_labelled_so():
    from simulator.analysis.claims import evaluate_claims

    results = simulate(load_scenario(BASE), trials=300, seed=1)
    table = evaluate_claims(results, ["nvidia_share in 2030 < 0.5",
                                      "nvidia_share in 2030 >= 0.5"]).set_index(["claim",
                                                                                 "strategy"])
    below = table.loc[("nvidia_share in 2030 < 0.5", "nvidia_only")]
    assert below["probability"] == 0.0
    assert below["warning"] == ("impossible in this strategy: nvidia_share is 100% in every "
                                "trial, so more trials cannot change the answer")
    assert table.loc[("nvidia_share in 2030 >= 0.5", "cloud_lease"), "warning"] \
        .startswith("certain in this strategy: nvidia_share is 100% in every trial")
    # a strategy that buys elsewhere too is uncertain: no such label
    assert "in this strategy" not in table.loc[("nvidia_share in 2030 < 0.5", "hybrid"),
                                               "warning"]


def test_a_claim_on_a_metric_undefined_in_every_trial_does_not_ask_for_more_trials():
    from simulator.analysis.claims import evaluate_claims

    scenario = scenario_from_dict(uncertain_tiny(**{"demand.growth.initial": 0,
                                                     "fleet.lifetime_years": 10}))
    table = evaluate_claims(simulate(scenario, trials=40, seed=1), ["a_share in 2026 < 0.5"])
    assert (table["warning"] == "a_share is undefined in every trial (e.g. a share of spend in "
            "a year without purchases): nothing to test").all()
    assert table["trials"].eq(0).all()
