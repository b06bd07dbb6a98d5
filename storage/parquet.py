"""The one curated-Parquet writer: Snappy (what Synapse COPY INTO reads), written atomically to the lake.

Curation (transform/) and the analyses (analysis/) write curated files through it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from contracts.layout import CURATED_CONTAINER
from storage.lake import Lake

# Synapse COPY INTO reads Parquet compressed with Snappy or GZIP only (not zstd).
PARQUET_COMPRESSION = "snappy"
# Columns that are (nearly) unique per row: a dictionary only costs time and bytes there.
_NO_DICTIONARY = frozenset({"stream_key", "ts", "offline_at", "ms_played", "record_index"})


def write_parquet(lake: Lake, path: str, table: pa.Table) -> None:
    """Write `table` to curated/`path`, replacing what was there; readers never see half a file."""
    dictionary = [name for name in table.column_names if name not in _NO_DICTIONARY]
    with tempfile.TemporaryDirectory(prefix="curate-") as tmp:
        local = Path(tmp, "part.parquet")
        pq.write_table(table, local, compression=PARQUET_COMPRESSION, use_dictionary=dictionary)
        lake.write_file(CURATED_CONTAINER, path, local)
