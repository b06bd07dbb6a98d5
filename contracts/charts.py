"""The public chart files this product reads: Spotify's daily Top 200 and Viral 50 of every region.

The shape is the Kaggle dataset dhruvildave/spotify-charts (`charts.csv`, 2017-2021, ~26 million
rows): a header with at least CHART_COLUMNS, in any order. The wider variant with audio features
(sunnykakar/spotify-charts-all-audio-data: `af_danceability`, ..., or plain `danceability`, ...)
is the same file with more columns; the FEATURES among them are kept, anything else is ignored.

The identity of an entry is (chart date, region, chart, rank): `entry_key` packs it into one
integer, so a load deduplicates 26 million rows on one column instead of four.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import re
from collections.abc import Sequence
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

CHART_COLUMNS = ("title", "rank", "date", "artist", "url", "region", "chart", "trend", "streams")
# Audio features (Spotify's, as the wider files carry them); a file may hold some, all or none.
FLOAT_FEATURES = (
    "danceability",
    "energy",
    "loudness",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
)
INT_FEATURES = ("key", "mode", "time_signature", "duration_ms")
FEATURES = FLOAT_FEATURES + INT_FEATURES
CHARTS = {"top200": 0, "viral50": 1}  # chart name -> its digit in entry_key
CHART_SIZE = {"top200": 200, "viral50": 50}
TRENDS = ("SAME_POSITION", "MOVE_UP", "MOVE_DOWN", "NEW_ENTRY")
GLOBAL = "Global"  # the worldwide chart: a region without a country
TRACK_URL = "https://open.spotify.com/track/"
TRACK_ID_LENGTH = 22  # a track id: 22 ASCII letters and digits (base62)
MAX_HEADER_BYTES = 64 << 10


def chart_columns(header: Sequence[str]) -> dict[str, int] | None:
    """Where each column this product reads sits in a chart file's header, or None if it is not one.

    Feature columns may be named `danceability` or `af_danceability`; names are matched without
    case or surrounding spaces. A header missing any CHART_COLUMNS is not a chart file.
    """
    names = [name.strip().lower() for name in header]
    found: dict[str, int] = {}
    for index, name in enumerate(names):
        name = name.removeprefix("af_") if name.removeprefix("af_") in FEATURES else name
        if name in CHART_COLUMNS or name in FEATURES:
            found.setdefault(name, index)
    return found if all(column in found for column in CHART_COLUMNS) else None


def read_header(head: bytes) -> dict[str, int] | None:
    """The chart columns of a file from its first bytes (BOM and CRLF allowed), or None."""
    text = head.removeprefix(b"\xef\xbb\xbf")
    end = text.find(b"\n")
    if end < 0:
        return None
    try:
        line = text[:end].decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return None
    fields = next(csv.reader([line]), [])
    return chart_columns(fields)


def region_number(country: str | None) -> int:
    """A region's number in entry_key: the ISO alpha-2 code as base 26 (0-675), Global 676."""
    if country is None:
        return 676
    return (ord(country[0]) - 65) * 26 + (ord(country[1]) - 65)


def entry_key(day: date, country: str | None, chart: str, rank: int) -> int:
    """(chart date, region, chart, rank) as one integer: days since 1970, region, chart, rank."""
    days = (day - date(1970, 1, 1)).days
    return days * 10_000_000 + region_number(country) * 10_000 + CHARTS[chart] * 1000 + rank


# -- regions: the chart's country names as ISO codes, so they join conn_country ------------------

# Where the chart files' names differ from the tz database's iso3166.tab (which says "Britain (UK)").
REGION_ALIASES = {
    "United Kingdom": "GB",
    "UK": "GB",
    "South Korea": "KR",
    "Korea": "KR",
    "North Korea": "KP",
    "Czechia": "CZ",
    "Türkiye": "TR",
    "Viet Nam": "VN",
    "Russian Federation": "RU",
    "USA": "US",
    "UAE": "AE",
}


