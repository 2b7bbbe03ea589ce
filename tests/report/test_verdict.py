"""The verdict (simulator/verdict.py): sentences checked number by number on hand-made tables
and on degenerate runs whose answers are known in closed form (a claim that holds in every
trial, one that never holds, a strategy cheaper in every trial)."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import simulate
from simulator.analysis.overview import analyse
from simulator.io.loading import scenario_from_dict
from simulator.report.plot_style import format_probability
from simulator.report.verdict import (
    Verdict,
    build_verdict,
    compose_verdict,
    reasons_in_words,
)
from simulator.report.verdict_findings import likelihood
from simulator.stats.mc_error import wilson_interval
from tests.conftest import TINY

#: Wilson 95% interval of 0 (or all) of n trials: the upper end for 0 is z^2 / (n + z^2).
Z2 = 1.959963984540054**2


def _claims(label, rows, **extra):
    """evaluate_claims-like rows: (strategy, trials_true, trials) per strategy."""
    out = []
    for strategy, k, n in rows:
        lo, hi = wilson_interval(k, n)
        out.append({"claim": label, "strategy": strategy, "probability": k / n,
                    "ci_low": float(lo), "ci_high": float(hi), "trials": n, "trials_true": k,
                    **extra})
    return pd.DataFrame(out)


def test_a_claim_true_in_every_trial():
    assert abs(1000 / (1000 + Z2) - 0.996173) < 1e-6   # -> "99.62%"
    v = compose_verdict(scope="One company's own AI infrastructure (about 1.9 GW): chips",
                        claims=_claims("big", [("a", 1000, 1000), ("b", 1000, 1000)]))
    assert v.subject == "one company's own AI infrastructure"
    assert v.heading == "Verdict for one company's own AI infrastructure"
    (f,) = v.findings
    assert f.text == ("big: holds in every one of the 1,000 trials for every strategy "
                      "(95% interval: at least 99.62%).")
    assert "more trials" not in f.text


def test_a_claim_never_true_says_how_unlikely_not_run_more():
    v = compose_verdict(scope="x", claims=_claims("$7T", [("a", 0, 1000), ("b", 0, 1000)]),
                        claim_notes={"$7T": "Scope: one company. See scenarios/industry.yaml "
                                            "for the industry view."})
    (f,) = v.findings
    assert f.text == ("$7T: held in none of the 1,000 trials for every strategy (95% interval: "
                      "at most 0.38%). See scenarios/industry.yaml for the industry view.")
    assert f.numbers["ci_high"] == pytest.approx(Z2 / (1000 + Z2))


def test_a_claim_impossible_by_construction_is_labelled_so():
    """nvidia_only's Nvidia share is 1 in every trial: 'below half' cannot hold there, which is
    no sampling question; the other strategy's estimate stands on its own."""
    rows = _claims("Nvidia below half", [("nvidia_only", 0, 2000), ("hybrid", 56, 2000)],
                   metric="nvidia_share")
    rows["metric_min"] = [1.0, 0.2]
    rows["metric_max"] = [1.0, 0.9]
    (f,) = compose_verdict(scope="x", claims=rows).findings
    assert f.text == ("Nvidia below half: very unlikely, 2.8% (56 of 2,000 trials; 95% interval "
                      "2.2% to 3.6%) under hybrid; it cannot hold under nvidia_only (its nvidia "
                      "share is 100% in every trial).")
    assert f.numbers["cannot_hold"] == ["nvidia_only"]


def test_a_range_from_zero_takes_the_word_of_its_top():
    rows = _claims("below half", [("a", 0, 2000), ("b", 60, 2000)])
    (f,) = compose_verdict(scope="x", claims=rows).findings
    assert f.text == ("below half: very unlikely, from 0% (a) to 3.0% (b) depending on the "
                      "strategy.")


def test_a_claim_settled_differently_by_strategy():
    rows = _claims("c", [("a", 0, 500), ("b", 500, 500)])
    (f,) = compose_verdict(scope="x", claims=rows).findings
    assert f.text == ("c: it depends on the strategy, from 0% (a) to 100% (b) depending on the "
                      "strategy.")
    rows = _claims("c", [("a", 400, 500), ("b", 500, 500)])
    (f,) = compose_verdict(scope="x", claims=rows).findings
    assert f.text == "c: likely to certain, from 80.0% (a) to 100% (b) depending on the strategy."


