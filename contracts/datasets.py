"""The curated data contract: one declared Arrow schema per curated dataset.

Every Parquet file under `curated/<dataset>/` has exactly the schema named here, and the
warehouse tables (load/) are declared from the same schemas. Curated data never holds IP
addresses, user agents or Spotify usernames; users appear only as `user_id`, a keyed hash.
"""

from __future__ import annotations

import pyarrow as pa

UTC_MS = pa.timestamp("ms", tz="UTC")
CONTENT_TYPES = ("music", "podcast", "audiobook", "unknown")  # streams.content_type's values

# One row per stream (a play of a track, episode or chapter), from any source.
STREAMS = pa.schema(
    [
        pa.field("user_id", pa.string(), nullable=False),  # keyed hash of the user label
        pa.field("stream_key", pa.string(), nullable=False),  # exact-duplicate identity, see below
        pa.field("source", pa.string(), nullable=False),  # extended | account | api
        pa.field("ts", UTC_MS, nullable=False),  # when the stream ENDED, UTC
        pa.field("ms_played", pa.int64(), nullable=False),
        pa.field("content_type", pa.string(), nullable=False),  # music | podcast | audiobook | unknown
        pa.field("track_name", pa.string()),
        pa.field("artist_name", pa.string()),
        pa.field("album_name", pa.string()),
        pa.field("track_id", pa.string()),  # base62 id from spotify:track:<id>
        pa.field("episode_name", pa.string()),
        pa.field("show_name", pa.string()),
        pa.field("episode_id", pa.string()),
        pa.field("audiobook_title", pa.string()),
        pa.field("audiobook_id", pa.string()),
        pa.field("chapter_title", pa.string()),
        pa.field("chapter_id", pa.string()),
        pa.field("reason_start", pa.string()),
        pa.field("reason_end", pa.string()),
        pa.field("shuffle", pa.bool_()),
        pa.field("skipped", pa.bool_()),
        pa.field("offline", pa.bool_()),
        pa.field("offline_at", UTC_MS),  # offline_timestamp normalised (ms or s in the exports)
        pa.field("incognito", pa.bool_()),
        pa.field("platform", pa.string()),  # coarse family only: android, ios, windows, ...
        pa.field("conn_country", pa.string()),
        pa.field("origin", pa.string(), nullable=False),  # <upload-id>/<file name>, never a user label
    ]
)

# Records set aside by curation, with the reason; the record itself stays in raw/ only.
REJECTS = pa.schema(
    [
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("origin", pa.string(), nullable=False),
        pa.field("record_index", pa.int64(), nullable=False),  # position in the source file's array
        pa.field("reason", pa.string(), nullable=False),
    ]
)

