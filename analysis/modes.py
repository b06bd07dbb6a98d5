"""Listening modes: K-means over a listener's sessions (or over listeners), named in plain words.

Pure: session rows in (analysis.sessions, as an Arrow table), modes out. Each session becomes
one vector of FEATURES:

- the local hour of its start, on a circle (sine and cosine, so 23:00 is next to 01:00);
- its length (log of minutes), skip rate, shuffle share (where the source says; else the
  listener's average), artists per hour (log), podcast share, new-artist share;
- its device family: the shares of streams on a phone and on a computer (the rest: other).

The vectors are standardized; K-means runs for every k from 2 to 8 (fewer with few sessions,
n_init=10, random_state=0) and the k with the best silhouette wins (on a fixed sample of at most
SILHOUETTE_SAMPLE sessions). Modes are numbered by size, so the same data gives the same modes,
numbers and labels every time. A label says what a mode's sessions are like, from their medians:
"late night, long, album-like, few skips".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

MIN_SESSIONS = 20
MIN_USERS = 5
K_RANGE = range(2, 9)
SILHOUETTE_SAMPLE = 4000
FEATURES = (
    "hour_sin",
    "hour_cos",
    "log_minutes",
    "skip_rate",
    "shuffle_share",
    "log_artists_per_hour",
    "podcast_share",
    "new_artist_share",
    "phone_share",
    "computer_share",
)
VARIETY_STREAMS = 4  # "album-like" / "many artists" only for sessions of at least this many streams
MIN_HOURS = 0.25  # artists per hour of a session shorter than 15 minutes: per 15 minutes


class NotEnoughSessions(ValueError):
    """Too few sessions (or listeners) to find modes in; the message says how many there are."""


@dataclass(frozen=True)
class Profile:
    """What a group of sessions is like: medians in plain units (the label is made from these)."""

    hour: float  # circular mean of the local start hour, 0-24
    hour_spread: float  # 0: all at one hour, 1: spread round the clock
    minutes: float
    streams: float  # median streams per session
    skip_rate: float
    shuffle_share: float
    artists_per_hour: float
    podcast_share: float
    new_artist_share: float
    device: str  # phone | computer | other: where most of its streams were played


@dataclass(frozen=True)
class Mode:
    mode_id: int  # 1 = the most sessions
    label: str
    sessions: int
    ms_played: int
    profile: Profile


@dataclass(frozen=True)
class Modes:
    modes: tuple[Mode, ...]
    assignment: np.ndarray  # mode_id per input row, in input order
    silhouette: float
    k_scores: dict[int, float]  # silhouette of every k tried


def _floats(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return values.cast(pa.float64()).to_numpy(zero_copy_only=False)


def _col(table: pa.Table, name: str) -> np.ndarray:
    return _floats(table[name])


def session_vectors(sessions: pa.Table) -> dict[str, np.ndarray]:
    """Every feature (and the raw figures the labels use), one value per session."""
    streams = np.maximum(_col(sessions, "streams"), 1)
    seconds = np.maximum(_col(sessions, "seconds"), 0)
    local = sessions["local_start"]
    hour = _floats(pc.hour(local)) + _floats(pc.minute(local)) / 60.0
    known = _col(sessions, "shuffle_known")
    shuffle = np.divide(_col(sessions, "shuffled"), known, out=np.full(len(known), np.nan), where=known > 0)
    fill = float(np.nanmean(shuffle)) if (known > 0).any() else 0.0
    shuffle = np.where(np.isnan(shuffle), fill, shuffle)
    minutes = seconds / 60.0
    per_hour = _col(sessions, "artists") / np.maximum(minutes / 60.0, MIN_HOURS)
    return {
        "streams": streams,
        "hour": hour,
        "hour_sin": np.sin(2 * math.pi * hour / 24),
        "hour_cos": np.cos(2 * math.pi * hour / 24),
        "minutes": minutes,
        "log_minutes": np.log1p(minutes),
        "skip_rate": _col(sessions, "skips") / streams,
        "shuffle_share": shuffle,
        "artists_per_hour": per_hour,
        "log_artists_per_hour": np.log1p(per_hour),
        "podcast_share": _col(sessions, "podcasts") / streams,
        "new_artist_share": _col(sessions, "new_artist_streams") / streams,
        "phone_share": _col(sessions, "phone") / streams,
        "computer_share": _col(sessions, "computer") / streams,
    }


def matrix(vectors: Mapping[str, np.ndarray]) -> np.ndarray:
    return np.column_stack([vectors[name] for name in FEATURES])


def profile(vectors: Mapping[str, np.ndarray], rows: np.ndarray) -> Profile:
    """The medians (and the circular mean hour) of some rows."""
    sin, cos = float(vectors["hour_sin"][rows].mean()), float(vectors["hour_cos"][rows].mean())
    hour = (math.degrees(math.atan2(sin, cos)) / 15) % 24
    phone, computer = (
        float(vectors["phone_share"][rows].mean()),
        float(vectors["computer_share"][rows].mean()),
    )
    other = 1 - phone - computer
    device = max((("phone", phone), ("computer", computer), ("other", other)), key=lambda p: p[1])[0]

    def median(name: str) -> float:
        return float(np.median(vectors[name][rows]))

    return Profile(
        hour=round(hour, 2),
        hour_spread=round(1 - math.hypot(sin, cos), 3),
        minutes=round(median("minutes"), 1),
        streams=round(median("streams"), 1),
        skip_rate=round(float(vectors["skip_rate"][rows].mean()), 3),
        shuffle_share=round(float(vectors["shuffle_share"][rows].mean()), 3),
        artists_per_hour=round(median("artists_per_hour"), 1),
        podcast_share=round(float(vectors["podcast_share"][rows].mean()), 3),
        new_artist_share=round(float(vectors["new_artist_share"][rows].mean()), 3),
        device=device,
    )


def _time_of_day(p: Profile) -> str:
    if p.hour_spread > 0.6:
        return "any time"
    h = p.hour
    if 5 <= h < 12:
        return "morning"
    if 12 <= h < 17:
        return "afternoon"
    if 17 <= h < 22:
        return "evening"
    return "late night"


def label(p: Profile) -> str:
    """Plain words for a profile: when, how long, how varied, how skippy, and what stands out."""
    words = [_time_of_day(p)]
    words.append("short" if p.minutes < 20 else "long" if p.minutes >= 75 else "mid-length")
    if p.podcast_share >= 0.5:
        words.append("podcasts")
    elif p.streams >= VARIETY_STREAMS and p.artists_per_hour <= 5:
        words.append("album-like")
    elif p.streams >= VARIETY_STREAMS and p.artists_per_hour >= 12:
        words.append("many artists")
    if p.skip_rate < 0.15:
        words.append("few skips")
    elif p.skip_rate >= 0.4:
        words.append("lots of skips")
    if p.shuffle_share >= 0.6:
        words.append("on shuffle")
    if p.new_artist_share >= 0.15:
        words.append("discovering")
    if p.device in ("phone", "computer"):
        words.append("on the phone" if p.device == "phone" else "at the computer")
    return ", ".join(words)


def _unique(labels: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for text in labels:
        seen[text] = seen.get(text, 0) + 1
        result.append(text if seen[text] == 1 else f"{text} ({seen[text]})")
    return result


def cluster(x: np.ndarray, ks: range = K_RANGE) -> tuple[np.ndarray, float, dict[int, float]]:
    """Standardize, K-means for every k in `ks` that the rows allow, keep the best silhouette.

    Returns labels (0-based, in row order), the best silhouette and every k's silhouette. On one
    thread: these are small matrices, and OpenMP's threads spin against each other on a small,
    busy machine (the demo's 1,384 sessions: 18.8 s on 2 loaded cores, 0.4 s on one thread).
    """
    with threadpool_limits(limits=1):
        return _cluster(x, ks)


def _cluster(x: np.ndarray, ks: range) -> tuple[np.ndarray, float, dict[int, float]]:
    scaled = StandardScaler().fit_transform(x)
    distinct = len(np.unique(scaled.round(9), axis=0))
    candidates = [k for k in ks if k < min(len(scaled), distinct + 1)]
    if not candidates:
        raise NotEnoughSessions(f"{len(x)} rows, {distinct} distinct: too few to cluster")
    sample = min(len(scaled), SILHOUETTE_SAMPLE)
    scores: dict[int, float] = {}
    best: tuple[float, int, np.ndarray] | None = None
    for k in candidates:
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(scaled)
        if len(np.unique(labels)) < 2:
            continue
        score = float(silhouette_score(scaled, labels, sample_size=sample, random_state=0))
        scores[k] = round(score, 4)
        if best is None or score > best[0] + 1e-9:
            best = (score, k, labels)
    if best is None:
        raise NotEnoughSessions(f"{len(x)} rows do not split into groups")
    return best[2], round(best[0], 4), scores


def find_modes(sessions: pa.Table) -> Modes:
    """Listening modes of one listener's sessions (NotEnoughSessions below MIN_SESSIONS)."""
    if sessions.num_rows < MIN_SESSIONS:
        raise NotEnoughSessions(
            f"listening modes need at least {MIN_SESSIONS} sessions; the period has {sessions.num_rows}"
        )
    vectors = session_vectors(sessions)
    labels, silhouette, scores = cluster(matrix(vectors))
    ms = _col(sessions, "ms_played")
    modes, assignment = _numbered(labels, vectors, ms)
    return Modes(modes, assignment, silhouette, scores)


def _numbered(
    labels: np.ndarray, vectors: Mapping[str, np.ndarray], ms: np.ndarray
) -> tuple[tuple[Mode, ...], np.ndarray]:
    """Clusters numbered by size (ties: by their mean feature vector), profiled and labelled."""
    x = matrix(vectors)
    groups = sorted(
        np.unique(labels),
        key=lambda c: (-int((labels == c).sum()), tuple(x[labels == c].mean(axis=0).round(9))),
    )
    assignment = np.zeros(len(labels), np.int32)
    profiles = []
    for number, cluster_label in enumerate(groups, 1):
        rows = np.nonzero(labels == cluster_label)[0]
        assignment[rows] = number
        profiles.append((number, rows, profile(vectors, rows)))
    names = _unique([label(p) for _, _, p in profiles])
    modes = tuple(
        Mode(number, name, len(rows), int(ms[rows].sum()), p)
        for (number, rows, p), name in zip(profiles, names, strict=True)
    )
    return modes, assignment


@dataclass(frozen=True)
class Segments:
    users: tuple[str, ...]
    modes: tuple[Mode, ...]  # one per segment: `sessions` counts users here
    assignment: np.ndarray  # segment id per user
    silhouette: float


def segment_users(sessions: pa.Table) -> Segments:
    """Listeners grouped by the average of their session vectors (NotEnoughSessions below MIN_USERS)."""
    users = sorted(set(sessions["user_id"].to_pylist()))
    if len(users) < MIN_USERS:
        raise NotEnoughSessions(
            f"segmenting listeners needs at least {MIN_USERS} listeners with sessions; this warehouse has"
            f" {len(users)}, so each is shown their own listening modes only"
        )
    vectors = session_vectors(sessions)
    owner = np.array(sessions["user_id"].to_pylist(), dtype=object)
    per_user = {
        name: np.array([values[owner == u].mean() for u in users]) for name, values in vectors.items()
    }
    # The typical session length of a listener is a median, not a mean of the logs.
    per_user["minutes"] = np.array([np.median(vectors["minutes"][owner == u]) for u in users])
    labels, silhouette, _ = cluster(matrix(per_user), range(2, min(8, len(users) - 1) + 1))
    modes, assignment = _numbered(labels, per_user, np.zeros(len(users)))
    return Segments(tuple(users), modes, assignment, silhouette)
