"""samples.generate: deterministic, valid per contracts.vintages, realistic, and the committed sample."""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

import samples.generate as gen
from contracts import vintages as formats
from samples.generate.__main__ import main
from samples.generate.clock import _ms

DOC_NETWORKS = [
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
OLD_ONLY = {"username", "ip_addr_decrypted", "user_agent_decrypted"}
NEW_ONLY = {"ip_addr", "audiobook_title", "audiobook_uri", "audiobook_chapter_uri", "audiobook_chapter_title"}
ID = re.compile(r"^spotify:(track|episode|show):[0-9A-Za-z]{22}$")


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def history(contents: dict[str, bytes]) -> dict[str, tuple[str, list]]:
    """entry → (kind, records) for every history file of an unpacked export."""
    out = {}
    for name, data in contents.items():
        kind = formats.classify_entry(name)
        if kind is not None:
            out[name] = (kind, json.loads(data))
    return out


def audio_rows(contents: dict[str, bytes]) -> list[dict]:
    return [r for kind, rows in history(contents).values() if kind == formats.EXTENDED for r in rows]


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """vintage → (stats, unpacked zip), 1 500 streams in 3 files plus account data."""
    out = {}
    for vintage in gen.VINTAGES:
        path = tmp_path_factory.mktemp(vintage) / "my_spotify_data.zip"
        stats = gen.write_export_zip(path, 1500, seed=7, vintage=vintage, files=3)
        out[vintage] = (stats, read_zip(path))
    return out


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "my_spotify_data.zip"
    stats = gen.write_sample(path)
    return stats, path, read_zip(path)


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    paths = [tmp_path / f"{i}.zip" for i in range(3)]
    for path, seed in zip(paths, (3, 3, 4), strict=True):
        gen.write_export_zip(path, 400, seed=seed, files=2)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()
    assert gen.extended_records(50, 3) == gen.extended_records(50, 3)


def test_committed_sample_is_what_the_script_generates(sample):
    stats, _, fresh = sample
    committed = read_zip(gen.SAMPLE_PATH)
    assert list(committed) == list(fresh)  # same entries in the same order
    for name, data in fresh.items():
        assert committed[name] == data, f"{name} drifted; run `make sample`"
    with zipfile.ZipFile(gen.SAMPLE_PATH) as archive:
        assert {i.date_time for i in archive.infolist()} == {
            (2025, 1, 6, 9, 14, 52),
            (2025, 1, 10, 9, 14, 52),
        }
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    assert gen.SAMPLE_PATH.stat().st_size < 1_500_000
    assert 3000 <= stats.streams <= 8000


def test_sample_is_one_upload_with_both_packages(sample):
    stats, _, contents = sample
    kinds = Counter(formats.classify_entry(name) for name in contents)
    assert kinds[formats.EXTENDED] == gen.SAMPLE_FILES
    assert (
        kinds[formats.VIDEO] == 1
        and kinds[formats.ACCOUNT_MUSIC] == 1
        and kinds[formats.ACCOUNT_PODCAST] == 1
    )
    assert "Spotify Account Data/Userdata.json" in contents
    assert "Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf" in contents
    years = {r["ts"][:4] for r in audio_rows(contents)}
    assert {"2022", "2023", "2024"} <= years  # about two years, so the summary has something to say
    assert stats.account_music_rows > 1000


@pytest.mark.parametrize("vintage", list(gen.VINTAGES))
def test_every_entry_classifies_as_intended(exports, vintage):
    stats, contents = exports[vintage]
    assert set(stats.entries) == set(contents)
    for name in contents:
        assert formats.classify_entry(name) == stats.entries[name], name
    expected = {
        "modern": {formats.EXTENDED, formats.VIDEO, formats.ACCOUNT_MUSIC, formats.ACCOUNT_PODCAST},
        "2023": {formats.EXTENDED, formats.VIDEO, formats.ACCOUNT_LEGACY},
        "legacy": {formats.EXTENDED, formats.VIDEO, formats.ACCOUNT_LEGACY},
        "account": {formats.ACCOUNT_MUSIC, formats.ACCOUNT_PODCAST},
    }[vintage]
    assert {k for k in stats.entries.values() if k} == expected


@pytest.mark.parametrize("vintage", list(gen.VINTAGES))
def test_every_record_is_valid_and_sniffs_as_its_kind(exports, vintage):
    stats, contents = exports[vintage]
    for name, (kind, rows) in history(contents).items():
        assert rows, name
        assert len(rows) == stats.rows[name]
        for record in rows:
            assert formats.record_problem(kind, record) is None, (name, record)
        sniffed = formats.sniff_kind(rows[0])
        assert sniffed == {
            formats.VIDEO: formats.EXTENDED,
            formats.ACCOUNT_LEGACY: formats.ACCOUNT_MUSIC,
        }.get(kind, kind) or (
            kind == formats.ACCOUNT_LEGACY and sniffed in (formats.ACCOUNT_MUSIC, formats.ACCOUNT_PODCAST)
        )


def test_bad_rows_option_adds_exactly_that_many_invalid_rows(tmp_path):
    path = tmp_path / "bad.zip"
    stats = gen.write_export_zip(path, 300, seed=1, files=2, bad_rows=5, include_account_data=False)
    problems = [
        formats.record_problem(kind, r)
        for kind, rows in history(read_zip(path)).values()
        if kind == formats.EXTENDED
        for r in rows
        if formats.record_problem(kind, r)
    ]
    assert stats.bad_rows == 5
    assert sorted(problems) == sorted(
        ["bad ts", "bad ms_played", "bad ms_played", "missing ts", "bad ms_played"]
    )


@pytest.mark.parametrize("vintage", list(gen.VINTAGES))
def test_ip_addresses_come_only_from_documentation_ranges(exports, vintage):
    _, contents = exports[vintage]
    seen = 0
    for _, rows in history(contents).values():
        for record in rows:
            for key in ("ip_addr", "ip_addr_decrypted"):
                if record.get(key) is not None:
                    address = ipaddress.ip_address(record[key])
                    assert any(address in net for net in DOC_NETWORKS), record[key]
                    seen += 1
    assert seen or vintage == "account"
    text = b"".join(contents.values()).decode("latin-1")
    assert set(re.findall(r"@([\w.-]+)", text)) <= {"example.com"}


@pytest.mark.parametrize("vintage", ["modern", "2023", "legacy"])
def test_every_row_of_a_vintage_has_exactly_that_vintages_fields(exports, vintage):
    _, contents = exports[vintage]
    rows = audio_rows(contents)
    keys = {frozenset(r) for r in rows}
    assert len(keys) == 1  # every row has the same keys, nulls included, as Spotify writes them
    (present,) = keys
    if vintage == "modern":
        assert present >= NEW_ONLY and not OLD_ONLY & present
        assert any(r["audiobook_title"] for r in rows)
        assert all(r["ts"] >= "2024" for r in rows if r["audiobook_title"])
    else:
        assert present >= OLD_ONLY and not NEW_ONLY & present
        assert len({r["username"] for r in rows}) == 1
        assert {r["user_agent_decrypted"] for r in rows} & {"unknown"}


@pytest.mark.parametrize("vintage", ["modern", "2023", "legacy"])
def test_offline_timestamp_is_ms_before_2023_and_seconds_after(exports, vintage):
    _, contents = exports[vintage]
    units = Counter()
    for record in audio_rows(contents):
        value = record["offline_timestamp"]
        if value is None or value < 100:  # the junk Spotify writes (0, tiny values)
            continue
        year = int(record["ts"][:4])
        unit = "ms" if value > 1e12 else "s"
        assert unit == ("ms" if year < 2023 else "s"), record
        ts_seconds = _ms(datetime.fromisoformat(record["ts"][:19])) / 1000
        start = value / 1000 if unit == "ms" else value
        assert ts_seconds - 10 * 86400 < start <= ts_seconds + 1  # it is the start of the play
        units[unit] += 1
    assert units["ms"] and (units["s"] or vintage == "legacy")


def test_some_offline_timestamps_are_junk(sample):
    _, _, contents = sample
    values = [r["offline_timestamp"] for r in audio_rows(contents)]
    assert any(v == 0 for v in values) and any(v is not None and 0 < v < 100 for v in values)


def test_platform_strings_follow_the_era(sample):
    _, _, contents = sample
    for record in audio_rows(contents):
        platform = record["platform"]
        if platform is None:
            continue
        if record["ts"] < "2023":
            assert re.match(r"^(Android OS|iOS|Windows|OS X|web_player \w|Partner )", platform), platform
        else:
            assert platform in {"android", "ios", "windows", "osx", "web_player"}, platform


def test_account_rows_are_extended_rows_at_minute_precision(sample):
    stats, _, contents = sample
    extended = {
        (
            r["ts"][:10] + " " + r["ts"][11:16],
            r["master_metadata_album_artist_name"],
            r["master_metadata_track_name"],
            r["ms_played"],
        )
        for r in audio_rows(contents)
    }
    music = json.loads(contents["Spotify Account Data/StreamingHistory_music_0.json"])
    matched = [r for r in music if (r["endTime"], r["artistName"], r["trackName"], r["msPlayed"]) in extended]
    unmatched = len(music) - len(matched)
    assert len(matched) > 0.9 * len(music)
    assert 0 < unmatched <= stats.account_extra_rows
    assert music == sorted(music, key=lambda r: r["endTime"])
    assert music[0]["endTime"] >= "2024-01-10"  # the last year before the account package
    last_extended = max(r["ts"] for r in audio_rows(contents))
    assert music[-1]["endTime"] > last_extended[:10]  # plays after the extended package was built
    in_window = sum(1 for key in extended if key[0] >= music[0]["endTime"] and key[1])
    assert len(matched) < in_window  # only SOME extended rows made it into the account data
    podcasts = json.loads(contents["Spotify Account Data/StreamingHistory_podcast_0.json"])
    assert podcasts and set(podcasts[0]) == {"endTime", "podcastName", "episodeName", "msPlayed"}


def test_exact_duplicates_repeat_across_file_boundaries(sample):
    stats, _, contents = sample
    files = [
        json.loads(contents[name])
        for name in sorted(
            (n for n in contents if formats.classify_entry(n) == formats.EXTENDED),
            key=lambda n: int(n.rsplit("_", 1)[1].split(".")[0]),
        )
    ]
    repeated = 0
    for previous, current in itertools.pairwise(files):
        overlap = max(k for k in range(1, 6) if previous[-k:] == current[:k])
        assert 2 <= overlap <= 4
        repeated += overlap
    assert repeated == stats.duplicate_rows
    assert sum(len(f) for f in files) == stats.streams + stats.duplicate_rows


def test_sample_listening_is_ordered_and_plausible(sample):
    _, _, contents = sample
    rows = audio_rows(contents)
    for kind, part in history(contents).values():
        key = "ts" if kind in (formats.EXTENDED, formats.VIDEO) else "endTime"
        assert part == sorted(part, key=lambda r, key=key: r[key])  # oldest first
    ms = [r["ms_played"] for r in rows]
    assert 0.1 < sum(m < 30_000 for m in ms) / len(ms) < 0.35  # skips
    assert 0.005 < ms.count(0) / len(ms) < 0.05
    longest: dict[str, int] = {}
    for r in rows:
        if r["spotify_track_uri"]:
            longest[r["spotify_track_uri"]] = max(longest.get(r["spotify_track_uri"], 0), r["ms_played"])
    full = [r for r in rows if r["reason_end"] == "trackdone" and r["spotify_track_uri"]]
    assert sum(longest[r["spotify_track_uri"]] - r["ms_played"] <= 1500 for r in full) > 0.95 * len(full)
    assert sum(n > 1 for n in Counter(r["ts"] for r in rows).values()) > 10  # rows sharing a ts
    assert all(ID.match(r[k]) for r in rows for k in ("spotify_track_uri", "spotify_episode_uri") if r[k])
    podcasts = [r for r in rows if r["spotify_episode_uri"]]
    assert podcasts and all(
        r["master_metadata_track_name"] is None and r["episode_show_name"] for r in podcasts
    )
    unknown = [
        r for r in rows if not (r["spotify_track_uri"] or r["spotify_episode_uri"] or r["audiobook_uri"])
    ]
    assert unknown and all(
        r["master_metadata_track_name"] is None and r["episode_name"] is None for r in unknown
    )
    assert {"trackdone", "fwdbtn", "endplay", "backbtn"} <= {r["reason_end"] for r in rows}
    assert {"trackdone", "clickrow", "fwdbtn", "playbtn"} <= {r["reason_start"] for r in rows}
    for key in ("shuffle", "skipped", "offline", "incognito_mode"):
        assert {True, False} <= {r[key] for r in rows}, key
    top = Counter(
        r["master_metadata_album_artist_name"] for r in rows if r["master_metadata_album_artist_name"]
    )
    assert 0.04 < top.most_common(1)[0][1] / len(rows) < 0.25 and len(top) > 30


def test_json_is_pretty_printed_like_spotify():
    records = gen.extended_records(5, 2)
    assert gen.json_array(records) == json.dumps(records, indent=2, ensure_ascii=False)
    assert gen.json_array([]) == "[]"
    account = gen.json_array([{"endTime": "2024-05-06 18:43", "msPlayed": 1}], gen.ACCOUNT_KV)
    assert account == '[\n  {\n    "endTime" : "2024-05-06 18:43",\n    "msPlayed" : 1\n  }\n]'


def test_the_samples_pdfs_are_pdfs(sample):
    _, _, contents = sample
    pdfs = [data for name, data in contents.items() if name.endswith(".pdf")]
    assert len(pdfs) == 2 and all(p.startswith(b"%PDF-1.4\n") and p.endswith(b"%%EOF\n") for p in pdfs)


def test_large_writer_goes_file_by_file_with_overlaps(tmp_path):
    path = tmp_path / "large.zip"
    stats = gen.write_large_extended_zip(path, 2500, per_file=1000, seed=5)
    contents = read_zip(path)
    files = [rows for kind, rows in history(contents).values() if kind == formats.EXTENDED]
    assert len(files) == 3 and len(files[0]) == 1000
    assert 2 <= len(files[1]) - 1000 <= 4 and 2 <= len(files[2]) - 500 <= 4  # overlap rows at each boundary
    assert sum(len(f) for f in files) == 2500 + stats.duplicate_rows and stats.duplicate_rows >= 4
    assert all(formats.record_problem(formats.EXTENDED, r) is None for f in files for r in f)
    assert files[1][: len(files[1]) - 1000] == files[0][-(len(files[1]) - 1000) :]
    assert stats.first_ts[:4] <= "2023" and stats.last_ts[:4] == "2025"  # at least two years
    gen.write_large_extended_zip(tmp_path / "again.zip", 2500, 1000, seed=5)
    assert (tmp_path / "again.zip").read_bytes() == path.read_bytes()


def test_cli_writes_the_requested_export(tmp_path, capsys):
    out = tmp_path / "legacy.zip"
    assert main(["--out", str(out), "--streams", "300", "--vintage", "legacy", "--files", "2"]) == 0
    names = list(read_zip(out))
    assert "MyData/endsong_0.json" in names and "MyData/endsong_1.json" in names
    assert "MyData/endvideo.json" in names and "MyData/StreamingHistory0.json" in names
    assert "300 streams" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--out", str(out), "--vintage", "2099"])
