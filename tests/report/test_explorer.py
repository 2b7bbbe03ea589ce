"""The explorer's state (simulator.report.explorer) and its Panel app, without a browser."""

from __future__ import annotations

import asyncio
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulator import evaluate_claims, load_scenario, override, simulate
from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.report.explorer import (
    SAVED_MARK,
    Explorer,
    editable_params,
    percentiles_along,
    summarise,
)
from simulator.report.explorer_save import free_path, save_scenario
from simulator.report.latest_only import LatestOnly

# Panel's Tabulator still calls DataFrame.reset_index(inplace=True), deprecated by pandas 3.1
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "base.yaml"
TRIALS = 2_000


@pytest.fixture(scope="module")
def base():
    return load_scenario(BASE)


@pytest.fixture(scope="module")
def explorer(base):
    ex = Explorer(base, trials=TRIALS, seed=7)
    ex.apply()
    return ex


# -- numbers -----------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 60), st.integers(1, 3)),
              elements=st.one_of(st.floats(-1e6, 1e6), st.just(np.nan))))
def test_percentiles_along_equal_numpy_nanpercentile(x):
    q = (5, 25, 50, 75, 95)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanpercentile(x, q, axis=1)
    np.testing.assert_allclose(percentiles_along(x, q, axis=1), expected, rtol=1e-12,
                               atol=1e-9)


def test_summary_is_the_results_own(base):
    results = simulate(base, trials=TRIALS, seed=3, workers=1)
    snap = summarise(results)
    np.testing.assert_allclose(snap.fan, np.percentile(results.annual, (5, 25, 50, 75, 95),
                                                       axis=1), rtol=1e-6)
    comparison = results.comparison()
    cum = comparison[comparison["metric"] == "cumulative_spend"].reset_index(drop=True)
    cols = ["diff_mean", "diff_p5", "diff_p50", "diff_p95", "p_cheaper"]
    np.testing.assert_allclose(snap.paired[cols].to_numpy(float), cum[cols].to_numpy(float),
                               rtol=1e-6)
    assert list(snap.paired["strategy"]) == list(cum["strategy"])
    pd.testing.assert_frame_equal(snap.claims, evaluate_claims(results))
    np.testing.assert_allclose(snap.cumulative["p50"], np.median(results.cumulative(), axis=1))


def test_a_run_without_streamed_totals_gives_the_same_numbers(base):
    streamed = simulate(base, trials=TRIALS, seed=3, workers=1)
    plain = simulate(base, trials=TRIALS, seed=3, workers=1, streaming=False)
    assert plain.totals is None and plain.category_spend is None
    np.testing.assert_array_equal(plain.annual, streamed.annual)
    pd.testing.assert_frame_equal(evaluate_claims(plain), evaluate_claims(streamed))
    # streamed means are summed chunk by chunk in float64, array means in one pass
    pd.testing.assert_frame_equal(plain.comparison(), streamed.comparison(), rtol=1e-6)
    with pytest.raises(ValueError, match="every trial kept"):
        simulate(base, trials=TRIALS, seed=3, streaming=False, keep_trials=TRIALS - 1)


def test_controls_are_the_tornados_largest_swings(base, explorer):
    from simulator import tornado

    table = tornado(base)
    top = table[table["strategy"] == base.baseline_strategy].head(len(explorer.controls))
    assert [c.path for c in explorer.controls] == list(top["input"])
    assert explorer.controls[0].path == "demand.growth.initial"
    assert explorer.controls[0].unit == "1/yr"
    assert editable_params(base, "demand.growth.initial") == {"low": 0.8, "high": 1.5}


# -- edits -------------------------------------------------------------------------------------

def test_an_edit_gives_the_numbers_of_the_same_override(base):
    ex = Explorer(base, trials=TRIALS, seed=11)
    snap = ex.apply(ex.input_change("demand.growth.initial", {"high": 2.0}))
    direct = evaluate_claims(simulate(override(base, {"demand.growth.initial.high": 2.0}),
                                      trials=TRIALS, seed=11, workers=1))
    np.testing.assert_array_equal(snap.claims["probability"], direct["probability"])
    assert ex.scenario.demand.growth.initial.source.startswith("explorer edit (was: S26")


def _issues(exc: ScenarioError) -> list[tuple[str, str, str | None]]:
    return [(i.path, i.problem, i.hint) for i in exc.issues]


def test_a_bad_value_gives_the_validate_message_and_keeps_the_last_results(
        base, tmp_path, capsys):
    ex = Explorer(base, trials=TRIALS, seed=7)
    good = ex.apply()
    with pytest.raises(ScenarioError) as caught:
        ex.apply(ex.input_change("demand.growth.initial", {"high": 0.5}))
    assert ex.snapshot is good and ex.changes == {}
    # the same value in a file: `simulate validate` names the same key path, problem and hint
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASE}\ndemand:\n  growth:\n    initial: "
                   "{dist: lognormal, low: 0.8, high: 0.5}\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert _issues(caught.value) == [("demand.growth.initial",
                                      "high (P95 = 0.5) must be above low (P5 = 0.8)",
                                      caught.value.issues[0].hint)]
    issue = caught.value.issues[0]
    assert f"demand.growth.initial: {issue.problem} (hint: {issue.hint})" in err


