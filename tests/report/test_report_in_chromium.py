"""The report in a real browser (Debian's chromium, headless, every name unresolvable): it asks the
network for nothing, draws every chart, shows the figures `wrapped --json` gives, and fits a phone.

Screenshots are kept under bench/out/ for a person to look at.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from cli.__main__ import main
from tests.report.chromium import open_page

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "bench" / "out"


@pytest.fixture(scope="module")
def report(sample_lake, tmp_path_factory):
    """`cli report` and `cli wrapped --json` for the same period, zone and lake."""
    out = tmp_path_factory.mktemp("report")
    args = ["--lake", str(sample_lake.lake_dir), "--year", "2024", "--tz", "Europe/Copenhagen"]
    assert main(["report", *args, "--out", str(out / "wrapped.html")]) == 0
    return out / "wrapped.html", args


def test_the_detector_sees_a_page_that_asks_the_network(tmp_path):
    """The control: a page with an outside image and stylesheet is caught, so silence means something."""
    page = tmp_path / "outside.html"
    page.write_text(
        '<img src="https://example.org/x.png"><link rel="stylesheet" href="http://cdn.example.com/a.css">'
    )
    assert sorted(open_page(page, tmp_path).requests) == [
        "http://cdn.example.com/a.css",
        "https://example.org/x.png",
    ]


def test_the_report_asks_for_nothing_draws_its_charts_and_shows_the_json_figures(report, tmp_path, capsys):
    page, args = report
    opened = open_page(page, tmp_path)
    assert opened.requests == []

    # Every chart panel holds a drawn SVG: marks (paths, rects) and its axis text.
    panels = re.findall(
        r'<section class="panel[^"]*" id="([^"]+)" data-chart="\1">(.*?)</section>', opened.dom, re.S
    )
    assert len(panels) >= 9
    for key, body in panels:
        assert "<svg" in body and body.count("<path") >= 1, key
        assert re.search(r'class="mark-(rect|path|symbol)', body) or "role-mark" in body, key

    capsys.readouterr()
    assert main(["wrapped", "--json", *args]) == 0
    summary = json.loads(capsys.readouterr().out)
    figures = dict(re.findall(r'data-figure="([a-z_]+)">([^<]*)<', opened.dom))
    assert figures["streams"] == f"{summary['streams']:,}" and figures["plays"] == f"{summary['plays']:,}"
    assert figures["minutes"] == f"{summary['minutes']:,.1f}"
    assert figures["longest_streak_days"] == f"{summary['longest_streak_days']} days"
    assert figures["busiest_day"] == summary["busiest_day"]["date"]
    assert figures["new_artists"] == str(summary["new_artists"]["count"])
    for artist in summary["top_artists"]:
        assert f"<td>{artist['artist'].replace('&', '&amp;')}</td>" in opened.dom
    data = re.search(r'<script type="application/json" id="summary-data">(.*?)</script>', opened.dom, re.S)
    assert json.loads(data.group(1)) == summary

    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(opened.screenshot, SHOTS / "report-desktop.png")
    assert opened.screenshot.stat().st_size > 50_000  # a picture, not a blank page


def test_on_a_phone_the_page_is_one_column_without_sideways_scrolling(report, tmp_path):
    page, _ = report
    # Headless windows are at least 500 px wide: the report is laid out in a 390 px frame instead,
    # and a copy of it posts its own laid-out width to the frame's parent, which writes it down.
    phone = tmp_path / "report-in-phone.html"
    script = (
        "<script>addEventListener('load', () => parent.postMessage("
        "[innerWidth, document.documentElement.scrollWidth], '*'))</script>"
    )
    phone.write_text(page.read_text().replace("</body>", script + "</body>"))
    frame = tmp_path / "phone.html"
    frame.write_text(
        "<body style='margin:0'><script>addEventListener('message', e => document.body.insertAdjacentHTML("
        "'beforeend', '<p id=\"w\">' + e.data.join(' ') + '</p>'))</script>"
        f'<iframe src="{phone.resolve().as_uri()}" width="390" height="2400" style="border:0">'
        "</iframe></body>"
    )
    opened = open_page(frame, tmp_path, width=500, height=2400)
    inner, laid_out = (int(x) for x in re.search(r'<p id="w">(\d+) (\d+)</p>', opened.dom).groups())
    assert inner == 390 and laid_out <= 390  # nothing wider than the phone: no sideways scrolling
    assert opened.requests == []
    shutil.copy(opened.screenshot, SHOTS / "report-phone.png")
