"""A seeded sample of the mutation sweep (tests/fuzz/mutation_sweep.py): numeric leaves of
scenarios/base.yaml set to NaN, infinity, -1e30, 1e308, 0, -1, a string, null, a list or 1e39
go through ``simulate validate`` and a short run without a traceback or a hang.

The worker process is given a generous time per case only so that a hang ends the test
instead of blocking the suite; it is not a speed limit. The full sweep (about 1,600 files) is
run as a script: ``python tests/fuzz/mutation_sweep.py``.
"""

from __future__ import annotations

from tests.conftest import BASE
from tests.fuzz.mutation_sweep import MUTANTS, numeric_leaves, sweep

#: Files in the sample: every hostile value about three times.
SAMPLE = 30


def test_numeric_leaves_cover_the_whole_file():
    data = {"a": 1, "b": {"c": "12k", "d": [0.1, "35%", "text"]}, "e": True, "f": None}
    assert numeric_leaves(data) == [("a",), ("b", "c"), ("b", "d", 0), ("b", "d", 1)]
    assert len(MUTANTS) == 10


def test_a_sample_of_the_mutation_sweep_runs_clean():
    summary = sweep(BASE, trials=32, timeout=600.0, sample=SAMPLE, seed=20)
    report = summary.text(str(BASE), 32)
    assert summary.files == SAMPLE and summary.runs == 2 * SAMPLE, report
    assert summary.tracebacks == [], report
    assert summary.hangs == [], report
    assert summary.breaches == [], report
    # the sample reaches the engine, not only the validator
    assert summary.codes.get(0, 0) > 0 and summary.codes.get(2, 0) > 0, report
