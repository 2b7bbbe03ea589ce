"""report.html: written by every run, self-contained (nothing fetched from outside the file),
embedding every figure the run wrote, with the claims table. No browser needed."""

from __future__ import annotations

import base64
import copy
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from simulator.cli import main
from simulator.report.html import REPORT_NAME
from tests.conftest import TINY


class _Collector(HTMLParser):
    """Every tag, attribute and id of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            self.attrs.append((tag, name, value or ""))
            if name == "id":
                self.ids.add(value or "")


def _scenario() -> dict:
    """The tiny scenario with two uncertain inputs, a claim near the median (so that 'what must
    be true' has trials on both sides) and text that must be escaped."""
    data = copy.deepcopy(TINY)
    data["title"] = "Tiny <script>alert('title')</script> & co"
    data["demand"]["growth"]["initial"] = {"dist": "uniform", "low": 0.3, "high": 0.7}
    data["suppliers"]["a"]["price_per_unit"] = {"dist": "uniform", "low": 8, "high": 12}
    data["claims"] = [{"name": "spend <b>above</b> the median", "metric": "cumulative_spend",
                       "op": ">=", "threshold": 315_000, "note": "scope note <i>here</i>"}]
    return data


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("report")
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(_scenario(), sort_keys=False))
    out = folder / "out"
    assert main([str(path), "--trials", "400", "--out", str(out), "-q"]) == 0
    return out, (out / REPORT_NAME).read_text(encoding="utf-8")


def test_every_run_writes_a_report(run):
    out, html = run
    assert (out / REPORT_NAME).is_file()
    assert html.startswith("<!DOCTYPE html>")
    for section in ("provenance", "summary", "comparison", "claims", "what-must-be-true",
                    "sensitivity", "figures"):
        assert f'id="{section}"' in html


def test_report_is_self_contained(run):
    _, html = run
    doc = _Collector()
    doc.feed(html)
    for tag, name, value in doc.attrs:
        if name in ("src", "href", "srcset", "poster", "data", "action", "background"):
            assert value.startswith("data:") or (value.startswith("#") and name == "href"), \
                (tag, name, value[:80])
        if name == "href" and value.startswith("#"):
            assert value[1:] in doc.ids, f"anchor {value} points nowhere"
    for tag in ("script", "link", "iframe", "object", "embed", "base"):
        assert tag not in doc.tags, f"<{tag}> in a self-contained report"
    lowered = html.lower()
    for outside in ("http://", "https://", "url(", "@import", "@font-face", "//cdn"):
        assert outside not in lowered, outside


def test_report_embeds_every_figure(run):
    out, html = run
    pngs = sorted(out.glob("*.png"))
    assert {p.name for p in pngs} >= {"fan_chart.png", "spend_by_category.png", "tornado.png",
                                      "s_curve.png", "strategies.png"}
    for png in pngs:
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        assert f'src="data:image/png;base64,{data}"' in html, png.name
    assert html.count("data:image/png;base64,") == len(pngs)


def test_report_has_claims_provenance_and_escapes_text(run):
    out, html = run
    assert '<table class="claims">' in html
    assert "spend &lt;b&gt;above&lt;/b&gt; the median" in html
    assert "scope note &lt;i&gt;here&lt;/i&gt;" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    manifest = yaml.safe_load((out / "manifest.json").read_text())
    assert manifest["scenario_file_sha256"] in html
    assert f"{manifest['seed']}" in html and "400" in html
    # what must be true: the claim splits the trials, so its inputs are ranked
    assert "demand.growth.initial" in html.split('id="what-must-be-true"')[1]