def test_shares_that_do_not_sum_to_one_are_refused(base):
    ex = Explorer(base, trials=TRIALS, seed=7)
    with pytest.raises(ScenarioError, match=r"shares in 2026 sum to 0\.9, not 1"):
        ex.validate(ex.shares_change("multi_vendor", {2025: {"nvidia": 1.0},
                                                       2026: {"nvidia": 0.75, "amd": 0.15},
                                                       2028: {"nvidia": 0.7, "amd": 0.3}}))


# -- saving ------------------------------------------------------------------------------------

def _claims_csv(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "claims.csv")


def test_saved_scenario_runs_to_the_numbers_the_explorer_showed(base, tmp_path, capsys):
    ex = Explorer(base, trials=TRIALS, seed=5)
    changes = {**ex.input_change("demand.growth.initial", {"low": 0.9, "high": 1.8}),
               **ex.shares_change("hybrid", {2025: {"nvidia": 1.0},
                                             2026: {"nvidia": 0.8, "amd": 0.2},
                                             2027: {"nvidia": 0.6, "amd": 0.2, "inhouse": 0.2},
                                             2030: {"nvidia": 0.4, "amd": 0.2, "inhouse": 0.4}}),
               **ex.shares_change("nvidia_only", {"all": {"nvidia": 0.9, "amd": 0.1}}),
               **ex.lease_change("cloud_lease", {2025: 0.7, 2030: 0.5}),
               **ex.threshold_change({1: 25})}
    snap = ex.apply(changes)
    path = save_scenario(ex, tmp_path / "variant.yaml")
    text = path.read_text()
    assert text.startswith(SAVED_MARK) and "extends: " in text
    assert "explorer edit (was: S26" in text
    assert "fleet:" not in text and "energy:" not in text  # only the changes
    out = tmp_path / "run"
    assert main([str(path), "--out", str(out), "--quiet"]) == 0
    table = _claims_csv(out)
    np.testing.assert_array_equal(table["probability"], snap.claims["probability"])
    assert list(table["claim"]) == list(snap.claims["claim"])
    assert "(explorer: >= 25)" in table["claim"].iloc[5]


def test_saving_never_replaces_a_file(base, tmp_path):
    ex = Explorer(base, trials=TRIALS, seed=5)
    ex.apply(ex.input_change("demand.growth.decay", {"high": 0.2}))
    theirs = tmp_path / "mine.yaml"
    theirs.write_text("keep me\n")
    first = save_scenario(ex, theirs)
    second = save_scenario(ex, theirs)
    assert theirs.read_text() == "keep me\n"
    assert (first.name, second.name) == ("mine-2.yaml", "mine-3.yaml")
    assert free_path(tmp_path / "new.yaml") == tmp_path / "new.yaml"
    with pytest.raises(ValueError, match=r"ends in \.yaml"):
        save_scenario(ex, tmp_path / "notes.txt")
    assert not (tmp_path / "notes.txt").exists()
    assert load_scenario(second).suppliers == base.suppliers


def test_a_scenario_without_a_file_cannot_be_extended(base):
    from simulator.io.loading import scenario_from_dict

    unsaved = scenario_from_dict(base.model_dump(mode="json", by_alias=True, exclude_none=True))
    ex = Explorer(unsaved, trials=TRIALS)
    with pytest.raises(ValueError, match="not loaded from a file"):
        ex.saved_data()


# -- stale updates -----------------------------------------------------------------------------

def test_only_the_newest_request_runs_and_stale_results_are_dropped():
    started, release = threading.Event(), threading.Event()
    computed, drawn = [], []

    def compute(request):
        computed.append(request)
        if request == 0:
            started.set()
            release.wait(10)
        return request * 10

    async def scenario():
        runner = LatestOnly(compute, drawn.append, lambda exc: drawn.append(exc))
        first = asyncio.ensure_future(runner.submit(0))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        # a control that keeps moving: none of these starts a computation of its own
        assert all(runner.submit(k) is None for k in range(1, 6))
        release.set()
        await first
        return runner

    runner = asyncio.run(scenario())
    assert computed == [0, 5]        # 1-4 were never simulated
    assert drawn == [50]             # 0's result was stale when it arrived
    assert (runner.computed, runner.dropped) == (2, 1)


def test_a_failing_request_reports_once_current():
    seen = []

    def compute(request):
        raise ValueError(f"bad {request}")

    async def go():
        await LatestOnly(compute, seen.append, seen.append).submit("x")

    asyncio.run(go())
    assert [str(e) for e in seen] == ["bad x"]


