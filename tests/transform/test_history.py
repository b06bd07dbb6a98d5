"""Curation of landed privacy-export history files (transform/history.py).

Pure tests run curate_history on small inline files of every vintage; shell tests run
curate_export_file on a folder lake and on Azurite.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contracts.datasets import REJECTS, STREAMS
from contracts.layout import CURATED_CONTAINER, RAW_CONTAINER
from storage import open_lake
from transform.history import curate_export_file, curate_history
from transform.pseudonym import user_id, user_id_key

FAKE_IP = "198.51.100.77"
FAKE_IP6 = "2001:db8::4242"
FAKE_UA = "Mozilla%2F5.0%20(FakeUA%20secret-agent)"
FAKE_USER = "fake_user_jdoe_1987"

TRACK = "spotify:track:4uLU6hMCjMI75M1A2tKUQC"
EPISODE = "spotify:episode:5Xt5DXGzch68nYYamXrNxZ"
AUDIOBOOK = "spotify:audiobook:7iHfbu1YPACw6oZPAFJtqe"
CHAPTER = "spotify:chapter:0D5wENdkdwbqlrHoaJ9g29"


def endsong_2019(**extra):
    """An extended record as in MyData/endsong_N.json (2019-21): username, *_decrypted, ms offline ts."""
    record = {
        "ts": "2019-02-11T05:04:13Z",
        "username": FAKE_USER,
        "platform": "Android OS 9 API 28 (samsung, SM-G960F)",
        "ms_played": 215_000,
        "conn_country": "SE",
        "ip_addr_decrypted": FAKE_IP,
        "user_agent_decrypted": FAKE_UA,
        "master_metadata_track_name": "Night Drive",
        "master_metadata_album_artist_name": "Aurora Lane",
        "master_metadata_album_album_name": "Aurora Lane LP",
        "spotify_track_uri": TRACK,
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": None,
        "offline": False,
        "offline_timestamp": 1549861353656,
        "incognito_mode": False,
    }
    record.update(extra)
    return record


def audio_2023(**extra):
    """Streaming_History_Audio_2023_N.json before Nov 2024: same fields, offline ts in seconds."""
    record = endsong_2019(
        ts="2023-11-04T22:17:10Z",
        platform="ios",
        offline_timestamp=1699136230,
        user_agent_decrypted="unknown",
        skipped=False,
    )
    record.update(extra)
    return record


def audio_2025(**extra):
    """After Nov 2024: no username/user agent, ip_addr renamed, audiobook_* added, float offline ts."""
    record = {
        "ts": "2025-09-09T22:14:36Z",
        "platform": "windows",
        "ms_played": 183_000,
        "conn_country": "DE",
        "ip_addr": FAKE_IP6,
        "master_metadata_track_name": "Low Tide",
        "master_metadata_album_artist_name": "Basement Choir",
        "master_metadata_album_album_name": "Harbour",
        "spotify_track_uri": "spotify:track:7ouMYWpwJ422jRcDASZB7P",
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "audiobook_title": None,
        "audiobook_uri": None,
        "audiobook_chapter_uri": None,
        "audiobook_chapter_title": None,
        "reason_start": "clickrow",
        "reason_end": "endplay",
        "shuffle": True,
        "skipped": True,
        "offline": True,
        "offline_timestamp": 1757456076.0,
        "incognito_mode": True,
    }
    record.update(extra)
    return record


def podcast_2025(**extra):
    return audio_2025(
        master_metadata_track_name=None,
        master_metadata_album_artist_name=None,
        master_metadata_album_album_name=None,
        spotify_track_uri=None,
        episode_name="Ep. 12",
        episode_show_name="Slow News",
        spotify_episode_uri=EPISODE,
        **extra,
    )


def audiobook_2025(**extra):
    return audio_2025(
        master_metadata_track_name=None,
        master_metadata_album_artist_name=None,
        master_metadata_album_album_name=None,
        spotify_track_uri=None,
        audiobook_title="The Long Book",
        audiobook_uri=AUDIOBOOK,
        audiobook_chapter_uri=CHAPTER,
        audiobook_chapter_title="Chapter 3",
        **extra,
    )


def write(tmp_path, records, name="Streaming_History_Audio_2025_0.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def curate(tmp_path, records, kind="extended", name="Streaming_History_Audio_2025_0.json"):
    return curate_history(write(tmp_path, records, name), kind, "uid123", f"up1/{kind}/{name}")


def rows(table: pa.Table) -> list[dict]:
    return table.to_pylist()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- pure core ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["extended", "account_music", "account_podcast", "account_legacy", "account_audiobook"]
)
def test_schemas_are_exactly_the_declared_ones(tmp_path, kind):
    records = [endsong_2019(), {"ts": None}] if kind == "extended" else [{"endTime": "2024-01-01 10:00"}]
    streams, rejects = curate(tmp_path, records, kind)
    assert streams.schema.equals(STREAMS, check_metadata=True)
    assert rejects.schema.equals(REJECTS, check_metadata=True)
    empty_streams, empty_rejects = curate(tmp_path, [], kind)
    assert (empty_streams.num_rows, empty_rejects.num_rows) == (0, 0)
    assert empty_streams.schema.equals(STREAMS) and empty_rejects.schema.equals(REJECTS)


def test_a_2019_endsong_record_curates_every_field_and_drops_the_username(tmp_path):
    (row,) = rows(curate(tmp_path, [endsong_2019()], name="endsong_0.json")[0])
    assert row == {
        "user_id": "uid123",
        "stream_key": row["stream_key"],
        "source": "extended",
        "ts": utc(2019, 2, 11, 5, 4, 13),
        "ms_played": 215_000,
        "content_type": "music",
        "track_name": "Night Drive",
        "artist_name": "Aurora Lane",
        "album_name": "Aurora Lane LP",
        "track_id": "4uLU6hMCjMI75M1A2tKUQC",
        "episode_name": None,
        "show_name": None,
        "episode_id": None,
        "audiobook_title": None,
        "audiobook_id": None,
        "chapter_title": None,
        "chapter_id": None,
        "reason_start": "trackdone",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": None,
        "offline": False,
        "offline_at": utc(2019, 2, 11, 5, 2, 33, 656_000),  # 1549861353656 ms
        "incognito": False,
        "platform": "android",
        "conn_country": "SE",
        "origin": "up1/extended/endsong_0.json",
    }
    assert len(row["stream_key"]) == 32 and int(row["stream_key"], 16) >= 0


def test_a_2023_record_reads_offline_time_in_seconds_and_a_short_platform(tmp_path):
    (row,) = rows(curate(tmp_path, [audio_2023()])[0])
    assert row["ts"] == utc(2023, 11, 4, 22, 17, 10)
    assert row["offline_at"] == utc(2023, 11, 4, 22, 17, 10)  # 1699136230 s
    assert (row["platform"], row["skipped"], row["content_type"]) == ("ios", False, "music")


def test_audio_2025_vintage_music_podcast_audiobook(tmp_path):
    streams, rejects = curate(tmp_path, [audio_2025(), podcast_2025(), audiobook_2025()])
    music, podcast, audiobook = rows(streams)
    assert rejects.num_rows == 0
    assert (music["content_type"], music["track_id"], music["platform"]) == (
        "music",
        "7ouMYWpwJ422jRcDASZB7P",
        "windows",
    )
    assert (music["shuffle"], music["skipped"], music["offline"], music["incognito"]) == (
        True,
        True,
        True,
        True,
    )
    assert music["offline_at"] == utc(2025, 9, 9, 22, 14, 36)  # 1757456076.0 s
    assert podcast["content_type"] == "podcast"
    assert (podcast["episode_name"], podcast["show_name"], podcast["episode_id"]) == (
        "Ep. 12",
        "Slow News",
        "5Xt5DXGzch68nYYamXrNxZ",
    )
    assert podcast["track_id"] is None and podcast["track_name"] is None
    assert audiobook["content_type"] == "audiobook"
    assert (audiobook["audiobook_title"], audiobook["audiobook_id"]) == (
        "The Long Book",
        "7iHfbu1YPACw6oZPAFJtqe",
    )
    assert (audiobook["chapter_title"], audiobook["chapter_id"]) == ("Chapter 3", "0D5wENdkdwbqlrHoaJ9g29")


def test_no_ip_user_agent_or_username_anywhere_in_the_output(tmp_path):
    records = [
        endsong_2019(),
        audio_2023(),
        audio_2025(),
        podcast_2025(),
        {"ts": "bad", "username": FAKE_USER},
    ]
    streams, rejects = curate(tmp_path, records)
    assert streams.num_rows == 4 and rejects.num_rows == 1
    for table in (streams, rejects):
        for name in table.column_names:
            if pa.types.is_string(table.schema.field(name).type):
                for value in table[name].to_pylist():
                    for secret in (FAKE_IP, FAKE_IP6, FAKE_UA, FAKE_USER, "FakeUA", "jdoe"):
                        assert value is None or secret not in value, (name, value)


@pytest.mark.parametrize(
    ("offline_timestamp", "expected"),
    [
        (1549861353656, utc(2019, 2, 11, 5, 2, 33, 656_000)),  # ms (2019-21 files)
        (1699136230, utc(2023, 11, 4, 22, 17, 10)),  # s (2023+)
        (1757456076.0, utc(2025, 9, 9, 22, 14, 36)),  # float s
        (1757456076.789, utc(2025, 9, 9, 22, 14, 36, 789_000)),
        (100_000_000, utc(1973, 3, 3, 9, 46, 40)),  # 1e8: the smallest plausible value, in s
        (99_999_999_999, utc(5138, 11, 16, 9, 46, 39)),  # just below 1e11: still seconds
        (100_000_000_000, utc(1973, 3, 3, 9, 46, 40)),  # 1e11: milliseconds from here on
        (0, None),  # junk
        (42, None),  # junk (< 1e8)
        (99_999_999, None),
        (-1549861353656, None),
        (10**15, None),  # beyond year 5138 in ms: junk
        ("1699136230", utc(2023, 11, 4, 22, 17, 10)),  # a number in a string still reads
        ("soon", None),
        (True, None),
        (None, None),
    ],
)
def test_offline_timestamp_in_seconds_or_ms_becomes_one_instant_and_junk_null(
    tmp_path, offline_timestamp, expected
):
    (row,) = rows(curate(tmp_path, [audio_2025(offline_timestamp=offline_timestamp)])[0])
    assert row["offline_at"] == expected


def test_missing_offline_timestamp_and_audiobook_columns_read_as_null(tmp_path):
    record = {"ts": "2020-01-01T00:00:00Z", "ms_played": 5}
    (row,) = rows(curate(tmp_path, [record])[0])
    assert row["offline_at"] is None and row["audiobook_title"] is None and row["platform"] is None
    assert row["content_type"] == "unknown"


@pytest.mark.parametrize(
    ("fields", "content_type"),
    [
        ({}, "music"),
        ({"master_metadata_album_artist_name": None}, "unknown"),  # track name alone is not enough
        ({"master_metadata_track_name": None}, "unknown"),
        ({"master_metadata_track_name": ""}, "unknown"),  # blank counts as missing
        (
            {
                "master_metadata_track_name": None,
                "master_metadata_album_artist_name": None,
                "master_metadata_album_album_name": None,
                "spotify_track_uri": None,
            },
            "unknown",
        ),
        ({"spotify_track_uri": None}, "music"),  # a deleted track: named, no URI
        ({"episode_name": "Ep"}, "podcast"),
        ({"spotify_episode_uri": EPISODE}, "podcast"),
        ({"audiobook_uri": AUDIOBOOK}, "audiobook"),
        ({"audiobook_chapter_uri": CHAPTER, "episode_name": "Ep"}, "audiobook"),
    ],
)
def test_content_type_is_audiobook_podcast_music_or_unknown_by_which_ids_are_set(
    tmp_path, fields, content_type
):
    (row,) = rows(curate(tmp_path, [audio_2025(**fields)])[0])
    assert row["content_type"] == content_type


@pytest.mark.parametrize(
    ("uri", "track_id"),
    [
        (TRACK, "4uLU6hMCjMI75M1A2tKUQC"),
        ("spotify:local:Artist:Album:Title:215", None),  # a local file has no Spotify id
        ("not a uri", None),
        ("spotify:track:", None),
        ("", None),
        (None, None),
    ],
)
def test_track_id_is_the_id_of_a_spotify_track_uri_and_null_otherwise(tmp_path, uri, track_id):
    (row,) = rows(curate(tmp_path, [audio_2025(spotify_track_uri=uri)])[0])
    assert row["track_id"] == track_id


@pytest.mark.parametrize(
    ("platform", "family"),
    [
        ("Android OS 4.2.2 API 17 (samsung, GT-I9195)", "android"),
        ("web_player windows 10;chrome 95.0.4638.69;desktop", "web"),
        ("Partner sonos_amp Sonos;Amp", "speaker"),
        ("", None),
        (None, None),
    ],
)
def test_platform_is_reduced_to_a_family(tmp_path, platform, family):
    (row,) = rows(curate(tmp_path, [audio_2025(platform=platform)])[0])
    assert row["platform"] == family


def test_ts_fractional_seconds_and_no_z(tmp_path):
    records = [
        audio_2025(ts="2025-01-02T03:04:05.5Z"),
        audio_2025(ts="2025-01-02 03:04:05.123456"),
        audio_2025(ts="2025-01-02T03:04:05"),
    ]
    assert [r["ts"] for r in rows(curate(tmp_path, records)[0])] == [
        utc(2025, 1, 2, 3, 4, 5, 500_000),
        utc(2025, 1, 2, 3, 4, 5, 123_000),
        utc(2025, 1, 2, 3, 4, 5),
    ]


def test_bad_values_in_optional_fields_never_fail_the_file(tmp_path):
    record = audio_2025(
        shuffle="maybe",
        skipped={"a": 1},
        offline=[1],
        incognito_mode=7,
        platform=12,
        conn_country=None,
        master_metadata_track_name=3,
    )
    (row,) = rows(curate(tmp_path, [record])[0])
    assert (row["shuffle"], row["skipped"], row["offline"], row["incognito"]) == (None, None, None, None)
    assert (row["platform"], row["track_name"]) == ("other", "3")


def test_stream_key_is_the_same_for_the_same_stream_in_two_files(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    # The same play in an old endsong file and a new audio file (fields differ by vintage).
    old = endsong_2019(ts="2023-05-01T10:00:00Z", ms_played=1000)
    new = audio_2025(
        ts="2023-05-01T10:00:00Z",
        ms_played=1000,
        spotify_track_uri=TRACK,
        master_metadata_track_name="Night Drive",
        master_metadata_album_artist_name="Aurora Lane",
    )
    (key_a,) = curate(a, [old], name="endsong_3.json")[0]["stream_key"].to_pylist()
    (key_b,) = curate(b, [new])[0]["stream_key"].to_pylist()
    assert key_a == key_b


def test_stream_key_differs_when_anything_in_its_identity_differs(tmp_path):
    base = dict(ts="2023-05-01T10:00:00Z", ms_played=1000)
    records = [
        audio_2025(**base),
        audio_2025(**base),  # an exact duplicate: same key, and curation keeps both rows
        audio_2025(ts="2023-05-01T10:00:00Z", ms_played=1001),
        audio_2025(ts="2023-05-01T10:00:01Z", ms_played=1000),
        audio_2025(**base, spotify_track_uri=TRACK),
        # no URI: artist + track decide
        audio_2025(**base, spotify_track_uri=None),
        audio_2025(**base, spotify_track_uri=None, master_metadata_track_name="Other"),
        audio_2025(**base, spotify_track_uri=None, master_metadata_album_artist_name="Other"),
    ]
    keys = curate(tmp_path, records)[0]["stream_key"].to_pylist()
    assert len(keys) == 8
    assert keys[0] == keys[1]
    assert len(set(keys)) == 7


def test_rejects_hold_position_and_reason_and_streams_keep_the_rest(tmp_path):
    records = [
        audio_2025(ms_played=1),
        audio_2025(ts=None),
        audio_2025(ms_played=-4),
        audio_2025(ms_played=2),
        {"ts": "2024-13-01T00:00:00Z", "ms_played": 1},
        {"ts": "2024-01-01T00:00:00Z", "ms_played": True},
        {},
        audio_2025(ms_played=3),
    ]
    streams, rejects = curate(tmp_path, records)
    assert streams["ms_played"].to_pylist() == [1, 2, 3]
    assert rows(rejects) == [
        {"user_id": "uid123", "origin": "up1/extended/Streaming_History_Audio_2025_0.json", **r}
        for r in [
            {"record_index": 1, "reason": "missing ts"},
            {"record_index": 2, "reason": "bad ms_played"},
            {"record_index": 4, "reason": "bad ts"},
            {"record_index": 5, "reason": "bad ms_played"},
            {"record_index": 6, "reason": "missing ts"},
        ]
    ]


def test_account_music_rows_become_music_streams_ending_at_their_minute(tmp_path):
    records = [
        {
            "endTime": "2024-05-06 18:43",
            "artistName": "Twenty One Pilots",
            "trackName": "Oh Ms Believer",
            "msPlayed": 216783,
        },
        {"endTime": "2024-05-06 18:50", "msPlayed": 1000},  # 2025 files sometimes lack the names
        {"endTime": "2024-05-06 18:51", "artistName": "A", "trackName": None, "msPlayed": 0},
        {"endTime": "2024-05-06T18:52", "artistName": "A", "trackName": "T", "msPlayed": 0},
    ]
    streams, rejects = curate(tmp_path, records, "account_music", "StreamingHistory_music_0.json")
    first, unnamed, half = rows(streams)
    assert first == {
        **{name: None for name in STREAMS.names},
        "user_id": "uid123",
        "stream_key": first["stream_key"],
        "source": "account",
        "ts": utc(2024, 5, 6, 18, 43),
        "ms_played": 216783,
        "content_type": "music",
        "artist_name": "Twenty One Pilots",
        "track_name": "Oh Ms Believer",
        "origin": "up1/account_music/StreamingHistory_music_0.json",
    }
    assert (unnamed["content_type"], unnamed["artist_name"], unnamed["track_name"]) == ("unknown", None, None)
    assert (half["content_type"], half["artist_name"]) == ("unknown", "A")
    assert rows(rejects)[0]["record_index"] == 3 and rows(rejects)[0]["reason"] == "bad endTime"


def test_account_podcast_rows_become_podcast_streams_named_by_show_and_episode(tmp_path):
    records = [
        {
            "endTime": "2024-05-06 07:00",
            "podcastName": "Slow News",
            "episodeName": "Ep. 12",
            "msPlayed": 1_500_000,
        },
        {"endTime": "2024-05-06 08:00", "podcastName": None, "episodeName": None, "msPlayed": 5},
    ]
    streams, _ = curate(tmp_path, records, "account_podcast", "StreamingHistory_podcast_0.json")
    episode, unnamed = rows(streams)
    assert (episode["content_type"], episode["show_name"], episode["episode_name"]) == (
        "podcast",
        "Slow News",
        "Ep. 12",
    )
    assert episode["artist_name"] is None and episode["track_name"] is None and episode["source"] == "account"
    assert unnamed["content_type"] == "unknown"


def test_account_audiobook_rows_become_audiobook_streams_named_by_book_and_chapter(tmp_path):
    records = [
        {
            "endTime": "2024-05-08 21:10",
            "audiobookName": "The Long Book",
            "chapterName": "Chapter 3",
            "authorName": "A. Writer",
            "msPlayed": 1_200_000,
        },
        {"endTime": "2024-05-08 22:00", "audiobookName": None, "chapterName": None, "msPlayed": 5},
        {"endTime": "2024-05-08T22:00", "audiobookName": "The Long Book", "msPlayed": 5},
    ]
    streams, rejects = curate(tmp_path, records, "account_audiobook", "StreamingHistory_audiobook_0.json")
    chapter, unnamed = rows(streams)
    assert (chapter["content_type"], chapter["audiobook_title"], chapter["chapter_title"]) == (
        "audiobook",
        "The Long Book",
        "Chapter 3",
    )
    assert (chapter["ts"], chapter["ms_played"], chapter["source"]) == (
        utc(2024, 5, 8, 21, 10),
        1_200_000,
        "account",
    )
    assert chapter["artist_name"] is None and chapter["track_name"] is None  # never music
    assert unnamed["content_type"] == "unknown"
    assert rows(rejects)[0]["record_index"] == 2 and rows(rejects)[0]["reason"] == "bad endTime"


def test_account_legacy_counts_every_named_row_as_music(tmp_path):
    records = [
        {
            "endTime": "2019-03-01 10:00",
            "artistName": "Aurora Lane",
            "trackName": "Night Drive",
            "msPlayed": 5,
        },
        # a podcast in the legacy format: indistinguishable, so music
        {"endTime": "2019-03-01 11:00", "artistName": "Slow News", "trackName": "Ep. 12", "msPlayed": 6},
        {"endTime": "2019-03-01 12:00", "artistName": None, "trackName": None, "msPlayed": 7},
    ]
    streams, _ = curate(tmp_path, records, "account_legacy", "StreamingHistory0.json")
    assert streams["content_type"].to_pylist() == ["music", "music", "unknown"]
    assert streams["artist_name"].to_pylist() == ["Aurora Lane", "Slow News", None]


def test_account_stream_key_matches_across_account_files_not_extended(tmp_path):
    music = {
        "endTime": "2024-01-01 10:00",
        "artistName": "Aurora Lane",
        "trackName": "Night Drive",
        "msPlayed": 5,
    }
    key_music = curate(tmp_path, [music], "account_music", "StreamingHistory_music_0.json")[0]["stream_key"]
    key_legacy = curate(tmp_path, [music], "account_legacy", "StreamingHistory0.json")[0]["stream_key"]
    key_other_ms = curate(tmp_path, [{**music, "msPlayed": 6}], "account_music", "m.json")[0]["stream_key"]
    show = {
        "endTime": "2024-01-01 10:00",
        "podcastName": "Aurora Lane",
        "episodeName": "Night Drive",
        "msPlayed": 5,
    }
    key_podcast = curate(tmp_path, [show], "account_podcast", "p.json")[0]["stream_key"]
    extended = audio_2025(ts="2024-01-01T10:00:00Z", ms_played=5, spotify_track_uri=None)
    key_extended = curate(tmp_path, [extended])[0]["stream_key"]
    assert key_music.equals(key_legacy) and key_music.equals(key_podcast)
    assert not key_music.equals(key_other_ms)
    assert not key_music.equals(key_extended)


def test_curating_the_same_file_twice_gives_the_same_tables(tmp_path):
    path = write(tmp_path, [audio_2025(), podcast_2025(), {"ts": None}, endsong_2019()])
    first = curate_history(path, "extended", "u", "o")
    second = curate_history(path, "extended", "u", "o")
    assert first[0].equals(second[0]) and first[1].equals(second[1])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  \n",
        '{"ts": "2024-01-01T00:00:00Z", "ms_played": 1}',
        "null",
        '"x"',
        '[{"ts": "2024-01-01T00:00:00Z", "ms_played": 1}',  # truncated
        '[{"ts": "2024-01-01T00:00:00Z", "ms_played": 1},]',
    ],
)
def test_files_that_are_not_arrays_of_objects_raise_value_error(tmp_path, text):
    path = tmp_path / "x.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"^up1/extended/x\.json: not a JSON array of objects") as caught:
        curate_history(path, "extended", "u", "up1/extended/x.json")
    assert str(tmp_path) not in str(caught.value)  # no local paths in the message


def test_a_repeated_key_is_read_as_json_parsers_do_last_value_wins(tmp_path):
    # The upload stage accepts it (it is valid JSON); DuckDB alone would refuse the whole file.
    path = tmp_path / "x.json"
    path.write_text(
        '[{"ts": "2024-01-01T00:00:00Z", "ts": "2024-01-01T00:00:09Z", "ms_played": 1},'
        ' {"ts": "2024-01-02T00:00:00Z", "ms_played": 2}]'
    )
    streams, rejects = curate_history(path, "extended", "u", "up1/extended/x.json")
    assert [t.isoformat() for t in streams["ts"].to_pylist()] == [
        "2024-01-01T00:00:09+00:00",
        "2024-01-02T00:00:00+00:00",
    ]
    assert rejects.num_rows == 0


def test_curating_a_kind_that_is_not_history_raises(tmp_path):
    with pytest.raises(ValueError, match="not a history kind"):
        curate_history(write(tmp_path, []), "video", "u", "o")


# --- shell: lake, Parquet, load message -----------------------------------------------------------

ENTRY = "Spotify Extended Streaming History/Streaming_History_Audio_2023-2025_0.json"
RAW_PATH = f"exports/alice.smith/upload-7/extended/{ENTRY}"


def _land(lake, records, path=RAW_PATH):
    lake.write_bytes(RAW_CONTAINER, path, json.dumps(records).encode())


def _check_curate_export_file(settings):
    lake = open_lake(settings)
    _land(lake, [audio_2023(), {"ts": None, "ms_played": 1}, podcast_2025(), audio_2025(ms_played=-1)])
    uid = user_id("alice.smith", user_id_key(lake, settings))
    tail = f"{uid}/upload-7/extended/{ENTRY.removesuffix('.json')}.parquet"  # the whole entry path
    streams_path, rejects_path = f"streams/{tail}", f"rejects/{tail}"

    message = curate_export_file(lake, RAW_PATH, settings)

    assert message.curated_from == f"raw/{RAW_PATH}"
    assert [(f.dataset, f.path, f.rows) for f in message.files] == [
        ("streams", streams_path, 2),
        ("rejects", rejects_path, 2),
    ]
    assert list(lake.list(CURATED_CONTAINER)) == [rejects_path, streams_path]
    with lake.local_path(CURATED_CONTAINER, streams_path) as local:
        streams = pq.read_table(local)
        assert pq.ParquetFile(local).metadata.row_group(0).column(0).compression in ("ZSTD", "SNAPPY")
    with lake.local_path(CURATED_CONTAINER, rejects_path) as local:
        rejects = pq.read_table(local)
    assert streams.schema.equals(STREAMS) and rejects.schema.equals(REJECTS)
    assert set(streams["user_id"].to_pylist()) == {uid}
    assert set(streams["origin"].to_pylist()) == {
        "upload-7/extended/Spotify Extended Streaming History/Streaming_History_Audio_2023-2025_0.json"
    }
    assert rejects.to_pydict()["record_index"] == [1, 3]
    # The user label (it may be a username) is nowhere in curated paths or data.
    for name in lake.list(CURATED_CONTAINER):
        assert "alice" not in name
    for table in (streams, rejects):
        for column in table.column_names:
            if pa.types.is_string(table.schema.field(column).type):
                assert not any("alice" in (v or "") for v in table[column].to_pylist())

    before = {name: lake.read_bytes(CURATED_CONTAINER, name) for name in lake.list(CURATED_CONTAINER)}
    again = curate_export_file(lake, RAW_PATH, settings)
    assert again == message
    after = {name: lake.read_bytes(CURATED_CONTAINER, name) for name in lake.list(CURATED_CONTAINER)}
    assert after == before  # same paths, same bytes: nothing doubles


def test_curate_export_file_on_a_folder_lake(folder_settings):
    _check_curate_export_file(folder_settings)


@pytest.mark.azurite
def test_curate_export_file_on_azurite(azurite_settings):
    _check_curate_export_file(azurite_settings)


def test_no_rejects_file_when_every_record_is_valid(folder_settings):
    lake = open_lake(folder_settings)
    path = "exports/me/u2/account_music/Spotify Account Data/StreamingHistory_music_0.json"
    _land(lake, [{"endTime": "2024-01-01 10:00", "artistName": "A", "trackName": "T", "msPlayed": 5}], path)
    message = curate_export_file(lake, path, folder_settings)
    assert [(f.dataset, f.rows) for f in message.files] == [("streams", 1)]
    assert [name.split("/")[0] for name in lake.list(CURATED_CONTAINER)] == ["streams"]
    assert message.files[0].path.endswith(
        "/u2/account_music/Spotify Account Data/StreamingHistory_music_0.parquet"
    )


def test_paths_outside_the_layout_are_skipped(folder_settings):
    lake = open_lake(folder_settings)
    for path in (
        "exports/me/u1/video/Streaming_History_Video_2024.json",
        "exports/me/u1/extended",
        "exports/x.json",
    ):
        assert curate_export_file(lake, path, folder_settings) is None
    assert list(lake.list(CURATED_CONTAINER)) == []


def test_a_file_that_is_not_an_array_writes_nothing(folder_settings):
    lake = open_lake(folder_settings)
    lake.write_bytes(RAW_CONTAINER, RAW_PATH, b'{"ts": "2024-01-01T00:00:00Z"}')
    with pytest.raises(ValueError, match="not a JSON array of objects"):
        curate_export_file(lake, RAW_PATH, folder_settings)
    assert list(lake.list(CURATED_CONTAINER)) == []