def test_probabilities_that_differ_by_strategy_give_the_range():
    rows = _claims("30 GW", [("a", 396, 1000), ("b", 426, 1000), ("c", 410, 1000)])
    (f,) = compose_verdict(scope="x", claims=rows).findings
    assert f.text == ("30 GW: about as likely as not, from 39.6% (a) to 42.6% (b) depending on "
                      "the strategy.")
    assert f.numbers["lowest"] == ("a", 0.396) and f.numbers["highest"] == ("b", 0.426)


def test_a_tail_estimate_from_few_trials_is_called_rough():
    (f,) = compose_verdict(scope="x", claims=_claims("t", [("a", 1, 5000)])).findings
    assert f.text == ("t: almost never, 0.020% (1 of 5,000 trials; 95% interval 0.004% to "
                      "0.11%) under a: a rough estimate.")


@pytest.mark.parametrize(("p", "word"), [(0.0, "in no trial"), (0.005, "almost never"),
                                         (0.05, "very unlikely"), (0.2, "unlikely"),
                                         (0.5, "about as likely as not"), (0.7, "likely"),
                                         (0.95, "very likely"), (0.995, "almost certain"),
                                         (1.0, "in every trial")])
def test_likelihood_words(p, word):
    assert likelihood(p) == word


def _summary(rows):
    return pd.DataFrame([{"strategy": s, "metric": m, "mean": mean, "p5": mean / 2,
                          "p50": mean * 0.9, "p95": mean * 2} for s, m, mean in rows])


def test_cheapest_strategy_how_sure_and_why():
    summary = _summary([("base", "cumulative_spend", 5e12), ("mix", "cumulative_spend", 4e12),
                        ("own", "cumulative_spend", 4.2e12), ("base", "nvidia_share", 1.0),
                        ("mix", "nvidia_share", 0.79), ("own", "nvidia_share", 0.94)])
    comparisons = pd.DataFrame([
        {"strategy": "mix", "baseline": "base", "metric": "cumulative_spend",
         "diff_mean": -1e12, "diff_p50": -0.2e12, "p_cheaper": 0.853},
        {"strategy": "mix", "baseline": "own", "metric": "cumulative_spend",
         "diff_mean": -0.2e12, "diff_p50": -0.01e12, "p_cheaper": 0.488}])
    categories = pd.DataFrame([
        {"strategy": "base", "category": "accelerators_nvidia", "mean": 3e12},
        {"strategy": "mix", "category": "accelerators_nvidia", "mean": 1.5e12},
        {"strategy": "mix", "category": "accelerators_amd", "mean": 0.7e12},
        {"strategy": "base", "category": "servers_networking", "mean": 1e12},
        {"strategy": "mix", "category": "servers_networking", "mean": 0.8e12},
        {"strategy": "base", "category": "energy", "mean": 1e12},
        {"strategy": "mix", "category": "energy", "mean": 1.0e12}])
    v = compose_verdict(scope="x", start=2025, end=2035, baseline="base", summary=summary,
                        comparisons=comparisons, category_spend=categories,
                        dependence_reasons={"mix": "AMD capacity is capped"})
    cheapest, dependence = v.findings
    assert cheapest.text == (
        "Cheapest on average: mix, mean cumulative spend 2025-2035 $4T (median $3.6T), $1T less than base "
        "on average; on the same draws it is cheaper than base in 85.3% of trials and cheaper "
        "than the runner-up own in 48.8% of trials (no clear winner between the two). Against "
        "base, the saving is in chips from nvidia (-$1.5T on average) and servers and "
        "networking (-$200B), partly offset by chips from amd (+$700B).")
    assert cheapest.numbers["category_differences"]["energy"] == 0.0  # left out of the text
    assert dependence.text == ("Nvidia's share of chip spend 2025-2035: 100% under base; 94% "
                               "under own; 79% under mix (the cheapest and the lowest). Why it "
                               "stays there: mix: AMD capacity is capped.")


def test_one_strategy_has_no_cheapest_and_no_lowest():
    summary = _summary([("only", "cumulative_spend", 1e12), ("only", "nvidia_share", 0.5)])
    (f,) = compose_verdict(scope="x", summary=summary).findings
    assert f.text == "Nvidia's share of chip spend: 50% under only."


