"""Parallel and distributed runs give the same numbers as a serial run, bit for bit."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from simulator import evaluate_claims, load_scenario, override, simulate
from simulator.cli import main
from tests.conftest import BASE

TRIALS, CHUNK = 5000, 1000


@pytest.fixture(scope="module")
def serial():
    return simulate(load_scenario(BASE), trials=TRIALS, seed=3, chunk_size=CHUNK, workers=1)


def assert_same(a, b):
    for name in ("annual", "npv", "installed_gw", "unmet_units", "dependence_share",
                 "inhouse_net_saving", "demand_units"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(a.category_spend.counts, b.category_spend.counts)
    np.testing.assert_array_equal(a.category_spend.sums, b.category_spend.sums)
    for path in a.inputs:
        np.testing.assert_array_equal(a.inputs[path], b.inputs[path])


def test_local_processes_match_serial(serial):
    parallel = simulate(load_scenario(BASE), trials=TRIALS, seed=3, chunk_size=CHUNK, workers=2)
    assert parallel.provenance["workers"] == 2
    assert_same(serial, parallel)


def test_dask_local_cluster_matches_serial(serial):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        run = simulate(load_scenario(BASE), trials=TRIALS, seed=3, chunk_size=CHUNK,
                       backend="dask", scheduler=cluster.scheduler_address)
    assert run.provenance["backend"] == "dask"
    assert_same(serial, run)


def test_parquet_output_round_trips(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "run"
    assert main([str(BASE), "--trials", "500", "--parquet", "--out", str(out), "-q"]) == 0
    trials = pq.read_table(out / "trials.parquet").to_pandas()
    results = simulate(load_scenario(BASE), trials=500)
    assert len(trials) == len(results.strategies) * 500 * len(results.years)
    hybrid = trials[trials["strategy"] == "hybrid"].sort_values(["trial", "year"])
    np.testing.assert_array_equal(hybrid["spend"].to_numpy(),
                                  results.annual[results.strategies.index("hybrid")].ravel())
    inputs = pq.read_table(out / "inputs.parquet").to_pandas()
    np.testing.assert_array_equal(inputs["demand.growth.initial"],
                                  results.inputs["demand.growth.initial"])


@pytest.mark.parametrize("workers", [1, 2])
def test_keeping_fewer_trials_keeps_exact_totals(workers):
    """Per-trial arrays for the first 1,500 trials only: means, paired comparisons and claim
    probabilities still cover all 5,000 trials, exactly as when everything is kept (in one
    process, several chunks beyond the kept trials pass through the same scratch span)."""
    sc = load_scenario(BASE)
    full = simulate(sc, trials=TRIALS, seed=3, chunk_size=CHUNK, workers=1, keep_trials=None)
    part = simulate(sc, trials=TRIALS, seed=3, chunk_size=CHUNK, workers=workers,
                    keep_trials=1500)
    assert part.n_trials == 1500 and part.trials_total == TRIALS
    np.testing.assert_array_equal(part.npv, full.npv[:, :1500])
    a, b = full.summary(), part.summary()
    np.testing.assert_array_equal(a["mean"], b["mean"])
    np.testing.assert_array_equal(full.comparison()["p_cheaper"], part.comparison()["p_cheaper"])
    np.testing.assert_array_equal(evaluate_claims(full)["probability"], evaluate_claims(part)["probability"])
    # and the streamed means are the plain means of all trials
    np.testing.assert_allclose(a.query("metric == 'npv'")["mean"], full.npv.mean(axis=1),
                               rtol=1e-12)


def test_sensitivity_designs_run_chunked_and_in_parallel_with_the_same_numbers(monkeypatch):
    """A given design (Sobol, tornado) goes through the chunked engine: split into chunks,
    segments and two processes, it gives exactly what one chunk in this process gives."""
    from simulator.analysis import sensitivity
    from simulator.run.engine import evaluate_design

    scenario = load_scenario(BASE)
    u = np.random.default_rng(4).random((3000, len(scenario.uncertain_paths())))
    whole = evaluate_design(scenario, u, chunk_size=3000, workers=1)
    split = evaluate_design(scenario, u, chunk_size=250, workers=2)
    assert split.provenance["workers"] == 2
    for name in ("annual", "npv", "installed_gw", "unmet_units", "inhouse_net_saving"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(split, name), err_msg=name)

    one = sensitivity.sobol_analysis(scenario, n_base=256, n_bootstrap=0, workers=1)
    monkeypatch.setattr(sensitivity, "SOBOL_SEGMENT_ROWS", 1000)  # several segments
    many = sensitivity.sobol_analysis(scenario, n_base=256, n_bootstrap=0, workers=2)
    pd.testing.assert_frame_equal(one, many)


def test_too_little_shared_memory_runs_in_one_process_with_a_warning(serial, monkeypatch):
    """Workers writing past a full /dev/shm would die of SIGBUS: the run falls back to one
    process, says why, and gives the same numbers."""
    from simulator.run import parallel

    monkeypatch.setattr(parallel, "shared_memory_free", lambda: 1000)
    with pytest.warns(RuntimeWarning, match="shared memory"):
        run = simulate(load_scenario(BASE), trials=TRIALS, seed=3, chunk_size=CHUNK, workers=2)
    assert run.provenance["workers"] == 1
    assert_same(serial, run)


def _held_shared_memory() -> list[str]:
    """Shared memory this process holds open (anonymous memory files or segments; every
    mapping of one holds a descriptor)."""
    held = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(("/memfd:simulator-", "/dev/shm/")):
            held.append(target)
    return sorted(held)


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc to inspect")


@needs_proc
def test_shared_memory_is_released_and_results_stay_valid(serial):
    """The results keep this process's own mappings of the run's shared memory and stay
    readable; the memory goes with them, and a failing run releases it at once."""
    from simulator.errors import NumericalError

    gc.collect()
    before = _held_shared_memory()
    run = simulate(load_scenario(BASE), trials=TRIALS, seed=3, chunk_size=CHUNK, workers=2)
    assert_same(serial, run)
    pd.testing.assert_frame_equal(serial.summary(), run.summary())
    del run
    gc.collect()
    assert _held_shared_memory() == before

    overflow = override(load_scenario(BASE), {"demand.start.gw": 1e30})
    with pytest.raises(NumericalError):
        simulate(overflow, trials=TRIALS, seed=3, chunk_size=CHUNK, workers=2)
    gc.collect()
    assert _held_shared_memory() == before


@needs_proc
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
@pytest.mark.parametrize("group", [False, True], ids=["main", "group"])
def test_a_killed_run_leaves_no_shared_memory_behind(tmp_path, sig, group):
    """A run killed while its workers write (SIGTERM runs no Python cleanup here, SIGKILL
    none anywhere; to the main process or the whole group) leaves no shared memory: the arrays
    are anonymous memory files the kernel frees with the last process holding them. The run
    is stopped at a pause point, not after a guessed sleep."""
    from simulator.run.parallel import memfd_available
    from tests.integration.signal_harness import PATIENCE, group_members, memory_still_held, shared_memory_of

    if not memfd_available():
        pytest.skip("no memfd_create here")
    script, pause = tmp_path / "run.py", tmp_path / "pause.txt"
    script.write_text(
        "from simulator import load_scenario, simulate\n"
        f"simulate(load_scenario({str(BASE)!r}), trials=40_000, workers=2)\n")
    env = {**os.environ, "SIMULATOR_PAUSE_AT": "pool", "SIMULATOR_PAUSE_FILE": str(pause)}
    proc = subprocess.Popen([sys.executable, str(script)], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + PATIENCE  # a hang guard, not a speed limit
        while not (pause.exists() and "pool" in pause.read_text()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the run never reached the pool")
            time.sleep(0.02)
        held = shared_memory_of(group_members(proc.pid))
        assert any(h.startswith(f"/memfd:simulator-{proc.pid}-") for h in held)
        (os.killpg if group else os.kill)(proc.pid, sig)
        proc.wait(timeout=PATIENCE)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    deadline = time.monotonic() + PATIENCE
    while group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # workers of a killed parent notice within half a second
    assert group_members(proc.pid) == []
    assert memory_still_held(held) == set()


def test_where_segments_are_not_files_the_arrays_are_copied_out(serial, monkeypatch, tmp_path):
    """Where POSIX shared memory is not visible as files (macOS), the results get copies of
    the shared arrays, with the same numbers."""
    from simulator.run import parallel

    monkeypatch.setattr(parallel, "memfd_available", lambda: False)
    monkeypatch.setattr(parallel, "SHM_DIR", str(tmp_path / "missing"))
    run = simulate(load_scenario(BASE), trials=TRIALS, seed=3, chunk_size=CHUNK, workers=2)
    assert run.provenance["workers"] == 2
    assert_same(serial, run)


def test_anonymous_memory_files_are_not_limited_by_the_size_of_dev_shm():
    """Where the arrays are memfd files, /dev/shm's size is not theirs to check: a small one
    (a Docker default) must not push a run into one process."""
    from simulator.run import parallel

    if not parallel.memfd_available():
        pytest.skip("no memfd_create here")
    assert parallel.shared_memory_free() is None


def test_fields_held_as_one_value_equal_the_arrays_they_stand_for():
    """A field that is zero or NaN in every trial is held as one broadcast value (the minimal
    scenario: no in-house supplier, lease, funding or unmet demand), by one process and by the
    workers of a shared-memory run alike: the same dtypes, shapes and bits as written arrays,
    and the same tables."""
    from simulator.results.fields import TRIAL_FIELDS

    minimal = load_scenario("benchmarks/minimal.yaml")
    one = simulate(minimal, trials=3000, seed=5, chunk_size=1000, workers=1)
    two = simulate(minimal, trials=3000, seed=5, chunk_size=1000, workers=2)
    held = {name for name in TRIAL_FIELDS if not any(getattr(one, name).strides)}
    assert {"inhouse_net_saving", "committed_lease", "funding", "unmet_units"} <= held
    assert held == {name for name in TRIAL_FIELDS if not any(getattr(two, name).strides)}
    for name in TRIAL_FIELDS:
        a, b = getattr(one, name), getattr(two, name)
        assert (a.dtype, a.shape) == (b.dtype, b.shape), name
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), name
    pd.testing.assert_frame_equal(one.summary(), two.summary())
    pd.testing.assert_frame_equal(one.funding_table(), two.funding_table())


def test_fields_held_by_some_blocks_only_are_written_for_those_blocks():
    """Chunks of one trial: a field can be zero in every trial of one block and not of
    another; a shared-memory run then writes the held value over the blocks that held it."""
    from simulator.results.fields import TRIAL_FIELDS

    base = load_scenario(BASE)
    one = simulate(base, trials=24, seed=2, chunk_size=1, workers=1)
    two = simulate(base, trials=24, seed=2, chunk_size=1, workers=2)
    for name in TRIAL_FIELDS:
        a, b = getattr(one, name), getattr(two, name)
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), name


def test_blocks_holding_one_value_merge_into_the_serial_arrays():
    """Blocks returned whole (as from Dask), some fields held as one value, merged in any
    order, give the serial run's arrays."""
    from simulator.results.fields import TRIAL_FIELDS
    from simulator.run.accumulator import Accumulator
    from simulator.run.blocks import run_block
    from simulator.run.plan import RunPlan

    minimal = load_scenario("benchmarks/minimal.yaml")
    plan = RunPlan(scenario=minimal, trials=3000, seed=5, design=None, chunk_size=1000,
                   keep_spend=False)
    acc = Accumulator(minimal, plan.trials, keep_spend=False)
    for chunks in (range(2, 3), range(0, 2)):
        acc.absorb(run_block(plan, chunks))
    merged = acc.results({})
    serial = simulate(minimal, trials=3000, seed=5, chunk_size=1000, workers=1)
    for name in TRIAL_FIELDS:
        a, b = getattr(merged, name), getattr(serial, name)
        assert (a.dtype, a.shape) == (b.dtype, b.shape), name
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), name
    assert not any(merged.funding.strides)


@pytest.mark.parametrize("parent_alive", [True, False])
def test_a_worker_whose_parent_died_before_it_started_exits(parent_alive):
    """The parent's id comes from the parent: a worker reparented before its initializer ran
    (its parent killed right after the fork) still sees that its parent is gone."""
    from tests.integration.signal_harness import PATIENCE

    parent = "os.getppid()" if parent_alive else "0"  # no process has id 0: gone
    code = ("import os, time\n"
            "from simulator.run.parallel import exit_with_parent\n"
            f"exit_with_parent({parent})\n"
            "time.sleep(1.5)\n")
    proc = subprocess.run([sys.executable, "-c", code], timeout=PATIENCE)  # a hang guard
    assert proc.returncode == (0 if parent_alive else 1)
