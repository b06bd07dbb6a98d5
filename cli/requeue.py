"""`python -m cli requeue`: put poisoned load messages back on the load queue, once their cause is fixed.

After `maxDequeueCount` failed tries the Functions host moves a load message to
`curated-loads-poison` (the CLI's `ingest` does the same with folder queues). Every stage is
idempotent, so sending the message again is safe: what was loaded before changes nothing.
Works on the folder queues of a local lake and on Azure Queue Storage (DataLake__queueServiceUri
with `az login`, or a connection string).
"""

from __future__ import annotations

from cli.common import UserError, add_lake_options, settings_from

# What the run does to a local lake (cli.lock): writes.
LAKE_ACCESS = "write"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "requeue",
        help="re-queue poisoned load messages (curated-loads-poison -> curated-loads)",
        description="Move every message of the load queue's poison queue back to the load queue.",
    )
    parser.add_argument("--dry-run", action="store_true", help="only count the poisoned messages")
    add_lake_options(parser)


def requeue_poisoned(source, target) -> int:
    """Send each message of `source` to `target`, then delete it from `source`; returns how many.

    Sent before deleted: an interruption in between leaves a copy in both, never in neither.
    """
    moved = 0
    while batch := source.receive():
        for message in batch:
            target.send(message.body)
            source.delete(message)
            moved += 1
    return moved


def run(args) -> int:
    from azure.core.exceptions import AzureError  # lazy: other commands stay fast

    from contracts.layout import LOAD_QUEUE, poison_queue  # lazy: as above
    from storage import open_queue
    from storage.lake import LakeError

    settings = settings_from(args)
    poison = poison_queue(LOAD_QUEUE)
    try:
        source = open_queue(settings, poison)
        # A dry run only counts: receiving would hide the messages from the next run for minutes.
        moved = source.count() if args.dry_run else requeue_poisoned(source, open_queue(settings, LOAD_QUEUE))
    except (AzureError, LakeError) as error:
        raise UserError(f"cannot re-queue from {poison}: {str(error).splitlines()[0]}") from None
    where = "Queue Storage" if settings.uses_storage_account else str(settings.lake_dir)
    if args.dry_run:
        print(f"{moved} poisoned messages in {poison} ({where}); nothing moved (--dry-run)")
    else:
        print(f"re-queued {moved} messages from {poison} to {LOAD_QUEUE} ({where})")
    return 0
