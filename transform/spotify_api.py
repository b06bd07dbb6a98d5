"""raw/spotify-api/... Web API responses → curated Parquet (streams, top items, catalog), one set each.

    recently-played/dt=D/<page>.json   -> streams      (per user)
    top-tracks|top-artists/dt=D/<r>.json -> top_items  (per user; snapshot_date = D, time_range = r)
    tracks/dt=D/<name>.json            -> tracks + track_artists
    albums/dt=D/<name>.json            -> albums
    artists/dt=D/<name>.json           -> artists + artist_genres

Curated paths are the raw path under the dataset (and user) folder, `.json` → `.parquet`, so a
re-run overwrites the same files. The `*_rows` functions are pure: a parsed response in, rows with
exactly the transform.schema columns out; no clock (`fetched_at` is the landing day D, 00:00 UTC).

Semantics of API streams (they differ from the exports, which say how long a track really played):
- `ts` = `played_at`, which Spotify documents as when the track was played; we treat it as the END
  of the stream, like the exports' `ts` (the API lists a play once it finished or passed 30 s).
- `ms_played` = the track's `duration_ms`: the API has no played duration, so this is an upper bound.
- `stream_key` = md5('api' ␞ played_at ␞ track_id): exact duplicates only; matching API plays to
  export rows (±60 s) is the loader's job.
Catalog fields Spotify removed in 2026 (popularity, followers, label, genres) are read when present
and null otherwise; audio features are never used. Ids in a bundle's `not_found` list (see
extract/spotify/enrich.py) give `not_found` rows.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, date, datetime

import orjson
import pyarrow as pa

from contracts.datasets import DATASETS
from contracts.layout import RAW_CONTAINER, TOP_TIME_RANGES, ApiFile
from contracts.load_message import CuratedFile, LoadMessage
from settings import Settings
from storage.lake import Lake
from storage.parquet import write_parquet
from transform.pseudonym import user_id, user_id_key

logger = logging.getLogger(__name__)

_SEP = "\x1e"  # the record separator, as in transform.history's stream keys


def _played_at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def stream_key(played_at: str, track_id: str | None) -> str:
    return hashlib.md5(_SEP.join(("api", played_at, track_id or "")).encode()).hexdigest()


def stream_rows(page: dict, user_id: str, origin: str) -> list[dict]:
    """One streams row per play in a recently-played page."""
    rows = []
    for item in page.get("items") or []:
        track, played_at = item.get("track"), item.get("played_at")
        if not track or not played_at:
            continue
        is_episode = track.get("type") == "episode"
        album = track.get("album") or {}
        artists = track.get("artists") or []
        row = dict.fromkeys(
            (
                "episode_name",
                "show_name",
                "episode_id",
                "audiobook_title",
                "audiobook_id",
                "chapter_title",
                "chapter_id",
                "reason_start",
                "reason_end",
                "shuffle",
                "skipped",
                "offline",
                "offline_at",
                "incognito",
                "platform",
                "conn_country",
            )
        )
        row.update(
            user_id=user_id,
            stream_key=stream_key(played_at, track.get("id")),
            source="api",
            ts=_played_at(played_at),
            ms_played=int(track.get("duration_ms") or 0),
            content_type="podcast" if is_episode else "music",
            track_name=None if is_episode else track.get("name"),
            artist_name=None if is_episode else (artists[0].get("name") if artists else None),
            album_name=None if is_episode else album.get("name"),
            track_id=None if is_episode else track.get("id"),
            origin=origin,
        )
        if is_episode:  # the API says it lists no episodes; keep them right if it ever does
            row.update(
                episode_name=track.get("name"),
                show_name=(track.get("show") or {}).get("name"),
                episode_id=track.get("id"),
            )
        rows.append(row)
    return rows


def top_item_rows(doc: dict, user_id: str, snapshot: date, time_range: str, item_type: str) -> list[dict]:
    offset = int(doc.get("offset") or 0)
    return [
        {
            "user_id": user_id,
            "snapshot_date": snapshot,
            "time_range": time_range,
            "item_type": item_type,
            "rank": offset + i + 1,
            "item_id": item["id"],
            "name": item.get("name"),
        }
        for i, item in enumerate(doc.get("items") or [])
        if item and item.get("id")
    ]


def _objects(doc: dict, plural: str) -> list[dict]:
    """The catalog objects in a single-id or batch answer (batch answers may hold nulls)."""
    if plural in doc and isinstance(doc[plural], list):
        return [obj for obj in doc[plural] if obj and obj.get("id")]
    return [doc] if doc.get("id") else []


def _not_found(doc: dict) -> list[str]:
    """Ids the enrichment recorded as unknown to Spotify (its bundles' `not_found` list)."""
    return [i for i in doc.get("not_found") or [] if isinstance(i, str) and i]


def _int(value) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def track_rows(doc: dict, fetched_at: datetime) -> tuple[list[dict], list[dict]]:
    """(tracks, track_artists) rows of a tracks answer or bundle, `not_found` ids included."""
    empty = dict.fromkeys(
        ("name", "album_id", "duration_ms", "explicit", "disc_number", "track_number", "isrc", "popularity")
    )
    tracks = [{"track_id": i, **empty, "not_found": True, "fetched_at": fetched_at} for i in _not_found(doc)]
    bridge = []
    for obj in _objects(doc, "tracks"):
        tracks.append(
            {
                "track_id": obj["id"],
                "name": obj.get("name"),
                "album_id": (obj.get("album") or {}).get("id"),
                "duration_ms": _int(obj.get("duration_ms")),
                "explicit": obj.get("explicit"),
                "disc_number": _int(obj.get("disc_number")),
                "track_number": _int(obj.get("track_number")),
                "isrc": (obj.get("external_ids") or {}).get("isrc"),
                "popularity": _int(obj.get("popularity")),  # removed in 2026: usually null
                "not_found": False,
                "fetched_at": fetched_at,
            }
        )
        artists = [a for a in obj.get("artists") or [] if a and a.get("id")]
        bridge += [
            {"track_id": obj["id"], "artist_id": a["id"], "position": i} for i, a in enumerate(artists)
        ]
    return tracks, bridge


def album_rows(doc: dict, fetched_at: datetime) -> list[dict]:
    """albums rows of an albums answer or bundle, `not_found` ids included."""
    empty = dict.fromkeys(
        (
            "name",
            "album_type",
            "release_date",
            "release_date_precision",
            "total_tracks",
            "label",
            "popularity",
        )
    )
    missing = [{"album_id": i, **empty, "not_found": True, "fetched_at": fetched_at} for i in _not_found(doc)]
    return missing + [
        {
            "album_id": obj["id"],
            "name": obj.get("name"),
            "album_type": obj.get("album_type"),
            "release_date": obj.get("release_date"),
            "release_date_precision": obj.get("release_date_precision"),
            "total_tracks": _int(obj.get("total_tracks")),
            "label": obj.get("label") or None,  # removed in 2026 (the spec still lists it, empty)
            "popularity": _int(obj.get("popularity")),
            "not_found": False,
            "fetched_at": fetched_at,
        }
        for obj in _objects(doc, "albums")
    ]


def artist_rows(doc: dict, fetched_at: datetime) -> tuple[list[dict], list[dict]]:
    """(artists, artist_genres) rows; genres are deprecated and usually absent."""
    empty = {"name": None, "popularity": None, "followers": None}
    artists: list[dict[str, object]] = [
        {"artist_id": i, **empty, "not_found": True, "fetched_at": fetched_at} for i in _not_found(doc)
    ]
    genres = []
    for obj in _objects(doc, "artists"):
        followers = obj.get("followers")
        artists.append(
            {
                "artist_id": obj["id"],
                "name": obj.get("name"),
                "popularity": _int(obj.get("popularity")),
                "followers": _int(followers.get("total")) if isinstance(followers, dict) else None,
                "not_found": False,
                "fetched_at": fetched_at,
            }
        )
        genres += [{"artist_id": obj["id"], "genre": g} for g in dict.fromkeys(obj.get("genres") or []) if g]
    return artists, genres


def curated_rows(
    endpoint: str, day: date, name: str, doc: dict, user_id: str, origin: str
) -> dict[str, list]:
    """dataset -> rows for one raw API file (pure); an unknown endpoint gives {}."""
    fetched_at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    if endpoint == "recently-played":
        return {"streams": stream_rows(doc, user_id, origin)}
    if endpoint in ("top-tracks", "top-artists") and name in TOP_TIME_RANGES:
        item_type = endpoint.removeprefix("top-").removesuffix("s")
        return {"top_items": top_item_rows(doc, user_id, day, name, item_type)}
    if endpoint == "tracks":
        tracks, bridge = track_rows(doc, fetched_at)
        return {"tracks": tracks, "track_artists": bridge}
    if endpoint == "albums":
        return {"albums": album_rows(doc, fetched_at)}
    if endpoint == "artists":
        artists, genres = artist_rows(doc, fetched_at)
        return {"artists": artists, "artist_genres": genres}
    return {}


PER_USER = ("streams", "top_items")


def curate_api_file(lake: Lake, path: str, settings: Settings) -> LoadMessage | None:
    """Curate one landed Web API response (`path` inside raw/); None when there is nothing to load."""
    answer = ApiFile.parse(path)
    if answer is None:
        logger.info("raw spotify-api file not in the <endpoint>/dt=YYYY-MM-DD/<name>.json layout, skipped")
        return None
    doc = orjson.loads(lake.read_bytes(RAW_CONTAINER, path))
    uid = user_id(settings.spotify_user, user_id_key(lake, settings))
    rows_by_dataset = curated_rows(answer.endpoint, answer.day, answer.name, doc, uid, path)
    datasets = {k: rows for k, rows in rows_by_dataset.items() if rows}
    if not datasets:
        logger.info("raw %s: no rows to curate", path)
        return None
    files = []
    for dataset, rows in datasets.items():
        curated = answer.curated_path(dataset, uid if dataset in PER_USER else None)
        table = pa.Table.from_pylist(rows, schema=DATASETS[dataset])
        write_parquet(lake, curated, table)
        files.append(CuratedFile(dataset, curated, table.num_rows))
    logger.info("curated %s: %s", path, ", ".join(f"{f.rows} {f.dataset}" for f in files))
    return LoadMessage(curated_from=f"{RAW_CONTAINER}/{path}", files=tuple(files))
