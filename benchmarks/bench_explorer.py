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
differences, claims) and ``draw`` (data sources and panes), and the process's CPU seconds
until the views are drawn (which a machine busy with other work does not inflate as it does
wall time). The verdict is computed after the views are drawn; its seconds are listed apart.
Sending the new data to the page over the websocket (a few kB) and the browser's repaint are
not included.

Then it measures a control that keeps moving: ten changes arrive while the first one is
computing; only the first and the last are simulated and only the last is drawn.

With ``--browser`` it measures what a person sees instead: it starts ``simulate explore``,
opens the page in headless Chromium (the system's, ``/usr/bin/chromium``; needs Playwright),
types a new value into the slider's box ``--changes`` times, 2 s apart, and times each from
the key press to the redrawn status line in the page (websocket round trip and browser
rendering included; the verdict follows later).
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
    p.add_argument("--browser", action="store_true", help="time changes in headless Chromium")
    a = p.parse_args(argv)
    if a.browser:
        browser_latency(a.scenario, a.trials, a.changes)
        return
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
        slider.value = value        # the watcher runs the update synchronously here
        snap = app.explorer.snapshot
        assert not app.error.visible, app.error.object
        rows.append((app.views_seconds, app.views_cpu_seconds, snap.seconds["simulate"],
                     snap.seconds["summarise"], app.draw_seconds, app.verdict_seconds))
    print(f"moving {control.path}.{name} {a.changes} times:\n")
    print("| | views drawn s | views CPU s | simulate s | summarise s | draw s | then verdict s |"
          "\n|---|---:|---:|---:|---:|---:|---:|")
    for label, fn in (("median", statistics.median), ("min", min), ("max", max)):
        cols = [fn(r[i] for r in rows) for i in range(6)]
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


def browser_latency(scenario: str, trials: int, changes: int) -> None:
    """Seconds from a typed value to the redrawn page, in headless Chromium."""
    import subprocess
    import sys

    from playwright.sync_api import sync_playwright

    from simulator.report.explorer_serve import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "simulator.cli", "explore", scenario,
                               "--no-browser", "--port", str(port), "--trials", str(trials)],
                              stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().split(" at ")[1].split()[0]
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(url)
            page.wait_for_selector(".claim-p", timeout=120_000)
            status = page.locator(".explorer-status")
            box = page.locator(".card").first.locator("input").nth(1)
            start = float(box.input_value())
            seconds = []
            for k in range(changes):
                before = status.inner_text()
                value = f"{start * (1.05 + 0.01 * k):.3f}" if k % 2 == 0 else f"{start:.3f}"
                box.fill(value)
                t = time.perf_counter()
                box.press("Enter")
                # the pane is re-rendered on each update: ask the locator again until it differs
                while status.inner_text() == before and time.perf_counter() - t < 60:
                    time.sleep(0.005)
                seconds.append(time.perf_counter() - t)
                time.sleep(2.0)   # a person reads the result: the verdict catches up meanwhile
            browser.close()
    finally:
        server.terminate()
        server.wait(20)
    print(f"{scenario}, {trials:,} trials, {changes} typed values in headless Chromium: "
          f"key press to redrawn page median {statistics.median(seconds):.3f} s, "
          f"min {min(seconds):.3f} s, max {max(seconds):.3f} s")


if __name__ == "__main__":
    main()
