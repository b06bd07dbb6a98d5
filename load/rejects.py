"""What was set aside, and why: the rows of stream_reject (a user's) and chart_reject, for people.

`origin` is `<upload-id>/<kind>/<path inside the upload>`; people know the path, so that is what they
see, with the upload's id apart (the same file name can come in two uploads).
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.vintages import HISTORY_KINDS
from load.warehouse import Warehouse


@dataclass(frozen=True)
class SetAside:
    upload_id: str
    file: str  # the path inside the upload (a zip entry, the lone file's name, a chart part)
    record: int  # position in the file, counting from 1 (array element or CSV data row)
    reason: str


def _split(origin: str) -> tuple[str, str]:
    """(upload id, file) of an origin: `<upload-id>/<kind>/<entry>` (exports) or `<upload-id>/<part>`."""
    upload_id, _, rest = origin.partition("/")
    kind, _, entry = rest.partition("/")
    if kind in HISTORY_KINDS and entry:
        return upload_id, entry
    return (upload_id, rest) if rest else ("", origin)


def set_aside(warehouse: Warehouse, user_id: str, limit: int | None = None) -> tuple[int, list[SetAside]]:
    """How many records were set aside for this user (and in charts), and the first `limit` of them."""
    d = warehouse.dialect
    columns = "SELECT origin, record_index, reason FROM"
    union = (
        f"{columns} {d.table('stream_reject')} WHERE user_id = {d.lit(user_id)}"
        f" UNION ALL {columns} {d.table('chart_reject')}"
    )
    ((total,),) = warehouse.query(f"SELECT COUNT(*) FROM ({union}) AS r")
    top, tail = ("", "") if limit is None else (d.top(limit), d.limit(limit))
    rows = warehouse.query(
        f"SELECT {top} origin, record_index, reason FROM ({union}) AS r ORDER BY origin, record_index {tail}"
    )
    return int(total), [SetAside(*_split(str(o)), int(i) + 1, str(reason)) for o, i, reason in rows]
