"""What the Functions host sends the worker for each trigger: input TypedData and trigger metadata.

Shapes as the host (WebJobs extensions, bundle 4.x) produces them, known to be accepted by the
3.13 library worker (../shared/notes/azure.md §8.3). Each returns (inputs, trigger_metadata) for
`WorkerHost.invoke`, keyed by the function's binding names.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode


def _json(rpc: Any, value: Any) -> Any:
    return rpc.TypedData(json=json.dumps(value))


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def timer(rpc: Any, arg: str = "timer", *, past_due: bool = False) -> tuple[dict, dict]:
    """The timer trigger's TimerInfo JSON (the same value in the trigger metadata)."""
    now = datetime.now(UTC)
    info = {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": {
            "Last": _when(now - timedelta(days=1)),
            "Next": _when(now + timedelta(days=1)),
            "LastUpdated": _when(now - timedelta(days=1)),
        },
        "IsPastDue": past_due,
    }
    return {arg: _json(rpc, info)}, {arg: _json(rpc, info)}


def blob(
    rpc: Any, container: str, name: str, *, arg: str = "client", connection: str = "DataLake", url: str = ""
) -> tuple[dict, dict]:
    """An SDK-type blob binding: only ModelBindingData naming the blob; the worker builds the client."""
    content = {"Connection": connection, "ContainerName": container, "BlobName": name}
    data = rpc.ModelBindingData(
        version="1.0",
        source="AzureStorageBlobs",
        content_type="application/json",
        content=json.dumps(content).encode(),
    )
    metadata = {
        "BlobTrigger": rpc.TypedData(string=f"{container}/{name}"),
        "Uri": rpc.TypedData(string=f"{url.rstrip('/')}/{container}/{name}"),
        "name": rpc.TypedData(string=name),  # the {name} in the trigger's path
    }
    return {arg: rpc.TypedData(model_binding_data=data)}, metadata


def queue_message(
    rpc: Any, body: str, *, arg: str = "msg", message_id: str = "", dequeue_count: int = 1
) -> tuple[dict, dict]:
    """A queue message as the host delivers it: the decoded body, and its metadata."""
    now = datetime.now(UTC)
    message_id = message_id or "7a4b3c2d-0000-4000-8000-000000000001"
    metadata = {
        "Id": rpc.TypedData(string=message_id),
        "DequeueCount": _json(rpc, dequeue_count),
        "PopReceipt": rpc.TypedData(string="AgAAAAMAAAAAAAAA"),
        "InsertionTime": _json(rpc, _when(now - timedelta(seconds=5))),
        "ExpirationTime": _json(rpc, _when(now + timedelta(days=7))),
        "NextVisibleTime": _json(rpc, _when(now + timedelta(seconds=30))),
        "QueueTrigger": rpc.TypedData(string=body),
    }
    return {arg: rpc.TypedData(string=body)}, metadata


def http_get(
    rpc: Any, route: str, query: dict[str, str] | None = None, *, arg: str = "req"
) -> tuple[dict, dict]:
    """GET /api/<route>?query as the host forwards it (body-only mode: no copy in the metadata)."""
    query = query or {}
    url = f"http://127.0.0.1:7071/api/{route}" + (f"?{urlencode(query)}" if query else "")
    request = rpc.RpcHttp(
        method="GET",
        url=url,
        headers={"host": "127.0.0.1:7071", "accept": "*/*"},
        query=query,
    )
    return {arg: rpc.TypedData(http=request)}, {}