# -- the Panel app -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app(base):
    pytest.importorskip("panel", reason='the explorer needs Panel: pip install ".[explore]"')
    from simulator.report.explorer_app import ExplorerApp

    return ExplorerApp(base, trials=TRIALS, seed=7)


def _shown(app) -> dict[tuple[str, str], float]:
    import re

    cells = re.findall(r"data-claim='(\d+)' data-strategy='([^']+)' "
                       r"data-probability='([^']+)'", app.claims.object)
    return {(k, s): float(p) for k, s, p in cells}


def test_moving_a_control_redraws_with_the_numbers_of_simulate(app, base):
    slider = app.input_widgets["demand.growth.initial"]["high"]
    slider.value = 2.2
    direct = evaluate_claims(simulate(override(base, {"demand.growth.initial.high": 2.2}),
                                      trials=TRIALS, seed=7, workers=1))
    shown = _shown(app)
    for k, claim in enumerate(dict.fromkeys(direct["claim"])):
        for row in direct[direct["claim"] == claim].itertuples():
            assert shown[(str(k), row.strategy)] == row.probability
    fan = app.fan_src.data
    assert fan["year"][0] == 2025 and fan["p5"][-1] < fan["p50"][-1] < fan["p95"][-1]
    slider.value = 1.5  # back to the scenario's value: no edit left
    assert app.explorer.changes == {}


def test_the_verdict_follows_the_views_for_the_same_run(app):
    import html

    from simulator.report.explorer import run_verdict

    app.input_widgets["demand.growth.decay"]["high"].value = 0.25
    verdict = run_verdict(app.explorer.results, app.explorer.snapshot.claims)
    assert [f.topic for f in verdict.findings][:6] == ["claim"] * 5 + ["cheapest"]
    shown = app.verdict.object
    for finding in verdict.findings:   # every sentence, of this run's numbers
        assert html.escape(finding.text[len(finding.lead):]) in shown
    assert app.verdict.styles["opacity"] == "1"
    app.input_widgets["demand.growth.decay"]["high"].value = 0.16


def test_a_bad_value_in_the_app_shows_the_message_and_keeps_the_views(app):
    app.input_widgets["demand.growth.decay"]["high"].value = 0.2
    edits = dict(app.explorer.changes)
    before = app.claims.object
    fan_before = dict(app.fan_src.data)
    app.input_widgets["demand.growth.initial"]["high"].value = 0.3
    assert app.explorer.changes == edits    # what "Save as scenario" would write is kept too
    assert app.error.visible
    assert "demand.growth.initial: high (P95 = 0.3) must be above low (P5 = 0.8)" in \
        app.error.object
    assert app.claims.object == before and app.fan_src.data == fan_before
    app.input_widgets["demand.growth.initial"]["high"].value = 1.5
    app.input_widgets["demand.growth.decay"]["high"].value = 0.16
    assert not app.error.visible and app.explorer.changes == {}


def test_thresholds_trials_and_seed_from_the_app(app):
    app.threshold_widgets[1].value = "20"
    assert app.explorer.scenario.claims[1].threshold == 20
    assert "30 GW by 2033 (explorer: &gt;= 20)" in app.claims.object
    app.threshold_widgets[1].value = "nonsense"
    assert "claims.1.threshold" in app.error.object or "claims[1]" in app.error.object
    app.threshold_widgets[1].value = "30"
    app.trials.value = 1000
    assert app.explorer.snapshot.trials == 1000
    app.trials.value = TRIALS


def test_share_table_edits_reach_the_scenario(app):
    table = app.share_widgets["multi_vendor"]
    frame = table.value.copy()
    frame.loc["2028", "nvidia"], frame.loc["2028", "amd"] = 0.5, 0.5
    table.value = frame
    shares = app.explorer.scenario.strategies["multi_vendor"].shares
    assert shares["2028"] == {"nvidia": 0.5, "amd": 0.5}
    app.lease_widgets["hybrid"].value = "{2025: 0.2, 2030: 0.4}"
    assert app.explorer.scenario.strategies["hybrid"].lease_share == {"2025": 0.2, "2030": 0.4}


def test_save_button_writes_the_edits(app, tmp_path):
    app.threshold_widgets[0].value = "3T"
    app.save_path.value = str(tmp_path / "mine.yaml")
    path = app.save()
    assert path == tmp_path / "mine.yaml" and "saved" in app.save_message.object
    assert load_scenario(path).claims[0].threshold == 3e12
    app.save_path.value = str(tmp_path / "mine.txt")
    assert app.save() is None and "not saved" in app.save_message.object
    app.threshold_widgets[0].value = "7T"


# -- the command ---------------------------------------------------------------------------------

def test_explore_command_refuses_bad_input(tmp_path, capsys):
    assert main(["explore", str(tmp_path / "missing.yaml"), "--no-browser"]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["explore", str(BASE), "--port", "70000"])
    assert stop.value.code == 2
