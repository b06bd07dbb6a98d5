"""Public chart files through the chain: recognised by their header, landed in row-aligned parts,
curated with bad rows set aside, loaded with one row per (date, region, chart, rank)."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contracts.charts import chart_columns, entry_key, read_header, region_countries, row_problems
from extract import charts as landing
from extract.export.errors import UploadRefused
from extract.export.upload import accept_upload
from extract.export.zipguard import Limits
from load.warehouse import open_warehouse
from pipeline.chain import ingest
from storage import open_lake
from transform.charts import curate_chart_file

HEADER = ["title", "rank", "date", "artist", "url", "region", "chart", "trend", "streams"]
URL = "https://open.spotify.com/track/"


def track(n: int) -> str:
    return f"{URL}{n:022d}"


def row(title="Song", rank=1, day="2020-01-01", artist="Artist", url=None, region="Argentina", chart="top200",
        trend="MOVE_UP", streams="1000"):  # fmt: skip
    return [
        title,
        str(rank),
        day,
        artist,
        url or track(rank if isinstance(rank, int) else 1),
        region,
        chart,
        trend,
        streams,
    ]


def csv_bytes(rows, header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


@pytest.fixture
def lake(folder_settings):
    return open_lake(folder_settings)


# -- the format ------------------------------------------------------------------------------------


def test_a_chart_header_is_recognised_in_any_order_case_and_with_or_without_af_prefixes():
    wide = ["Unnamed: 0", *reversed(HEADER), "af_danceability", " Energy ", "album"]
    found = chart_columns(wide)
    assert found["title"] == len(HEADER) and found["danceability"] == 10 and found["energy"] == 11
    assert "album" not in found  # not kept
    assert chart_columns(HEADER[:-1]) is None  # no streams column: not a chart file
    assert read_header(b"\xef\xbb\xbf" + b",".join(h.encode() for h in HEADER) + b"\r\n1,2") is not None
    assert read_header(b"ts,ms_played\n") is None


def test_the_entry_key_packs_date_region_chart_and_rank_one_to_one():
    keys = {
        entry_key(day, country, chart, rank)
        for day in (date(2017, 1, 1), date(2021, 12, 31))
        for country in (None, "AR", "US", "ZZ")
        for chart in ("top200", "viral50")
        for rank in (1, 50, 200)
    }
    assert len(keys) == 2 * 4 * 2 * 3
    assert entry_key(date(2020, 1, 2), "AR", "top200", 1) > entry_key(date(2020, 1, 1), "ZZ", "viral50", 200)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Argentina", "AR"),
        ("United Kingdom", "GB"),
        ("South Korea", "KR"),
        ("Global", None),
        ("Czech Republic", "CZ"),
    ],
)
def test_region_names_map_to_the_iso_codes_conn_country_uses(name, code):
    assert region_countries()[name] == code


ROW_RULE_CASES = [
    ({}, None),
    ({"chart": "viral50", "rank": 50, "streams": ""}, None),  # the Viral 50 has no streams
    ({"day": "2020-02-30"}, "bad date"),
    ({"day": "20200101"}, "bad date"),
    ({"chart": "top100"}, "unknown chart"),
    ({"rank": 0}, "bad rank"),
    ({"chart": "viral50", "rank": 51}, "bad rank"),
    ({"rank": "1.5"}, "bad rank"),
    ({"region": "Atlantis"}, "unknown region"),
    ({"url": "https://open.spotify.com/album/0000000000000000000001"}, "bad url"),
    ({"streams": "-5"}, "bad streams"),
    ({"streams": "12.0"}, None),
    ({"trend": "SIDEWAYS", "title": ""}, None),  # kept: trend and title are not checked
    ({"chart": "top100", "rank": 0, "url": "x"}, "unknown chart"),  # the first failing check names it
    ({"rank": "", "streams": "x"}, "bad rank"),
]


@pytest.mark.parametrize(("change", "reason"), ROW_RULE_CASES)
def test_the_row_rule_names_the_first_problem_of_a_row(change, reason):
    rows = pa.table(dict(zip(HEADER, ([v] for v in row(**change)), strict=True)))
    assert row_problems(rows).to_pylist() == [reason]


def test_the_row_rule_names_each_rows_problem_in_a_block_of_good_and_bad_rows():
    # Blocks are checked whole: a block where every row passes takes a shortcut, a mixed one names
    # each row's own problem, in place.
    cases = ROW_RULE_CASES * 3
    rows = [row(**change) for change, _ in cases]
    block = pa.table({name: [r[i] for r in rows] for i, name in enumerate(HEADER)})
    assert row_problems(block).to_pylist() == [reason for _, reason in cases]
    good = [row(rank=n) for n in range(1, 6)]
    assert (
        row_problems(pa.table({n: [r[i] for r in good] for i, n in enumerate(HEADER)})).to_pylist()
        == [None] * 5
    )
    assert row_problems(pa.table({n: pa.array([], pa.string()) for n in HEADER})).to_pylist() == []


# -- upload: landing in parts -----------------------------------------------------------------------


def test_a_chart_csv_lands_in_parts_cut_at_row_ends_each_with_the_header(lake, monkeypatch):
    monkeypatch.setattr(landing, "PART_BYTES", 400)
    rows = [
        row(title=f'A "quoted",\nmulti-line title {i}' if i % 3 == 0 else f"Song {i}", rank=i)
        for i in range(1, 60)
    ]
    data = csv_bytes(rows)
    lake.write_bytes("upload", "me/charts.csv", data)

    result = accept_upload(lake, "me/charts.csv")

    assert result.chart_parts > 3 and result.history_files == 0
    parts = [lake.read_bytes("raw", p) for p in result.raw_paths]
    header = data.split(b"\n", 1)[0] + b"\n"
    assert all(p.startswith(header) for p in parts)
    assert header + b"".join(p[len(header) :] for p in parts) == data  # the same bytes, cut at row ends
    for part in parts:  # every part is whole rows of the file
        assert all(len(r) == len(HEADER) for r in csv.reader(io.StringIO(part.decode(), newline="")))
    assert result.raw_paths[0].endswith("/charts-part-00000.csv")


@pytest.mark.parametrize("packing", ["gzip", "zip", "zip of gzip"])
def test_a_gzip_or_zipped_chart_file_lands_decompressed(lake, packing):
    data = csv_bytes([row(rank=i) for i in range(1, 11)])
    if packing == "gzip":
        upload, name = gzip.compress(data), "charts.csv.gz"
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            entry = data if packing == "zip" else gzip.compress(data)
            archive.writestr("spotify-charts/charts.csv" + ("" if packing == "zip" else ".gz"), entry)
            archive.writestr("README.txt", b"not a chart")
        upload, name = buffer.getvalue(), "archive.zip"
    lake.write_bytes("upload", f"me/{name}", upload)
    result = accept_upload(lake, f"me/{name}")
    assert [lake.read_bytes("raw", p) for p in result.raw_paths] == [data]


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (csv_bytes([]), "charts.csv", "a chart header but no rows"),
        (csv_bytes([row(region="Atlantis"), row(rank=0)]), "charts.csv", "no loadable chart entry"),
        (gzip.compress(csv_bytes([row()]))[:-12], "charts.csv.gz", "gzip data ends early"),
    ],
)
def test_a_chart_upload_without_a_loadable_row_is_refused_and_quarantined(lake, content, name, reason):
    lake.write_bytes("upload", f"me/{name}", content)
    with pytest.raises(UploadRefused, match=reason):
        accept_upload(lake, f"me/{name}")
    assert list(lake.list("raw")) == [] and any(p.endswith("reason.json") for p in lake.list("quarantine"))


def test_a_zip_with_an_export_and_charts_is_refused(lake):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("charts.csv", csv_bytes([row()]))
        archive.writestr("MyData/endsong_0.json", b'[{"ts": "2020-01-01T00:00:00Z", "ms_played": 1}]')
    lake.write_bytes("upload", "me/both.zip", buffer.getvalue())
    with pytest.raises(UploadRefused, match="a privacy export or chart files, not both"):
        accept_upload(lake, "me/both.zip")


def test_a_chart_file_over_the_limit_is_refused_on_its_real_size(lake):
    data = csv_bytes([row(rank=i) for i in range(1, 200)])
    with pytest.raises(UploadRefused, match="over the limit"):
        landing.land_file(
            io.BytesIO(data), "charts.csv", Limits(chart_bytes=len(data) - 1), lambda n: lake.stage("raw", n)
        )


# -- curation --------------------------------------------------------------------------------------


def test_curation_keeps_good_rows_with_their_numbers_and_sets_bad_ones_aside_with_why(lake):
    rows = [
        row(rank=1),
        row(rank=0),
        row(rank=2, region="United Kingdom", chart="viral50", streams=""),
        row(day="x"),
    ]
    data = csv_bytes(rows) + b'"broken, "quote",3\n'
    lake.write_bytes("raw", "charts/u1/charts-part-00000.csv", data)

    message = curate_chart_file(lake, "charts/u1/charts-part-00000.csv")

    kept, aside = (pq.read_table(pa.BufferReader(lake.read_bytes("curated", f.path))) for f in message.files)
    assert kept.column("record_index").to_pylist() == [0, 2]
    assert kept.column("country").to_pylist() == ["AR", "GB"] and kept.column("streams").to_pylist() == [
        1000,
        None,
    ]
    assert kept.column("track_id").to_pylist() == [f"{1:022d}", f"{2:022d}"]
    assert "danceability" not in kept.column_names
    reasons = dict(
        zip(aside.column("record_index").to_pylist(), aside.column("reason").to_pylist(), strict=True)
    )
    assert reasons[1] == "bad rank" and reasons[3] == "bad date" and "malformed row" in reasons.values()
    assert [(f.dataset, f.rows) for f in message.files] == [("chart_entries", 2), ("chart_rejects", 3)]


def test_the_wider_file_keeps_each_tracks_audio_features_once_from_its_first_entry_with_any(lake):
    header = ["Unnamed: 0", *HEADER, "af_danceability", "af_tempo", "af_key", "duration_ms", "album"]
    one, two, three = track(1), track(2), track(3)
    rows = [
        [0, *row(rank=1, url=two), "", "", "", "", "Album"],  # no feature at all: not this track's
        [1, *row(rank=2, url=one), "0.81", "120.5", "7", "201000", "Album"],
        [2, *row(rank=3, url=two), "0.5", "x", "", "", "Album"],  # a bad value reads as null
        [3, *row(rank=4, url=one), "0.99", "99", "1", "1", "Album"],  # a later copy: left out
        [4, *row(rank=0, url=three), "0.1", "1", "1", "1", "Album"],  # set aside: no features either
    ]
    lake.write_bytes("raw", "charts/u2/wide-part-00000.csv", csv_bytes(rows, header=header))
    message = curate_chart_file(lake, "charts/u2/wide-part-00000.csv")
    files = {f.dataset: f for f in message.files}
    assert files["chart_entries"].rows == 4 and files["chart_track_features"].rows == 2
    features = pq.read_table(pa.BufferReader(lake.read_bytes("curated", files["chart_track_features"].path)))
    got = {r["track_id"]: r for r in features.to_pylist()}
    assert set(got) == {f"{1:022d}", f"{2:022d}"}
    first = got[f"{1:022d}"]
    assert (first["danceability"], first["tempo"], first["key"], first["duration_ms"]) == (
        0.81,
        120.5,
        7,
        201000,
    )
    assert (first["record_index"], first["energy"]) == (1, None)  # not in this file: null
    assert (
        got[f"{2:022d}"]["danceability"],
        got[f"{2:022d}"]["tempo"],
        got[f"{2:022d}"]["record_index"],
    ) == (
        0.5,
        None,
        2,
    )


def test_a_tracks_features_come_from_its_first_entry_across_blocks_too(lake, monkeypatch):
    # Blocks are typed in parallel and written in order: a track seen in an earlier block is not
    # written again from a later one.
    from transform import charts as curation

    monkeypatch.setattr(curation, "BLOCK_BYTES", 256)
    header = [*HEADER, "danceability"]
    rows = [[*row(rank=n, url=track(n % 3)), f"0.{n}"] for n in range(1, 41)]
    lake.write_bytes("raw", "charts/u2/blocks-part-00000.csv", csv_bytes(rows, header=header))
    message = curate_chart_file(lake, "charts/u2/blocks-part-00000.csv")
    (file,) = [f for f in message.files if f.dataset == "chart_track_features"]
    features = pq.read_table(pa.BufferReader(lake.read_bytes("curated", file.path))).to_pylist()
    assert [(r["track_id"], r["record_index"], r["danceability"]) for r in features] == [
        (f"{1:022d}", 0, 0.1),
        (f"{2:022d}", 1, 0.2),
        (f"{0:022d}", 2, 0.3),
    ]


def test_curating_again_writes_the_same_parts(lake):
    lake.write_bytes("raw", "charts/u3/c-part-00000.csv", csv_bytes([row(rank=i) for i in range(1, 6)]))
    first = curate_chart_file(lake, "charts/u3/c-part-00000.csv")
    snapshot = {p: lake.read_bytes("curated", p) for p in lake.list("curated")}
    assert curate_chart_file(lake, "charts/u3/c-part-00000.csv") == first
    assert {p: lake.read_bytes("curated", p) for p in lake.list("curated")} == snapshot


# -- the chain, into the warehouse -------------------------------------------------------------------


def entries_in(settings) -> list[tuple]:
    with open_warehouse(settings) as warehouse:
        return warehouse.query("SELECT entry_key, origin, title FROM fact_chart_entry ORDER BY entry_key")


def test_an_entry_in_two_files_counts_once_whichever_loads_first_and_a_reupload_changes_nothing(
    folder_settings, tmp_path
):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_bytes(csv_bytes([row(rank=1, title="First copy"), row(rank=2)]))
    b.write_bytes(csv_bytes([row(rank=1, title="Second copy"), row(rank=3)]))
    results = []
    for order in ((a, b), (b, a)):
        settings = folder_settings.with_lake_dir(tmp_path / f"lake-{order[0].stem}")
        summaries = [ingest(settings, path, "me") for path in order]
        results.append([title for _, _, title in entries_in(settings)])
        assert sum(s.chart_entries_accepted for s in summaries) == 3
        assert sum(s.chart_duplicates_skipped for s in summaries) == 1
        again = ingest(settings, order[0], "me")
        assert again.already_ingested and again.chart_entries_accepted == 0
    # The smallest origin (the upload id, a content hash) wins in both orders: the same table.
    assert results[0] == results[1] and len(results[0]) == 3


def test_a_tracks_features_are_one_row_whichever_file_loads_first_and_a_file_without_adds_none(
    folder_settings, tmp_path
):
    header = [*HEADER, "af_danceability", "af_tempo"]
    a, b, plain = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "plain.csv"
    a.write_bytes(csv_bytes([[*row(rank=1, url=track(7)), "0.1", "100"]], header=header))
    b.write_bytes(
        csv_bytes([[*row(rank=2, url=track(7)), "0.9", "90"], [*row(rank=3), "0.3", "30"]], header=header)
    )
    plain.write_bytes(csv_bytes([row(rank=4, url=track(8))]))
    results = []
    for order in ((a, b, plain), (plain, b, a)):
        settings = folder_settings.with_lake_dir(tmp_path / f"lake-{order[0].stem}")
        for path in order:
            ingest(settings, path, "me")
        ingest(settings, order[1], "me")  # a re-upload changes nothing
        with open_warehouse(settings) as warehouse:
            features = "SELECT track_id, danceability, tempo, origin FROM dim_chart_track_features"
            results.append(warehouse.query(f"{features} ORDER BY track_id"))
            assert warehouse.query("SELECT COUNT(*) FROM fact_chart_entry") == [(4,)]
            origins = dict(warehouse.query("SELECT rank, origin FROM fact_chart_entry WHERE rank IN (1, 2)"))
    assert results[0] == results[1]
    assert [r[0] for r in results[0]] == [f"{3:022d}", f"{7:022d}"]  # none for the plain file's track
    # Track 7 is in a and b: the copy with the smallest origin (its upload id, a content hash) wins
    # in both orders.
    seven = results[0][1]
    first = min(origins.values())
    assert seven[3] == first
    assert seven[1:3] == ((0.1, 100.0) if first == origins[1] else (0.9, 90.0))


def test_ingesting_a_chart_file_loads_every_part_and_its_rejects(folder_settings, tmp_path, monkeypatch):
    monkeypatch.setattr(landing, "PART_BYTES", 1000)
    path = tmp_path / "charts.csv"
    path.write_bytes(
        csv_bytes(
            [row(rank=r, day=f"2020-01-{d:02d}") for d in range(1, 6) for r in range(1, 21)] + [row(rank=999)]
        )
    )
    summary = ingest(folder_settings, path, "me")
    assert summary.chart_parts > 1
    assert (summary.chart_entries_accepted, summary.records_set_aside) == (100, 1)
    with open_warehouse(folder_settings) as warehouse:
        assert warehouse.query("SELECT COUNT(*), COUNT(DISTINCT chart_date) FROM fact_chart_entry") == [
            (100, 5)
        ]
        assert warehouse.query("SELECT reason FROM chart_reject") == [("bad rank",)]