def test_the_baseline_can_be_the_cheapest():
    summary = _summary([("base", "cumulative_spend", 1e12), ("alt", "cumulative_spend", 2e12)])
    comparisons = pd.DataFrame([{"strategy": "base", "baseline": "alt",
                                 "metric": "cumulative_spend", "diff_mean": -1e12,
                                 "diff_p50": -1e12, "p_cheaper": 1.0}])
    (f,) = [f for f in compose_verdict(scope="x", baseline="base", summary=summary,
                                       comparisons=comparisons).findings
            if f.topic == "cheapest"]
    assert f.text == ("Cheapest on average: base, mean cumulative spend $1T (median $900B) (the baseline); "
                      "on the same draws it is cheaper than the runner-up alt in every trial.")


def test_funding_and_drivers():
    funding = pd.DataFrame([
        {"strategy": "a", "metric": "funding_gap", "mean": 2e12, "p5": 3e10, "p50": 1.5e12,
         "p95": 1.2e13},
        {"strategy": "b", "metric": "funding_gap", "mean": 2e12, "p5": 3e10, "p50": 2.3e12,
         "p95": 1.3e13},
        {"strategy": "a", "metric": "p_funded", "mean": 0.0014, "p5": 0, "p50": 0, "p95": 1},
        {"strategy": "b", "metric": "p_funded", "mean": 0.04, "p5": 0, "p50": 0, "p95": 1}])
    drivers = pd.DataFrame({"input": ["revenue.growth", "demand.growth.initial"],
                            "spearman": [-0.4, 0.71]})
    tornado = pd.DataFrame([
        {"strategy": "a", "metric": "cumulative_spend through 2030", "input": "g",
         "at_low": 5.52e11, "at_high": 1.47e12, "swing": 9.18e11},
        {"strategy": "a", "metric": "cumulative_spend through 2030", "input": "price",
         "at_low": 7.29e11, "at_high": 1.04e12, "swing": 3.1e11},
        {"strategy": "a", "metric": "cumulative_spend through 2030", "input": "fixed",
         "at_low": 1e12, "at_high": 1e12, "swing": 0.0}])
    fund, drive = compose_verdict(scope="x", end=2035, baseline="a", funding=funding,
                                  funding_drivers=drivers, sensitivity=tornado).findings
    assert fund.text == (
        "Funding gap through 2035: median $1.5T under a (the most to raise beyond committed "
        "funding; P5-P95 $30B to $12T), $1.5T to $2.3T across strategies; committed funding "
        "suffices in 0.14% of trials. It moves most with demand.growth.initial (rank "
        "correlation +0.71: a higher value means a larger gap).")
    assert fund.lead == "Funding gap through 2035"
    assert drive.text == (
        "What moves cumulative spend through 2030 most: g ($552B to $1.47T) and price ($729B "
        "to $1.04T) (a; each input from its P10 to its P90, the others at their medians).")
    assert drive.lead == "What moves cumulative spend through 2030 most"
    assert drive.numbers["inputs"] == ["g", "price"]  # a zero swing moves nothing


def _tiny(**claims):
    data = copy.deepcopy(TINY)
    data["claims"] = [{"name": k, **v} for k, v in claims.items()]
    return data


def test_a_fixed_scenario_run_end_to_end():
    """Every input fixed (tests/model/test_chunk.py works the spend out by hand): a_to_b is
    cheaper than only_a in every trial by 520 USD (chips from a -1,320, chips from b +800;
    servers and networking cost the same per compute unit whichever chip), and every claim is
    settled by construction."""
    data = _tiny(low={"metric": "cumulative_spend", "op": ">=", "threshold": 300_000},
                 high={"metric": "cumulative_spend", "op": ">=", "threshold": 1e9})
    results = simulate(scenario_from_dict(data), trials=4, seed=1)
    v = build_verdict(analyse(results))
    claims = v.by_topic("claim")
    assert claims[0].text == ("low: it holds by construction under a_to_b and only_a (its "
                              "cumulative spend is $312k and $313k respectively in every trial).")
    assert claims[1].text == ("high: it cannot hold under a_to_b and only_a (its cumulative "
                              "spend is $312k and $313k respectively in every trial).")
    (cheapest,) = v.by_topic("cheapest")
    # a_to_b: 311,276.25 + 120 x 10 (servers cost per compute unit, not per dollar of chips)
    assert cheapest.numbers["mean"] == pytest.approx(312_476.25, rel=1e-6)
    assert cheapest.numbers["diff_mean_vs_baseline"] == pytest.approx(-520, rel=1e-4)
    assert cheapest.numbers["p_cheaper_than_baseline"] == 1.0
    diffs = cheapest.numbers["category_differences"]
    assert diffs["accelerators_a"] == pytest.approx(-1320, rel=1e-5)
    assert diffs["accelerators_b"] == pytest.approx(800, rel=1e-5)
    assert diffs["servers_networking"] == 0.0
    assert cheapest.text == (
        "Cheapest on average: a_to_b, mean cumulative spend 2025-2027 $312k (median $312k), $520 less than "
        "only_a on average; on the same draws it is cheaper than only_a in every trial. Against "
        "only_a, the saving is in chips from a (-$1.32k on average), partly offset by chips from "
        "b (+$800).")
    (dep,) = v.by_topic("dependence")
    # a's share of chip spend under a_to_b: (1000 + 200) / (1000 + 300 + 700)
    assert dep.text == ("A's share of chip spend 2025-2027: 100% under only_a; 60% under a_to_b "
                        "(the cheapest and the lowest).")


