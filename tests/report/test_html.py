"""The report page: self-contained, escaped, every figure of the summary on it, charts drawn as SVG."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from report import charts
from report.html import render_page
from report.text import render


class _Page(HTMLParser):
    """What the page holds: its data-figure texts, charts, references to anything outside it."""

    def __init__(self):
        super().__init__()
        self.figures: dict[str, str] = {}
        self.references: list[str] = []
        self.charts: list[str] = []
        self.svgs = 0
        self.data = ""
        self._figure: str | None = None
        self._in_data = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.references += [f"{tag} {k}={v}" for k, v in attrs.items() if k in ("src", "href", "srcset")]
        if tag == "link" or (tag == "script" and attrs.get("type") != "application/json"):
            self.references.append(f"<{tag}>")
        if "data-figure" in attrs:
            self._figure = attrs["data-figure"]
        if "data-chart" in attrs:
            self.charts.append(attrs["data-chart"])
        if tag == "svg":
            self.svgs += 1
        self._in_data = attrs.get("id") == "summary-data"

    def handle_data(self, data):
        if self._figure:
            self.figures[self._figure] = data
            self._figure = None
        if self._in_data:
            self.data += data

    def handle_endtag(self, tag):
        self._in_data = False


def parse(page: str) -> _Page:
    parsed = _Page()
    parsed.feed(page)
    return parsed


def test_the_page_needs_nothing_from_outside_and_carries_the_summary(summary):
    page = render_page(summary)
    parsed = parse(page)
    assert parsed.references == []  # no src/href, stylesheet link or script to run
    # Nothing in CSS or SVG either: url() only for the SVGs' own clip paths, no @import, no address
    # but the XML namespaces'.
    assert not re.search(r"url\((?!#)|@import|https?://(?!www\.w3\.org/)", page)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # ids are page-wide: each chart's clip paths are its own
    assert json.loads(parsed.data) == json.loads(json.dumps(summary, default=str))
    assert len(page.encode()) < 600_000  # an e-mail attachment, not a download


def test_every_headline_figure_is_on_the_page_as_the_summary_gives_it(summary):
    figures = parse(render_page(summary)).figures
    assert figures["streams"] == f"{summary['streams']:,}" and figures["plays"] == f"{summary['plays']:,}"
    assert figures["minutes"] == f"{summary['minutes']:,.1f}"
    assert figures["new_artists"] == str(summary["new_artists"]["count"])
    assert figures["longest_streak_days"] == f"{summary['longest_streak_days']} days"
    assert figures["busiest_day"] == str(summary["busiest_day"]["date"])
    assert figures["sessions"] == f"{summary['sessions']['count']:,}"
    assert figures["skip_rate"] == f"{summary['skip_rate'] * 100:.1f} %"
    assert figures["span"].startswith("2024-01-01 → 2024-12-31") and "Europe/Copenhagen" in figures["span"]


def test_each_chart_is_an_svg_with_a_caption_and_its_numbers_as_a_table(summary):
    page = render_page(summary)
    parsed = parse(page)
    expected = {"previous", "months", "clock", "artists", "tracks", "albums", "shows", "new-artists"}
    assert expected <= set(parsed.charts)
    assert parsed.svgs == len(parsed.charts)
    assert page.count("<figcaption>") == len(parsed.charts) == page.count("<table>")
    for artist in summary["top_artists"]:
        assert f"<td>{artist['artist'].replace('&', '&amp;')}</td>" in page


def test_names_from_an_export_are_text_never_markup(summary):
    hostile = "<script>alert(1)</script> & </script>"
    tampered = dict(summary, top_artists=[{"artist": hostile, "ms_played": 1000}], time_zone=hostile)
    page = render_page(tampered, draw=lambda spec: "<svg></svg>")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    data = page.split('id="summary-data">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["time_zone"] == hostile  # the data block cannot be closed early


def test_a_period_without_music_says_so_and_draws_nothing(summary):
    empty = dict(summary, streams=0)
    drawn = []
    page = render_page(empty, draw=lambda spec: drawn.append(spec) or "<svg></svg>")
    assert "No music streams in this period." in page and drawn == []


def test_the_charts_are_vega_lite_drawn_as_svg_with_the_summarys_data(summary):
    spec = charts.clock_spec(summary["listening_clock"])
    assert len(spec["data"]["values"]) == len(summary["listening_clock"])
    svg = charts.to_svg(spec)
    assert svg.startswith("<svg") and svg.count("<path") >= len(summary["listening_clock"])


def test_the_terminal_summary_has_the_clock_the_months_and_the_new_figures(summary):
    text = render(summary)
    lines = text.splitlines()
    assert lines[0] == "Your listening, 2024-01-01 → 2024-12-31 (Europe/Copenhagen)"
    for weekday in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"):
        assert any(line.startswith(f"  {weekday} ") and len(line) == 6 + 24 for line in lines)
    assert sum(line.startswith("  2024-") for line in lines) == len(summary["minutes_per_month"])
    assert f"longest streak {summary['longest_streak_days']} days" in text
    assert "Top shows (podcasts)" in text and "New artists" in text and "Rising:" in text