# Catalog metadata from the Web API (enrichment). Fields Spotify removed in 2026 stay nullable.
# `not_found` rows record a 404 so the id is never asked for again.
TRACKS = pa.schema(
    [
        pa.field("track_id", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("album_id", pa.string()),
        pa.field("duration_ms", pa.int64()),
        pa.field("explicit", pa.bool_()),
        pa.field("disc_number", pa.int32()),
        pa.field("track_number", pa.int32()),
        pa.field("isrc", pa.string()),
        pa.field("popularity", pa.int32()),
        pa.field("not_found", pa.bool_(), nullable=False),
        pa.field("fetched_at", UTC_MS, nullable=False),
    ]
)
ALBUMS = pa.schema(
    [
        pa.field("album_id", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("album_type", pa.string()),
        pa.field("release_date", pa.string()),  # as given: YYYY, YYYY-MM or YYYY-MM-DD
        pa.field("release_date_precision", pa.string()),
        pa.field("total_tracks", pa.int32()),
        pa.field("label", pa.string()),
        pa.field("popularity", pa.int32()),
        pa.field("not_found", pa.bool_(), nullable=False),
        pa.field("fetched_at", UTC_MS, nullable=False),
    ]
)
ARTISTS = pa.schema(
    [
        pa.field("artist_id", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("popularity", pa.int32()),
        pa.field("followers", pa.int64()),
        pa.field("not_found", pa.bool_(), nullable=False),
        pa.field("fetched_at", UTC_MS, nullable=False),
    ]
)
TRACK_ARTISTS = pa.schema(
    [
        pa.field("track_id", pa.string(), nullable=False),
        pa.field("artist_id", pa.string(), nullable=False),
        pa.field("position", pa.int32(), nullable=False),  # 0 = primary artist
    ]
)
ARTIST_GENRES = pa.schema(
    [
        pa.field("artist_id", pa.string(), nullable=False),
        pa.field("genre", pa.string(), nullable=False),
    ]
)
# Top tracks/artists snapshots (Spotify's affinity ranking, not play counts).
TOP_ITEMS = pa.schema(
    [
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("snapshot_date", pa.date32(), nullable=False),
        pa.field("time_range", pa.string(), nullable=False),  # short_term | medium_term | long_term
        pa.field("item_type", pa.string(), nullable=False),  # track | artist
        pa.field("rank", pa.int32(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("name", pa.string()),
    ]
)

# Spotify's public daily charts (contracts.charts): one row per entry (audio features: below).
CHART_ENTRIES = pa.schema(
    [
        pa.field("entry_key", pa.int64(), nullable=False),  # (date, region, chart, rank): contracts.charts
        pa.field("chart_date", pa.date32(), nullable=False),
        pa.field("region", pa.string(), nullable=False),  # as the file names it: "Argentina", "Global"
        pa.field("country", pa.string()),  # ISO 3166 alpha-2, as conn_country; null for Global
        pa.field("chart", pa.string(), nullable=False),  # top200 | viral50
        pa.field("rank", pa.int32(), nullable=False),
        pa.field("track_id", pa.string()),  # from the entry's open.spotify.com/track/<id> URL
        pa.field("title", pa.string()),
        pa.field("artist", pa.string()),
        pa.field("streams", pa.int64()),  # the Viral 50 has none
        pa.field("trend", pa.string()),  # SAME_POSITION | MOVE_UP | MOVE_DOWN | NEW_ENTRY
        pa.field("origin", pa.string(), nullable=False),  # <upload-id>/<file name>
        pa.field("record_index", pa.int64(), nullable=False),  # the row's number in its file (0: first row)
    ]
)
# The audio features the wider chart files repeat on every entry of a track, once per track: its
# first entry in the file with any (a track's features are the track's, not the day's). Kept apart
# from the entries, so a file without features (the Kaggle charts.csv) stores and loads none: 13
# all-null columns were a third of the load's CPU (0.7 of 2.3 CPU-s a million entries, measured).
CHART_TRACK_FEATURES = pa.schema(
    [
        pa.field("track_id", pa.string(), nullable=False),
        *(pa.field(name, pa.float64()) for name in ("danceability", "energy", "loudness", "speechiness")),
        *(pa.field(name, pa.float64()) for name in ("acousticness", "instrumentalness", "liveness")),
        pa.field("valence", pa.float64()),
        pa.field("tempo", pa.float64()),
        pa.field("key", pa.int32()),
        pa.field("mode", pa.int32()),
        pa.field("time_signature", pa.int32()),
        pa.field("duration_ms", pa.int64()),
        pa.field("origin", pa.string(), nullable=False),  # <upload-id>/<file name>
        pa.field("record_index", pa.int64(), nullable=False),  # the entry's row number in its file
    ]
)
# Chart rows that could not be read, with why (the set-aside rule, as for streams).
CHART_REJECTS = pa.schema(
    [
        pa.field("origin", pa.string(), nullable=False),
        pa.field("record_index", pa.int64(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
    ]
)

# -- what the analyses (analysis/) compute from the warehouse, loaded back through the same chain --
# Each row carries its run (`run_id`, YYYYMMDDTHHMMSSZ of the run, UTC): a load keeps, per key, only
# the rows of the latest run (load.plan, merge "latest_run"), in whatever order runs arrive.

# The hit model's predictions for tracks whose first 90 days on a region's Top 200 are still open.
CHART_PREDICTIONS = pa.schema(
    [
        pa.field("model", pa.string(), nullable=False),  # "hit-model": one set of predictions per model
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("region", pa.string(), nullable=False),
        pa.field("country", pa.string()),
        pa.field("track_id", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("artist", pa.string()),
        pa.field("first_date", pa.date32(), nullable=False),  # its first day on this Top 200
        pa.field("days_seen", pa.int32(), nullable=False),  # days on the chart so far
        pa.field("current_rank", pa.int32()),  # on the latest chart day (null: not on it)
        pa.field("best_rank", pa.int32(), nullable=False),  # best so far
        pa.field("predicted_peak_rank", pa.float64(), nullable=False),
        pa.field("predicted_days_on_chart", pa.float64(), nullable=False),
        pa.field("still_climbing", pa.bool_(), nullable=False),  # predicted peak better than best so far
    ]
)
# A user's listening sessions (load.local_time's session rule over music and podcasts), with features.
SESSIONS = pa.schema(
    [
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("session_start", UTC_MS, nullable=False),
        pa.field("session_end", UTC_MS, nullable=False),
        pa.field("local_date", pa.date32(), nullable=False),  # of the start, local time
        pa.field("local_hour", pa.int32(), nullable=False),
        pa.field("streams", pa.int32(), nullable=False),
        pa.field("ms_played", pa.int64(), nullable=False),
        pa.field("seconds", pa.int64(), nullable=False),  # wall clock, first start to last end
        pa.field("skip_rate", pa.float64(), nullable=False),
        pa.field("shuffle_share", pa.float64()),  # null when the source does not say
        pa.field("artists_per_hour", pa.float64(), nullable=False),
        pa.field("podcast_share", pa.float64(), nullable=False),  # of the session's streams
        pa.field("new_artist_share", pa.float64(), nullable=False),  # streams of artists first heard then
        pa.field("device", pa.string(), nullable=False),  # phone | computer | other (most streams)
        pa.field("mode_id", pa.int32(), nullable=False),  # dim_listening_mode
    ]
)
# The modes K-means found in a user's sessions: what each means, in plain words and in numbers.
LISTENING_MODES = pa.schema(
    [
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("mode_id", pa.int32(), nullable=False),  # 1 = the most sessions
        pa.field("label", pa.string(), nullable=False),  # "late night, long, album-like, few skips"
        pa.field("sessions", pa.int64(), nullable=False),
        pa.field("session_share", pa.float64(), nullable=False),
        pa.field("ms_played", pa.int64(), nullable=False),
        pa.field("minutes_share", pa.float64(), nullable=False),
        pa.field("top_artists", pa.string()),  # up to five, "A; B; C"
        pa.field("typical_hour", pa.float64(), nullable=False),  # the centroid's local hour (0-24)
        pa.field("typical_minutes", pa.float64(), nullable=False),  # the centroid's session length
        pa.field("skip_rate", pa.float64(), nullable=False),
        pa.field("shuffle_share", pa.float64(), nullable=False),
        pa.field("artists_per_hour", pa.float64(), nullable=False),
        pa.field("podcast_share", pa.float64(), nullable=False),
        pa.field("new_artist_share", pa.float64(), nullable=False),
        pa.field("device", pa.string(), nullable=False),
        pa.field("period_first", pa.date32()),  # the sessions clustered (null: open-ended)
        pa.field("period_last", pa.date32()),
        pa.field("silhouette", pa.float64(), nullable=False),  # of the chosen k
    ]
)
# Listeners grouped by their per-user features (at least 5 users in one warehouse).
LISTENER_SEGMENTS = pa.schema(
    [
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("scope", pa.string(), nullable=False),  # "all": one segmentation per warehouse
        pa.field("segment_id", pa.int32(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("users", pa.int32(), nullable=False),  # in this segment
    ]
)

# dataset name (folder under curated/) -> schema
DATASETS: dict[str, pa.Schema] = {
    "streams": STREAMS,
    "rejects": REJECTS,
    "tracks": TRACKS,
    "albums": ALBUMS,
    "artists": ARTISTS,
    "track_artists": TRACK_ARTISTS,
    "artist_genres": ARTIST_GENRES,
    "top_items": TOP_ITEMS,
    "chart_entries": CHART_ENTRIES,
    "chart_rejects": CHART_REJECTS,
    "chart_track_features": CHART_TRACK_FEATURES,
    "chart_predictions": CHART_PREDICTIONS,
    "sessions": SESSIONS,
    "listening_modes": LISTENING_MODES,
    "listener_segments": LISTENER_SEGMENTS,
}