def test_uncertain_run_claims_true_and_never_true():
    data = _tiny(always={"metric": "cumulative_spend", "op": ">=", "threshold": 1},
                 never={"metric": "cumulative_spend", "op": ">=", "threshold": "1T"})
    data["demand"]["growth"]["initial"] = {"dist": "uniform", "low": 0.3, "high": 0.7}
    results = simulate(scenario_from_dict(data), trials=400, seed=3)
    v = build_verdict(analyse(results))
    always, never = v.by_topic("claim")
    assert abs(400 / (400 + Z2) - 0.990488) < 1e-6
    assert always.text == ("always: holds in every one of the 400 trials for every strategy "
                           "(95% interval: at least 99.05%).")
    assert never.text == ("never: held in none of the 400 trials for every strategy (95% "
                          "interval: at most 0.95%).")
    assert "run more trials" not in v.to_text()
    # structured data for other front ends: the same text and numbers, as JSON
    data = json.loads(json.dumps(v.to_dict()))
    assert data["findings"][0]["text"] == always.text
    assert isinstance(v, Verdict) and v.to_text().startswith("Verdict for test scenario\n  - ")


def test_binding_constraints_in_words():
    """The dependence supplier's units by reason, as the run reports them: the binding reason
    becomes the 'why' of the dependence sentence."""
    table = pd.DataFrame([
        {"strategy": "nvidia_only", "reason": "planned", "units_mean": 10.0, "share": 1.0,
         "binding": False},
        {"strategy": "nvidia_only", "reason": "cap", "units_mean": 0.0, "share": 0.0,
         "binding": False},
        {"strategy": "inhouse_first", "reason": "planned", "units_mean": 2.9, "share": 0.29,
         "binding": False},
        {"strategy": "inhouse_first", "reason": "cap", "units_mean": 6.1, "share": 0.61,
         "binding": True},
        {"strategy": "inhouse_first", "reason": "failure", "units_mean": 1.0, "share": 0.10,
         "binding": False}])
    words = reasons_in_words(table, "nvidia")
    assert words == {"inhouse_first": "61% of its nvidia units are the fallback for the "
                                      "capacity caps of its other suppliers (29% were planned)"}
    summary = _summary([("nvidia_only", "nvidia_share", 1.0),
                        ("inhouse_first", "nvidia_share", 0.94)])
    (f,) = compose_verdict(scope="x", summary=summary, dependence_reasons=words).findings
    assert f.text == ("Nvidia's share of chip spend: 100% under nvidia_only; 94% under "
                      "inhouse_first (the lowest). Why it stays there: inhouse_first: 61% of its "
                      "nvidia units are the fallback for the capacity caps of its other "
                      "suppliers (29% were planned).")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 50)), min_size=1, max_size=5))
def test_any_claim_table_gives_one_sentence_quoting_its_extremes(counts):
    """Whatever the counts, one finding that quotes the lowest and highest probability (or says
    the claim held in every or no trial) and never asks for more trials."""
    rows = _claims("c", [(f"s{i}", min(k, n), n) for i, (k, n) in enumerate(counts)])
    (f,) = compose_verdict(scope="x", claims=rows).findings
    assert f.text.startswith("c: ") and f.text.endswith(".")
    assert "more trials" not in f.text
    p = rows["probability"]
    if (rows["trials_true"] == rows["trials"]).all() and rows["trials"].nunique() == 1:
        assert "holds in every one of the" in f.text
    elif (rows["trials_true"] == 0).all() and rows["trials"].nunique() == 1:
        assert "held in none of the" in f.text
    else:
        assert format_probability(p.min()) in f.text and format_probability(p.max()) in f.text
