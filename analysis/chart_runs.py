"""Chart runs: every track's time on one region's Top 200, as one row of SQL-computed figures.

A run is a (track, region) pair: it starts on the track's first day on that region's Top 200
(`first_date`, day 1) and is followed for HORIZON_DAYS days. Its first FIRST_WEEK days are what
the hit model may see; what it reaches within the horizon is what it predicts:

- rank_d1 .. rank_d7: its rank on each of the first seven days (null: not on the chart that day);
- streams_d1 .. streams_d7, and the share of those days it moved up (`trend` MOVE_UP);
- regions_by_d7: in how many regions' Top 200 (its own included) it was by its day 7;
- the track's audio features (dim_chart_track_features), when its chart file had them (null otherwise);
- peak_rank, days_on_chart: its best rank and its number of days on the chart within the horizon;
- current_rank: its rank on the region's latest chart day, if it is on it.

One row per run, computed in the warehouse (26 million entries stay there); a track that holds
two ranks on one day (a data error) counts with its better one.
"""

from __future__ import annotations

from contracts.charts import FLOAT_FEATURES
from load.dialect import Dialect

HORIZON_DAYS = 90  # what is predicted: peak rank and days on chart within this many days of entering
FIRST_WEEK = 7  # what the model sees: the first this many days
TOP = 200
AUDIO_FEATURES = FLOAT_FEATURES  # the model averages the float ones (key, mode, … are not scales)
DAYS = tuple(range(1, FIRST_WEEK + 1))


def runs_sql(d: Dialect, horizon: int = HORIZON_DAYS) -> str:
    """One row per run (see the module docstring), with the region's first and last chart day.

    Shaped for a bounded memory: the per-day figures are aggregated from the entries directly (one
    pass, numbers only), and the names once per track, joined at the end with the audio features.
    """
    if horizon < FIRST_WEEK:
        raise ValueError(f"the horizon must be at least {FIRST_WEEK} days, not {horizon}")
    top = f"{d.table('fact_chart_entry')} AS e WHERE e.chart = {d.lit('top200')}"
    bounds = (
        f"SELECT e.region, MIN(e.chart_date) AS region_first, MAX(e.chart_date) AS region_last FROM {top}"
        " GROUP BY e.region"
    )
    firsts = (
        "SELECT e.track_id, e.region, MIN(e.country) AS country, MIN(e.chart_date) AS first_date"
        f" FROM {top} AND e.track_id IS NOT NULL GROUP BY e.track_id, e.region"
    )
    reach = (
        "SELECT f.track_id, f.region, COUNT(*) AS regions_by_d7 FROM firsts AS f"
        " INNER JOIN firsts AS o ON o.track_id = f.track_id"
        f" AND o.first_date <= {d.add_days('f.first_date', FIRST_WEEK - 1)}"
        " GROUP BY f.track_id, f.region"
    )
    tracks = (
        "SELECT e.track_id, MIN(e.title) AS title, MIN(e.artist) AS artist"
        f" FROM {top} AND e.track_id IS NOT NULL GROUP BY e.track_id"
    )
    age = d.days_between("f.first_date", "e.chart_date")
    week = f"a.age < {FIRST_WEEK}"
    move_up = d.lit("MOVE_UP")

    def on_day(column: str, day: int, how: str) -> str:
        return f"{how}(CASE WHEN a.age = {day - 1} THEN a.{column} END)"

    # One row per (track, region, day) within the horizon: a track listed twice on one day (a data
    # error) counts once, with its better rank. Numbers only, so the aggregate can spill to disk.
    days = (
        f"SELECT e.track_id, e.region, {age} AS age, MIN(e.rank) AS rank, MAX(e.streams) AS streams,"
        f" MAX(CASE WHEN e.trend = {move_up} THEN 1 ELSE 0 END) AS moved_up"
        f" FROM {d.table('fact_chart_entry')} AS e INNER JOIN firsts AS f"
        " ON f.track_id = e.track_id AND f.region = e.region"
        f" WHERE e.chart = {d.lit('top200')} AND {age} < {int(horizon)}"
        f" GROUP BY e.track_id, e.region, {age}"
    )
    per_run = (
        "SELECT a.track_id, a.region,"
        + "".join(f" {on_day('rank', n, 'MIN')} AS rank_d{n}," for n in DAYS)
        + "".join(f" {on_day('streams', n, 'MAX')} AS streams_d{n}," for n in DAYS)
        + f" SUM(CASE WHEN {week} THEN a.moved_up ELSE 0 END) AS moves_up,"
        " MIN(a.rank) AS peak_rank, COUNT(*) AS days_on_chart"
        " FROM days AS a GROUP BY a.track_id, a.region"
    )
    current = (
        "SELECT e.track_id, e.region, MIN(e.rank) AS current_rank FROM "
        f"{d.table('fact_chart_entry')} AS e INNER JOIN bounds AS b ON b.region = e.region"
        f" AND e.chart_date = b.region_last WHERE e.chart = {d.lit('top200')} AND e.track_id IS NOT NULL"
        " GROUP BY e.track_id, e.region"
    )
    columns = [
        "p.track_id",
        "p.region",
        "f.country",
        "f.first_date",
        "b.region_first",
        "b.region_last",
        "t.title",
        "t.artist",
        *(f"p.rank_d{n}" for n in DAYS),
        *(f"p.streams_d{n}" for n in DAYS),
        "p.moves_up",
        "r.regions_by_d7",
        *(f"af.{d.ident(f)}" for f in AUDIO_FEATURES),
        "p.peak_rank",
        "p.days_on_chart",
        # Its rank on the region's latest day, if that day is within its horizon.
        f"CASE WHEN {d.days_between('f.first_date', 'b.region_last')} < {int(horizon)}"
        " THEN c.current_rank END AS current_rank",
    ]
    return (
        f"WITH bounds AS ({bounds}), firsts AS ({firsts}), reach AS ({reach}), tracks AS ({tracks}),"
        f" days AS ({days}), per_run AS ({per_run}), latest AS ({current})"
        f" SELECT {', '.join(columns)} FROM per_run AS p"
        " INNER JOIN firsts AS f ON f.track_id = p.track_id AND f.region = p.region"
        " INNER JOIN bounds AS b ON b.region = p.region"
        " INNER JOIN reach AS r ON r.track_id = p.track_id AND r.region = p.region"
        " INNER JOIN tracks AS t ON t.track_id = p.track_id"
        " LEFT JOIN latest AS c ON c.track_id = p.track_id AND c.region = p.region"
        # One row per track (or none: a file without audio features).
        f" LEFT JOIN {d.table('dim_chart_track_features')} AS af ON af.track_id = p.track_id"
        # A fixed order: the forest's bootstrap draws rows by position, so the same data trains the same.
        " ORDER BY p.region, f.first_date, p.track_id"
    )


def chart_span_sql(d: Dialect) -> str:
    """The Top 200 data's first day, last day and regions (the model's data range)."""
    return (
        "SELECT MIN(e.chart_date), MAX(e.chart_date), COUNT(DISTINCT e.region)"
        f" FROM {d.table('fact_chart_entry')} AS e WHERE e.chart = {d.lit('top200')}"
    )
