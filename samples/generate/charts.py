"""Synthetic public chart files of the real shape (Kaggle dhruvildave/spotify-charts `charts.csv`).

Every day, every region, a Top 200 (with streams) and a Viral 50 (without), from a made-up pool
of tracks whose popularity rises after release, peaks, and decays, differently per region; trends
follow from the day before. Catchier tracks (more danceable, more energetic) peak higher and stay
longer, so a hit model has something real to learn. With `features=True` the file is the wider
variant (sunnykakar/spotify-charts-all-audio-data): a leading index column, track metadata and
`af_*` audio features. Deterministic: the same seed gives the same bytes. Vectorised with numpy
and written in chunks, so 26 million rows take tens of seconds and little memory.

    python -m samples.generate.charts --out /tmp/charts.csv --rows 1000000 [--features] [--bad-rows 10]
        [--regions 8]
"""

from __future__ import annotations

import argparse
import math
import string
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

REGIONS = (
    "Global", "Argentina", "Australia", "Austria", "Belgium", "Bolivia", "Brazil", "Bulgaria", "Canada",
    "Chile", "Colombia", "Costa Rica", "Czech Republic", "Denmark", "Dominican Republic", "Ecuador",
    "Egypt", "El Salvador", "Estonia", "Finland", "France", "Germany", "Greece", "Guatemala", "Honduras",
    "Hong Kong", "Hungary", "Iceland", "India", "Indonesia", "Ireland", "Israel", "Italy", "Japan",
    "Latvia", "Lithuania", "Luxembourg", "Malaysia", "Mexico", "Morocco", "Netherlands", "New Zealand",
    "Nicaragua", "Norway", "Panama", "Paraguay", "Peru", "Philippines", "Poland", "Portugal", "Romania",
    "Russia", "Saudi Arabia", "Singapore", "Slovakia", "South Africa", "South Korea", "Spain", "Sweden",
    "Switzerland", "Taiwan", "Thailand", "Turkey", "Ukraine", "United Arab Emirates", "United Kingdom",
    "United States", "Uruguay", "Vietnam", "Andorra",
)  # fmt: skip
FIRST_DAY = date(2017, 1, 1)
TOP, VIRAL = 200, 50
NEW_TRACKS_PER_DAY = 24
_WORDS = [
    "night",
    "summer",
    "fire",
    "gold",
    "heart",
    "city",
    "rain",
    "dance",
    "love",
    "light",
    "moon",
    "ocean",
    "dream",
    "wild",
    "electric",
    "neon",
    "velvet",
    "paper",
    "silver",
    "broken",
    "echo",
    "golden",
    "lonely",
    "midnight",
    "crazy",
    "sweet",
    "river",
    "highway",
    "shadow",
    "thunder",
    "sugar",
]
_NAMES = [
    "Nova",
    "Reyes",
    "Luna",
    "Kai",
    "Mara",
    "Ezra",
    "Zoe",
    "Leon",
    "Ivy",
    "Omar",
    "Sia",
    "Teo",
    "Nia",
    "Ravi",
    "Lia",
    "Juno",
    "Max",
    "Ari",
    "Mila",
    "Noor",
]
_BASE62 = np.array(list(string.digits + string.ascii_uppercase + string.ascii_lowercase))
FEATURE_COLUMNS = (
    "af_danceability", "af_energy", "af_key", "af_loudness", "af_mode", "af_speechiness",
    "af_acousticness", "af_instrumentalness", "af_liveness", "af_valence", "af_tempo", "af_time_signature",
)  # fmt: skip


