"""On-demand benchmark of the explorer's update latency (not in CI; needs Panel).

Run from the repository root::

    python benchmarks/bench_explorer.py [--trials 20000] [--changes 15]
        [--scenario scenarios/base.yaml]

Builds the app (:class:`simulator.report.explorer_app.ExplorerApp`) without a browser, then moves
the slider of the input that moves the answer most ``--changes`` times. Each change runs the
path a browser's change runs on the server: the widget's watcher reads every control,
validates the overrides, re-simulates on one core, summarises and replaces the Bokeh data
sources and the claims table. Prints the wall time per change (median, min, max) and its
parts: ``simulate`` (:func:`simulator.simulate`), ``summarise`` (percentiles, paired
differences, claims) and ``draw`` (data sources and panes), and the CPU seconds per change
(the process's, which a machine busy with other work does not inflate as it does wall
time). Sending the new data to the page
over the websocket (a few kB) and the browser's repaint are not included.

Then it measures a control that keeps moving: ten changes arrive while the first one is
computing; only the first and the last are simulated and only the last is drawn.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from simulator import load_scenario
from simulator.report.explorer_app import ExplorerApp


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=20_000)
    p.add_argument("--changes", type=int, default=15)
    p.add_argument("--scenario", default="scenarios/base.yaml")
    a = p.parse_args(argv)
    scenario = load_scenario(a.scenario)
    t0 = time.perf_counter()
    app = ExplorerApp(scenario, trials=a.trials)
    print(f"{a.scenario}, {a.trials:,} trials: app built and first run in "
          f"{time.perf_counter() - t0:.2f} s")
    control = app.explorer.controls[0]
    name, slider = next(iter(app.input_widgets[control.path].items()))
    start = slider.value
    rows = []
    for k in range(a.changes):
        value = round(start * (1.1 + 0.02 * (k % 5)), 4) if k % 2 == 0 else start
        t, cpu = time.perf_counter(), time.process_time()
        slider.value = value        # the watcher runs the update synchronously here
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu
        snap = app.explorer.snapshot
        assert not app.error.visible, app.error.object
        rows.append((wall, cpu, snap.seconds["simulate"], snap.seconds["summarise"],
                     app.draw_seconds))
    print(f"moving {control.path}.{name} {a.changes} times:\n")
    print("| | per change s | per change CPU s | simulate s | summarise s | draw s |\n"
          "|---|---:|---:|---:|---:|---:|")
    for label, fn in (("median", statistics.median), ("min", min), ("max", max)):
        cols = [fn(r[i] for r in rows) for i in range(5)]
        print(f"| {label} | " + " | ".join(f"{c:.3f}" for c in cols) + " |")

    async def burst():
        first = app.scheduler.submit(app.request())
        task = asyncio.ensure_future(first)
        await asyncio.sleep(0.05)
        for k in range(10):
            slider.value = round(start * (1.2 + 0.01 * k), 4)   # queues, never computes
        await task

    before = (app.scheduler.computed, app.scheduler.dropped)
    t = time.perf_counter()
    asyncio.run(burst())
    computed = app.scheduler.computed - before[0]
    dropped = app.scheduler.dropped - before[1]
    print(f"\na burst of 11 changes: {computed} simulated, {dropped} dropped as stale, the "
          f"last drawn after {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
