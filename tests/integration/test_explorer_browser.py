"""End to end: `simulate explore` in headless Chromium shows the numbers `simulate` gives.

Needs Panel, the Playwright Python package and a Chromium from the system's packages
(Debian: ``apt-get install chromium``); nothing downloads a browser build. Skips, saying which
is missing, where any of them is absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parents[2]
TRIALS = 3_000
CLAIM, CLAIM_NAME, STRATEGY = 1, "30 GW by 2033", "nvidia_only"

pytest.importorskip("panel", reason='the explorer needs Panel: pip install ".[test]"')
sync_api = pytest.importorskip("playwright.sync_api",
                               reason='the browser test needs Playwright: pip install ".[test]"')


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian: "
                                "apt-get install chromium); the browser test needs the "
                                "system's browser")


@pytest.fixture
def explorer_url():
    from simulator.report.explorer_serve import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli", "explore", str(ROOT / "scenarios" / "base.yaml"),
         "--no-browser", "--port", str(port), "--trials", str(TRIALS)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        pytest.fail(f"simulate explore did not start: {line}{proc.stderr.read()}")
    assert f"http://127.0.0.1:{port}/" in line   # localhost only, by default
    yield line.split(" at ")[1].split()[0]
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def _shown(page) -> tuple[float, str]:
    cell = page.locator(f".claim-p[data-claim='{CLAIM}'][data-strategy='{STRATEGY}']")
    return float(cell.get_attribute("data-probability")), cell.inner_text()


def _simulate_claim(tmp_path: Path, high: str) -> float:
    out = tmp_path / f"run-{high}"
    assert main([str(ROOT / "scenarios" / "base.yaml"), "--set",
                 f"demand.growth.initial.high={high}", "--trials", str(TRIALS), "--out",
                 str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "claims.csv")
    row = table[(table["claim"] == CLAIM_NAME) & (table["strategy"] == STRATEGY)]
    return float(row["probability"].iloc[0])


def test_moving_a_control_shows_the_probability_simulate_gives(explorer_url, tmp_path):
    from simulator.report.plot_style import format_probability

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-extensions",
                  "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(explorer_url)
            page.wait_for_selector(".claim-p", timeout=120_000)
            before, _ = _shown(page)
            # move the slider of the input that moves the answer most, with the keyboard
            card = page.locator(".card", has_text="demand.growth.initial [1/yr]").first
            handle = card.locator(".noUi-handle").nth(1)      # the 'high' slider
            handle.focus()
            for _ in range(5):
                handle.press("ArrowRight")
                time.sleep(0.05)
            box = card.locator("input").nth(1)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:   # wait for the last update to be drawn
                high = box.input_value()
                if high not in ("1.500", "1.5") and _shown(page)[0] != before:
                    break
                time.sleep(0.25)
            high = box.input_value().rstrip("0").rstrip(".")
            expected = _simulate_claim(tmp_path, high)
            while time.monotonic() < deadline and _shown(page)[0] != expected:
                time.sleep(0.25)   # a newer update may still be on its way
            shown, text = _shown(page)
            assert float(high) > 1.5
            assert shown == expected != before
            assert text == format_probability(expected)
            assert not page.locator(".explorer-error").count()
        finally:
            browser.close()
