"""`python -m cli modes`: the listening modes K-means finds in your sessions, in plain words."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from cli.common import (
    UserError,
    add_lake_options,
    add_period_options,
    add_user_option,
    check_user,
    period_from,
    require_lake,
    settings_from,
)

# What the run does to a local lake (cli.lock): writes.
LAKE_ACCESS = "write"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "modes",
        help="find your listening modes (K-means over your listening sessions)",
        description="Sessions (30-minute gaps end one) described by hour, length, skips, shuffle, "
        "artists per hour, podcasts, device and new artists; K-means with k from 2 to 8 chosen by "
        "silhouette. Stored as fact_session and dim_listening_mode for Power BI and wrapped.",
    )
    add_period_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_lake_options(parser)
    add_user_option(parser)


def as_dict(modes_run, segments, period) -> dict:
    modes = modes_run.modes
    result = {
        "from": period.first,
        "to": period.last,
        "sessions": int(sum(m.sessions for m in modes.modes)),
        "silhouette": modes.silhouette,
        "silhouette_by_k": modes.k_scores,
        "modes": [
            {
                "mode_id": m.mode_id,
                "label": m.label,
                "sessions": m.sessions,
                "minutes_share": modes_run.minutes_share[m.mode_id],
                "top_artists": modes_run.top_artists.get(m.mode_id, []),
                "profile": vars(m.profile),
            }
            for m in modes.modes
        ],
    }
    if isinstance(segments, str):
        result["segments"] = {"skipped": segments}
    else:
        result["segments"] = {
            "listeners": len(segments.segments.users),
            "groups": [
                {"segment_id": s.mode_id, "label": s.label, "listeners": s.sessions}
                for s in segments.segments.modes
            ],
        }
    return result


def describe(result: dict, user: str, zone: str) -> list[str]:
    span = f"{result['from'] or 'the start'} to {result['to'] or 'the end'}"
    lines = [
        f"Listening modes of {user}, {span} ({zone}): {result['sessions']:,} sessions,"
        f" {len(result['modes'])} modes (silhouette {result['silhouette']:.2f})"
    ]
    total = max(result["sessions"], 1)
    for mode in result["modes"]:
        artists = ", ".join(mode["top_artists"][:3]) or "no music"
        lines.append(
            f"  {mode['mode_id']}. {mode['label']}\n"
            f"     {mode['sessions'] / total:.0%} of sessions, {mode['minutes_share']:.0%} of minutes;"
            f" {artists}"
        )
    segments = result["segments"]
    if "skipped" in segments:
        lines.append(f"Listener segments: not computed: {segments['skipped']}")
    else:
        lines.append(f"Listener segments of the {segments['listeners']} listeners in this warehouse:")
        lines += [
            f"  {g['segment_id']}. {g['label']} ({g['listeners']} listeners)" for g in segments["groups"]
        ]
    return lines


def run(args: argparse.Namespace) -> int:
    from analysis.runs import NotEnoughSessions  # lazy: scikit-learn only for this command
    from load.errors import LoadError, WarehouseUnavailable
    from pipeline.analyses import listening_modes
    from pipeline.chain import IngestSummary, drain_load_queue

    user = check_user(args.user)
    period, home = period_from(args)
    settings = settings_from(args)
    require_lake(settings, writes=True)
    try:
        modes_run, segments = listening_modes(
            settings, user, home, datetime.now(UTC), period.first, period.last
        )
        drain_load_queue(settings, IngestSummary())
    except (NotEnoughSessions, WarehouseUnavailable, LoadError) as error:
        raise UserError(str(error)) from None
    result = as_dict(modes_run, segments, period)
    if args.json:
        print(json.dumps(result, indent=2, default=str, ensure_ascii=False))
    else:
        print("\n".join(describe(result, user, home.name)))
    return 0
