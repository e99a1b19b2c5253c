"""The HTML reports: self-contained, with the tables, the plots and the settings diff."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest

import corridor_sim as cs
from corridor_sim.report import comparison_report, run_report, write_report

pytest.importorskip("matplotlib")


class _Page(HTMLParser):
    """Collects tags, image sources, links and table cells of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []
        self.urls: list[str] = []
        self.cells: list[str] = []
        self.sig_rows = 0
        self._cell = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.images.append(a.get("src", ""))
        for key in ("href", "src"):
            if key in a and not a[key].startswith("data:"):
                self.urls.append(a[key])
        if tag == "tr" and a.get("class") == "sig":
            self.sig_rows += 1
        self._cell = tag in ("td", "th")

    def handle_endtag(self, tag):
        self._cell = False

    def handle_data(self, data):
        if self._cell:
            self.cells.append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def _assert_self_contained(text: str, page: _Page) -> None:
    assert text.startswith("<!DOCTYPE html>")
    assert page.urls == []
    assert not re.search(r"(?i)<(script|link)\b|@import|url\(", text)
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def base() -> cs.Scenario:
    return cs.bundled("single_checkpoint").with_changes({"horizon_days": 8, "warmup_days": 1})


@pytest.fixture(scope="module")
def results(base) -> cs.Results:
    return cs.run(base, replications=2, seed=1, warmup_check=False)


@pytest.fixture(scope="module")
def comparison(base) -> cs.Comparison:
    alt = base.with_changes({"nodes.border.lanes.general": 6,
                             "nodes.border.service_time.mean_hours": 0.8})
    return cs.compare({"4 lanes": base, "6 fast lanes": alt}, replications=2, seed=1,
                      warmup_check=False)


def test_run_report(results):
    text = run_report(results)
    page = _parse(text)
    _assert_self_contained(text, page)
    # network, throughput bars and series, lead times, queue at the one facility
    assert len(page.images) == 5
    assert "single-checkpoint" in text
    for kpi in ("border.wait_hours.mean", "border.utilisation", "lead_time_hours.mean"):
        assert kpi in page.cells
    assert "replications" in page.cells and "2" in page.cells


def test_comparison_report_shows_the_settings_diff_and_significance(comparison):
    text = comparison_report(comparison)
    page = _parse(text)
    _assert_self_contained(text, page)
    assert len(page.images) >= 4  # throughput, forest plot, lead times, map (+ queues)
    cells = page.cells
    i = cells.index("nodes.border.lanes.general")
    assert cells[i + 1: i + 3] == ["4", "6"]
    j = cells.index("nodes.border.service_time.mean_hours")
    assert cells[j + 1: j + 3] == ["1.000", "0.800"]
    assert page.sig_rows >= 1  # the wait difference is significant and highlighted
    assert "4 lanes" in text and "6 fast lanes" in text


def test_reports_without_plots(results, comparison, tmp_path):
    assert "<img" not in run_report(results, plots=False)
    path = write_report(comparison, tmp_path / "c.html", plots=False)
    assert "<img" not in path.read_text(encoding="utf-8")


def test_to_dir_writes_the_reports(results, comparison, tmp_path):
    out = results.to_dir(tmp_path / "run")
    assert (out / "report.html").is_file() and (out / "throughput.png").is_file()
    out = comparison.to_dir(tmp_path / "cmp")
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    expected = ["comparison.csv", "differences.png", "kpis.csv", "lead_times.parquet",
                "report.html", "run.json", "scenario-4_lanes.yaml", "scenario-6_fast_lanes.yaml",
                "series.parquet", "settings_diff.csv"]
    if cs.plot.throughput_differs(comparison):  # drawn only where throughput differs
        expected.append("throughput.png")
    assert names == sorted(expected)
    loaded = cs.load_scenario(out / "scenario-6_fast_lanes.yaml")
    assert loaded.nodes["border"].lanes.general == 6
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temp folders
