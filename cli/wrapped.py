"""`python -m cli wrapped`: the listening summary for any period, human-readable or JSON."""

from __future__ import annotations

import json
from datetime import date

from cli.common import UserError, add_lake_options, add_user_option, check_user, settings_from


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "wrapped",
        help="print the listening summary (any period, not just once a year)",
        description="Streams, plays (≥ 30 s), minutes and your top artists and tracks; dates are UTC.",
    )
    parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day, inclusive (UTC)")
    parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day, inclusive (UTC)")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="how many top items (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_lake_options(parser)
    add_user_option(parser)


def _date(value: str | None, option: str) -> date | None:

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option} must be a date like 2024-01-31, not {value!r}") from None


def _fmt_minutes(ms: int) -> str:
    return f"{ms / 60000:,.1f}"


def render(summary: dict) -> str:
    """The human-readable summary."""
    lines = []
    first = summary.get("from") or summary.get("first_stream_date") or "the beginning"
    span = f"{first} → {summary.get('to') or summary.get('last_stream_date') or 'today'}"
    lines.append(f"Your listening, {span} (UTC)")
    if not summary["streams"]:
        lines.append(
            "  No music streams in this period. Ingest an export first: python -m cli ingest EXPORT.zip"
        )
        return "\n".join(lines)
    hours = summary["minutes"] / 60
    lines.append(
        f"  {summary['streams']:,} streams · {summary['plays']:,} plays (≥ 30 s) · "
        f"{summary['minutes']:,.1f} minutes ({hours:,.1f} hours)"
    )
    if summary.get("distinct_artists"):
        lines.append(f"  {summary['distinct_artists']:,} artists · {summary['distinct_tracks']:,} tracks")
    sections = [
        ("Top artists", summary["top_artists"], lambda r: r["artist"], None),
        ("Top tracks", summary["top_tracks"], lambda r: f"{r['track']} — {r['artist']}", "plays"),
        ("Top albums", summary.get("top_albums") or [], lambda r: f"{r['album']} — {r['artist']}", None),
        ("Top genres", summary.get("top_genres") or [], lambda r: r["genre"], None),
    ]
    for title, rows, label, count_key in sections:
        if not rows:
            continue
        labels = [label(r) for r in rows]
        width = min(max(len(x) for x in labels) + 2, 60)
        header = f"\n{title}".ljust(width + 6) + (f"{'plays':>7}" if count_key else "") + f"{'minutes':>11}"
        lines.append(header)
        for rank, (row, text) in enumerate(zip(rows, labels, strict=True), 1):
            text = text if len(text) <= width - 2 else text[: width - 3] + "…"
            count = f"{row[count_key]:>7,}" if count_key else ""
            lines.append(f"{rank:>3}. {text.ljust(width)}{count}{_fmt_minutes(row['ms_played']):>11}")
    return "\n".join(lines)


def run(args) -> int:
    from load.errors import WarehouseUnavailable  # lazy: other commands stay fast
    from load.warehouse import open_warehouse
    from load.wrapped import wrapped
    from storage import open_lake
    from transform.pseudonym import user_id, user_id_key

    user = check_user(args.user)
    date_from, date_to = _date(args.date_from, "--from"), _date(args.date_to, "--to")
    if date_from and date_to and date_from > date_to:
        raise UserError(f"--from {date_from} is after --to {date_to}")
    if args.top < 1:
        raise UserError("--top must be at least 1")
    settings = settings_from(args)
    if not settings.uses_storage_account and not settings.lake_dir.is_dir():
        # Reading must not create a lake (or a new pseudonymisation key) at a mistyped path.
        raise UserError(f"no lake at {settings.lake_dir}: ingest an export first (python -m cli ingest ...)")
    lake = open_lake(settings)
    try:
        with open_warehouse(settings) as warehouse:
            summary = wrapped(
                warehouse, user_id(user, user_id_key(lake, settings)), date_from, date_to, args.top
            )
    except WarehouseUnavailable as error:
        raise UserError(str(error)) from None
    summary = {"from": date_from and date_from.isoformat(), "to": date_to and date_to.isoformat(), **summary}
    print(json.dumps(summary, indent=2, default=str, ensure_ascii=False) if args.json else render(summary))
    return 0