class _Pool:
    """The made-up tracks: ids, names, features, and how popular each is, over time and per region."""

    def __init__(self, days: int, seed: int, regions: int):
        rng = np.random.default_rng(seed)
        self.count = n = NEW_TRACKS_PER_DAY * (days + 60)
        self.release = rng.integers(-60, days, n)  # some were out before the first chart day
        self.ids = np.array(["".join(row) for row in _BASE62[rng.integers(0, 62, (n, 22))]])
        words = rng.integers(0, len(_WORDS), (n, 2))
        self.titles = np.array([f"{_WORDS[a].title()} {_WORDS[b].title()}" for a, b in words], dtype=object)
        quoted = rng.random(n) < 0.02  # Spotify titles hold commas and quotes now and then
        self.titles[quoted] = [f'{t}, Pt. "II"' for t in self.titles[quoted]]
        first, second = rng.integers(0, len(_NAMES), n), rng.integers(0, len(_NAMES), n)
        featuring = rng.random(n) < 0.25
        self.artists = np.array(
            [
                f"{_NAMES[a]}, {_NAMES[b]}" if f else _NAMES[a]
                for a, b, f in zip(first, second, featuring, strict=True)
            ],
            dtype=object,
        )
        self.dance, self.energy = rng.beta(5, 3, n), rng.beta(5, 3, n)
        self.valence, self.acoustic = rng.beta(3, 3, n), rng.beta(2, 5, n)
        self.tempo = rng.normal(118, 24, n).clip(60, 200)
        self.duration = rng.normal(200_000, 35_000, n).clip(90_000, 420_000).astype(np.int64)
        catchy = 1.2 * self.dance + 0.8 * self.energy - 0.6 * self.acoustic
        self.appeal = np.exp(rng.normal(0, 0.9, n) + 1.6 * catchy)
        self.half_life = 6 + 40 * rng.beta(2, 4, n) * (0.5 + self.dance)  # days
        # Days to the peak: most tracks peak in their first week, a sleeper hit climbs for weeks.
        self.rise = np.where(rng.random(n) < 0.3, rng.uniform(8, 40, n), rng.uniform(1, 6, n))
        self.affinity = np.exp(rng.normal(0, 0.8, (n, regions)))
        home = rng.integers(0, regions, n)
        self.affinity[np.arange(n), home] *= 4  # every track has a place where it is bigger

    def popularity(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(track indexes, popularity per region, growth per region) of the tracks out on `day`."""
        age = day - self.release
        live = np.nonzero((age >= 0) & (age < 400))[0]
        a = age[live].astype(float)
        curve = np.minimum(1.0, (a + 1) / self.rise[live]) * np.exp2(
            -np.maximum(a - self.rise[live], 0) / self.half_life[live]
        )
        score = (self.appeal[live] * curve)[:, None] * self.affinity[live]
        growth = np.where(a < self.rise[live], 1 / self.rise[live], -1 / self.half_life[live])[:, None]
        return live, score, score * (1 + 3 * growth)


def _top(score: np.ndarray, k: int) -> np.ndarray:
    """Per region (column): the row indexes of the k highest scores, best first."""
    k = min(k, score.shape[0])
    part = np.argpartition(-score, k - 1, axis=0)[:k]
    order = np.argsort(-np.take_along_axis(score, part, axis=0), axis=0, kind="stable")
    return np.take_along_axis(part, order, axis=0)


def _trend(previous: dict, key: tuple, track: int, rank: int) -> str:
    before = previous.get(key, {}).get(track)
    if before is None:
        return "NEW_ENTRY"
    return "SAME_POSITION" if before == rank else ("MOVE_UP" if rank < before else "MOVE_DOWN")


def write_charts(
    path: str | Path,
    rows: int,
    seed: int = 20170101,
    features: bool = False,
    bad_rows: int = 0,
    regions: int = len(REGIONS),
) -> int:
    """Write a chart file of about `rows` rows (whole chart days) for the first `regions` regions
    (Global first); returns the rows written."""
    if not 1 <= regions <= len(REGIONS):
        raise ValueError(f"regions must be 1 to {len(REGIONS)}, not {regions}")
    names = REGIONS[:regions]
    per_day = len(names) * (TOP + VIRAL)
    days = max(1, math.ceil(rows / per_day))
    pool = _Pool(days, seed, len(names))
    rng = np.random.default_rng(seed + 1)
    streams_scale = np.exp(rng.normal(10, 1.2, len(names)))
    streams_scale[0] *= 25  # Global
    previous: dict[tuple[int, str], dict[int, int]] = {}
    written = 0
    writer = None
    try:
        for day in range(days):
            live, score, growth = pool.popularity(day)
            columns: dict[str, list] = {
                c: []
                for c in ("title", "rank", "date", "artist", "url", "region", "chart", "trend", "streams")
            }
            tracks: list[int] = []
            current: dict[tuple[int, str], dict[int, int]] = {}
            for chart, size, values in (("top200", TOP, score), ("viral50", VIRAL, growth)):
                best = _top(values, size)
                for region_index, region in enumerate(names):
                    picked = live[best[:, region_index]]
                    key = (region_index, chart)
                    current[key] = {int(t): r for r, t in enumerate(picked, 1)}
                    ranks = np.arange(1, len(picked) + 1)
                    columns["title"] += pool.titles[picked].tolist()
                    columns["rank"] += ranks.tolist()
                    columns["artist"] += pool.artists[picked].tolist()
                    columns["url"] += [f"https://open.spotify.com/track/{i}" for i in pool.ids[picked]]
                    columns["region"] += [region] * len(picked)
                    columns["chart"] += [chart] * len(picked)
                    columns["trend"] += [_trend(previous, key, int(t), r) for r, t in enumerate(picked, 1)]
                    if chart == "top200":
                        columns["streams"] += (
                            (streams_scale[region_index] * ranks**-0.75).astype(np.int64).tolist()
                        )
                    else:
                        columns["streams"] += [None] * len(picked)
                    tracks += picked.tolist()
            previous = current
            count = len(columns["rank"])
            columns["date"] = [(FIRST_DAY + timedelta(days=day)).isoformat()] * count
            table = pa.table({name: pa.array(values) for name, values in columns.items()})
            if features:
                table = _with_features(table, pool, np.array(tracks), written)
            if bad_rows and day == 0:
                table = pa.concat_tables([table, _bad(table, bad_rows)])
            if writer is None:
                # Quoted only where needed, as pandas writes it (the Kaggle file was written so).
                writer = pacsv.CSVWriter(
                    str(path), table.schema, write_options=pacsv.WriteOptions(quoting_style="needed")
                )
            writer.write_table(table)
            written += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return written


def _with_features(table: pa.Table, pool: _Pool, tracks: np.ndarray, offset: int) -> pa.Table:
    rng = np.random.default_rng(int(tracks.sum()) % 2**32)
    extra = {
        "track_id": pa.array(pool.ids[tracks]),
        "album": pa.array([f"{t} (Deluxe)" for t in pool.titles[tracks]]),
        "popularity": pa.array(rng.integers(20, 100, len(tracks))),
        "duration_ms": pa.array(pool.duration[tracks]),
        "explicit": pa.array(rng.random(len(tracks)) < 0.2),
        "release_date": pa.array(
            [(FIRST_DAY + timedelta(days=int(r))).isoformat() for r in pool.release[tracks]]
        ),
        "available_markets": pa.array(["['AR', 'AU', 'BR']"] * len(tracks)),  # quoted, with commas
        "af_danceability": pa.array(pool.dance[tracks].round(3)),
        "af_energy": pa.array(pool.energy[tracks].round(3)),
        "af_key": pa.array((tracks % 12).astype(np.int64)),
        "af_loudness": pa.array((-4 - 6 * pool.acoustic[tracks]).round(3)),
        "af_mode": pa.array((tracks % 2).astype(np.int64)),
        "af_speechiness": pa.array((0.03 + 0.1 * pool.valence[tracks] ** 3).round(4)),
        "af_acousticness": pa.array(pool.acoustic[tracks].round(4)),
        "af_instrumentalness": pa.array(np.zeros(len(tracks))),
        "af_liveness": pa.array((0.05 + 0.2 * pool.valence[tracks] ** 2).round(4)),
        "af_valence": pa.array(pool.valence[tracks].round(3)),
        "af_tempo": pa.array(pool.tempo[tracks].round(3)),
        "af_time_signature": pa.array(np.full(len(tracks), 4)),
    }
    index = pa.array(np.arange(offset, offset + table.num_rows))
    combined = {"Unnamed: 0": index, **{n: table[n] for n in table.column_names}, **extra}
    return pa.table(combined)


def _bad(table: pa.Table, count: int) -> pa.Table:
    """Rows the row rule sets aside: a bad date, rank 0, an unknown region, a URL with no track."""
    rows = table.slice(0, count).to_pylist()
    spoilers = (
        lambda r: r.update(date="2017-13-01"),
        lambda r: r.update(rank=0),
        lambda r: r.update(region="Atlantis"),
        lambda r: r.update(url="https://open.spotify.com/album/x"),
    )
    for index, row in enumerate(rows):
        spoilers[index % len(spoilers)](row)
    return pa.Table.from_pylist(rows, schema=table.schema)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m samples.generate.charts", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    parser.add_argument("--rows", type=int, default=1_000_000, help="about how many rows (default 1 000 000)")
    parser.add_argument("--seed", type=int, default=20170101, help="the same seed writes the same file")
    parser.add_argument("--features", action="store_true", help="the wider variant, with audio features")
    parser.add_argument(
        "--bad-rows", type=int, default=0, help="rows the row rule must set aside, on day one"
    )
    parser.add_argument(
        "--regions", type=int, default=len(REGIONS), help=f"how many regions (default all {len(REGIONS)})"
    )
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if not 1 <= args.regions <= len(REGIONS):
        parser.error(f"--regions must be 1 to {len(REGIONS)}")
    written = write_charts(args.out, args.rows, args.seed, args.features, args.bad_rows, args.regions)
    print(f"wrote {args.out}: {written:,} rows, {args.out.stat().st_size / 1e6:,.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
