"""Safe zip reading: unsafe entry names, and limits enforced on the bytes actually decompressed."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from extract.export import zipguard
from extract.export.errors import UploadRefused
from extract.export.zipguard import Limits


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Spotify Extended Streaming History/Streaming_History_Audio_2023_1.json", None),
        ("MyData/endsong_0.json", None),
        ("MyData\\endsong_0.json", None),
        ("a..b/endsong..json", None),  # dots inside a name are fine
        ("../endsong_0.json", "'..' in zip entry path"),
        ("MyData/../../endsong_0.json", "'..' in zip entry path"),
        ("MyData\\..\\endsong_0.json", "'..' in zip entry path"),
        ("/etc/passwd", "absolute path in zip"),
        ("\\Windows\\x.json", "absolute path in zip"),
        ("C:/x.json", "drive-letter path in zip"),
        ("c:x.json", "drive-letter path in zip"),
    ],
)
def test_absolute_drive_and_dotdot_entry_names_are_unsafe(name, reason):
    found = zipguard.unsafe_entry_reason(name)
    if reason is None:
        assert found is None
    else:
        assert found == f"{name}: {reason}"


class CountingZeros(io.RawIOBase):
    """An endless stream of zero bytes that counts what was read from it."""

    def __init__(self):
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = len(buffer)
        buffer[:size] = bytes(size)
        self.served += size
        return size


def test_bounded_chunks_stops_as_soon_as_the_size_limit_is_crossed():
    source = CountingZeros()
    limits = Limits(entry_bytes=3 * zipguard.CHUNK_BYTES + 1)
    kept = 0
    with pytest.raises(
        UploadRefused, match=r"^endless\.json: more than 3145729 bytes uncompressed, over the limit$"
    ):
        for chunk in zipguard.bounded_chunks(source, "endless.json", limits):
            kept += len(chunk)
    assert kept <= limits.entry_bytes
    assert source.served <= limits.entry_bytes + zipguard.CHUNK_BYTES


def test_bounded_chunks_enforces_the_ratio_on_real_bytes():
    source = CountingZeros()
    with pytest.raises(UploadRefused, match=r"more than 100x its compressed size"):
        for _chunk in zipguard.bounded_chunks(source, "bomb.json", Limits(), compressed_size=20_000):
            pass
    assert source.served <= 100 * 20_000 + zipguard.CHUNK_BYTES


def test_bounded_chunks_passes_everything_within_the_limits():
    data = b"[" + b"1," * 1000 + b"1]"
    assert (
        b"".join(zipguard.bounded_chunks(io.BytesIO(data), "ok.json", Limits(entry_bytes=len(data)))) == data
    )


def _zip(name: str, data: bytes) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


def test_a_header_that_understates_the_size_never_yields_more_than_it_claims():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("endsong_0.json", b"[" + b" " * (8 << 20) + b"]")
    data = bytearray(buffer.getvalue())
    struct.pack_into("<I", data, 22, 1000)  # local header: uncompressed size
    struct.pack_into("<I", data, data.find(b"PK\x01\x02") + 24, 1000)  # central directory: same
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.infolist()[0]
    zipguard.check_header(info, Limits())  # the lie passes the header check...
    seen = 0
    with pytest.raises(UploadRefused, match=r"^corrupt zip: endsong_0\.json: Bad CRC-32"):
        for chunk in zipguard.entry_chunks(archive, info, Limits(ratio=10**9)):
            seen += len(chunk)
    assert seen <= 1000  # ...but no more than the claimed bytes are ever decompressed


def test_check_header_refuses_a_declared_size_over_the_limit():
    archive = _zip("MyData/endsong_0.json", b"[]" * 600)
    with pytest.raises(
        UploadRefused, match=r"^MyData/endsong_0\.json: 1200 bytes uncompressed, over the 1024"
    ):
        zipguard.check_header(archive.infolist()[0], Limits(entry_bytes=1024))


def test_encrypted_entries_are_refused():
    archive = _zip("MyData/endsong_0.json", b"[]")
    info = archive.infolist()[0]
    info.flag_bits |= 0x1
    with pytest.raises(UploadRefused, match="encrypted zip entry"):
        b"".join(zipguard.entry_chunks(archive, info, Limits()))


def test_damaged_deflate_data_is_a_corrupt_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("endsong_0.json", bytes(range(256)) * 64)
    data = bytearray(buffer.getvalue())
    start = 30 + len("endsong_0.json")
    data[start + 5 : start + 40] = b"\xff" * 35  # garble the compressed bytes
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    with pytest.raises(UploadRefused, match=r"^corrupt zip: endsong_0\.json: "):
        b"".join(zipguard.entry_chunks(archive, archive.infolist()[0], Limits()))


def test_open_archive_refuses_garbage_with_a_one_line_reason():
    with pytest.raises(UploadRefused, match=r"^corrupt zip: ") as caught:
        zipguard.open_archive(io.BytesIO(b"PK\x03\x04" + b"\x00" * 100))
    assert "\n" not in str(caught.value)


def test_damaged_zips_are_refused_never_crash(tmp_path):
    """Flip bytes of a good export at random (seeded): every result is accepted or refused.

    The check itself (inspect_upload) sees all 1 500; one in 30 also goes the whole way through
    the upload stage on a folder lake (staging, quarantine, manifest).
    """
    import json
    import random

    from extract.export.upload import accept_upload, inspect_upload
    from settings import Settings
    from storage import open_lake

    good = io.BytesIO()
    records = [{"ts": "2024-01-01T10:00:00Z", "ms_played": 1000, "master_metadata_track_name": "T"}]
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "Spotify Extended Streaming History/Streaming_History_Audio_2024_0.json", json.dumps(records)
        )
        archive.writestr("Spotify Account Data/Userdata.json", json.dumps({"username": "x"}))
    good = good.getvalue()
    settings = Settings(lake_dir=tmp_path / "lake")
    lake = open_lake(settings)
    rng = random.Random(20261121)
    outcomes = {"accepted": 0, "refused": 0}
    for attempt in range(1500):
        damaged = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            if attempt % 30:
                inspect_upload(io.BytesIO(damaged), f"{attempt}.zip")
            else:
                lake.write_bytes("upload", f"me/{attempt}.zip", bytes(damaged))
                accept_upload(lake, f"me/{attempt}.zip")
            outcomes["accepted"] += 1
        except UploadRefused as refused:
            assert "\n" not in str(refused)
            outcomes["refused"] += 1
    assert outcomes["refused"] > 100 and outcomes["accepted"] > 100
