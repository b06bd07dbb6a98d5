"""The public record generators: extended-history, video and account-data history rows."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime

from samples.generate.clock import DAY_MS
from samples.generate.listening import _listener, _span
from samples.generate.names import _VIDEO_SHOWS, _episode
from samples.generate.vintages import SAMPLE_SEED, _vintage


def extended_records(
    n: int, seed: int = SAMPLE_SEED, vintage: str = "modern", *, start: datetime | None = None
) -> list[dict]:
    """`n` distinct extended-history plays (no duplicates), oldest first, in the vintage's field set."""
    v = _vintage(vintage)
    span = _span(v, start)
    listener = _listener(seed, v, n, span)
    return list(listener.plays(n, *span, random.Random(f"{seed}:extended")))


def video_records(n: int, seed: int = SAMPLE_SEED, vintage: str = "modern") -> list[dict]:
    """`n` video-podcast plays over the vintage's span (Streaming_History_Video / endvideo)."""
    v = _vintage(vintage)
    start, end = _span(v, None)
    rng = random.Random(f"{seed}:video")
    listener = _listener(seed, v, 0, (start, end))
    records = []
    for moment in sorted(rng.randint(start, end) for _ in range(n)):
        name, minutes = rng.choice(_VIDEO_SHOWS)
        number = 1 + (moment - start) // (14 * DAY_MS)
        episode, uri, duration = _episode(name, number, minutes)
        ms = int(duration * rng.uniform(0.05, 1.0))
        session = listener._session(rng, moment)
        content = (None, None, None, None, episode, name, uri, None, None, None, None)
        reason_end = "trackdone" if ms > duration * 0.95 else "endplay"
        records.append(
            listener._record(
                rng, session, moment, moment + ms, ms, content, "clickrow", reason_end, False, False
            )
        )
    return records


def _account_music(record: dict) -> dict:
    return {
        "endTime": record["ts"][:10] + " " + record["ts"][11:16],
        "artistName": record["master_metadata_album_artist_name"],
        "trackName": record["master_metadata_track_name"],
        "msPlayed": record["ms_played"],
    }


def _account_podcast(record: dict) -> dict:
    return {
        "endTime": record["ts"][:10] + " " + record["ts"][11:16],
        "podcastName": record["episode_show_name"],
        "episodeName": record["episode_name"],
        "msPlayed": record["ms_played"],
    }


def account_records(
    extended: Iterable[dict],
    seed: int = SAMPLE_SEED,
    *,
    since: str | None = None,
    extra: Iterable[dict] = (),
    keep: float = 0.93,
) -> dict[str, list[dict]]:
    """Account-data history (`music`, `podcast`) seen from extended records.

    Keeps a `keep` share of the extended music and podcast rows whose `ts` ≥ `since`
    (ISO prefix), at minute precision; every row of `extra` (plays the extended package does not
    have, e.g. from the days between the two packages) is added. Audiobooks and rows with no
    metadata are not in these files. Sorted by endTime, as Spotify writes them.
    """
    rng = random.Random(f"{seed}:account")
    music, podcast = [], []
    chosen = [r for r in extended if (since is None or r["ts"] >= since) and rng.random() < keep]
    for record in [*chosen, *extra]:
        if record["master_metadata_track_name"] is not None:
            music.append(_account_music(record))
        elif record["episode_name"] is not None:
            podcast.append(_account_podcast(record))
    music.sort(key=lambda r: r["endTime"])
    podcast.sort(key=lambda r: r["endTime"])
    return {"music": music, "podcast": podcast}