@functools.cache
def region_countries() -> dict[str, str | None]:
    """Region name -> ISO alpha-2 (None for Global): iso3166.tab's names, the aliases, and the codes."""
    table = (importlib.resources.files("tzdata.zoneinfo") / "iso3166.tab").read_text()
    names: dict[str, str | None] = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t")[:2]
            names[name] = code
            names[code] = code
    return {**names, **REGION_ALIASES, GLOBAL: None}


@functools.cache
def _region_names() -> pa.Array:
    return pa.array(list(region_countries()), pa.string())


# -- the row rule: the same for the upload's sample check and for curation -----------------------


def _real_dates(dates: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The distinct values of `dates` that are real dates written YYYY-MM-DD.

    strptime rolls 2020-02-30 over to March: a real date is one that prints back the same. Checked
    on the distinct values only (a block holds a few dates): printing every row's date back took
    60 % of a whole chart curation (1.5 s of 2.4 s per million rows).
    """
    distinct = pc.unique(dates)
    day = pc.strptime(distinct, format="%Y-%m-%d", unit="s", error_is_null=True)
    real = pc.fill_null(pc.equal(pc.strftime(day, format="%Y-%m-%d"), distinct), False)
    return distinct.filter(real)


# An open.spotify.com/track/<id> URL, maybe with a query.
_TRACK_URL_RULE = rf"^{re.escape(TRACK_URL)}[0-9A-Za-z]{{{TRACK_ID_LENGTH}}}(\?.*)?$"
# Why a row cannot be loaded, in the order the rule checks (the first failing check names it).
PROBLEMS = ("bad date", "unknown chart", "bad rank", "unknown region", "bad url", "bad streams")


def row_problems(rows: pa.Table) -> pa.ChunkedArray | pa.Array:
    """Why each chart row (all columns as strings) cannot be loaded; null where it can.

    A row needs: a real date (YYYY-MM-DD), a known chart (top200, viral50), a rank from 1 to the
    chart's size, a known region, and an open.spotify.com/track/<id> URL; streams, when given, a
    whole number from 0. Trend, title, artist and audio features are kept as they are (a bad
    feature value reads as null). Each check is a boolean column; the reasons are spelled out
    only when a row fails one (most blocks: none), by number, so no string column is built per check.
    """
    chart = rows["chart"]
    rank_text = rows["rank"]
    rank_ok = pc.match_substring_regex(rank_text, r"^[0-9]{1,3}$")
    rank = pc.cast(pc.if_else(rank_ok, rank_text, "0"), pa.int32())
    size = pc.if_else(pc.equal(chart, "viral50"), 50, 200)
    streams = rows["streams"]
    streams_ok = pc.or_kleene(  # Kleene: a missing value (the Viral 50's) is fine, not unknown
        pc.or_kleene(pc.is_null(streams), pc.equal(streams, "")),
        pc.match_substring_regex(streams, r"^[0-9]{1,15}(\.0+)?$"),
    )
    checks = [  # in PROBLEMS order; null (a missing value) fails
        pc.is_in(rows["date"], value_set=_real_dates(rows["date"])),
        pc.is_in(chart, pa.array(list(CHARTS))),
        pc.and_(rank_ok, pc.and_(pc.greater(rank, 0), pc.less_equal(rank, size))),
        pc.is_in(rows["region"], _region_names()),
        pc.match_substring_regex(rows["url"], _TRACK_URL_RULE),
        streams_ok,
    ]
    checks = [pc.fill_null(check, False) for check in checks]
    if pc.all(functools.reduce(pc.and_, checks)).as_py() is not False:  # every row (or no row) passes
        return pa.nulls(rows.num_rows, pa.string())
    problem = pa.nulls(rows.num_rows, pa.int8())
    for number in reversed(range(len(checks))):
        problem = pc.if_else(checks[number], problem, pa.scalar(number, pa.int8()))
    return pc.take(pa.array(PROBLEMS), problem)
