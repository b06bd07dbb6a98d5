"""A zip writer whose bytes depend only on what is written (fixed entry times and attributes)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path


class _ZipWriter:
    def __init__(self, path: Path, compress: bool):
        self._zip = zipfile.ZipFile(path, "w")
        self._method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED

    def info(self, name: str, when: datetime) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
        info.compress_type = self._method
        info.create_system = 3  # fixed, so the bytes do not depend on the OS that generated them
        info.external_attr = 0o100644 << 16
        return info

    def add(self, name: str, data: bytes, when: datetime) -> None:
        self._zip.writestr(self.info(name, when), data, compresslevel=6 if self._method else None)

    def add_text_chunks(self, name: str, chunks: Iterable[str], when: datetime) -> None:
        info = self.info(name, when)
        info._compresslevel = 6  # zipfile.open takes no compresslevel
        with self._zip.open(info, "w", force_zip64=True) as out:
            for chunk in chunks:
                out.write(chunk.encode())

    def close(self) -> None:
        self._zip.close()
