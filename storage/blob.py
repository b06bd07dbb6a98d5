"""Blob and Queue Storage (Azurite locally, Azure in the cloud) behind the `Lake` interface."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, cast

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobBlock, BlobClient, BlobServiceClient, ContainerClient
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from settings import Settings
from storage.lake import LakeError, QueueMessage, StagedBlobBase

# Spill a streamed blob to disk beyond this size, so memory stays bounded by what we choose.
_SPOOL_BYTES = 64 << 20
# A staged blob is sent in blocks of about this size (Azure allows 50 000 blocks of up to 4000 MiB).
_BLOCK_BYTES = 8 << 20


def _credential(settings: Settings) -> TokenCredential:
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential  # optional: identity only

    if settings.managed_identity_client_id:
        return ManagedIdentityCredential(client_id=settings.managed_identity_client_id)
    return DefaultAzureCredential()


class BlobLake:
    def __init__(self, service: BlobServiceClient):
        self.service = service
        self._known_containers: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> BlobLake:
        if settings.storage_connection_string:
            return cls(BlobServiceClient.from_connection_string(settings.storage_connection_string))
        return cls(BlobServiceClient(str(settings.blob_service_uri), credential=_credential(settings)))

    def __repr__(self) -> str:
        return f"BlobLake({self.service.url!r})"

    def _container(self, container: str) -> ContainerClient:
        client = self.service.get_container_client(container)
        if container not in self._known_containers:
            with contextlib.suppress(ResourceExistsError):  # already there: the normal case
                client.create_container()
            self._known_containers.add(container)
        return client

    def _blob(self, container: str, path: str) -> BlobClient:
        return self._container(container).get_blob_client(path)

    def create_containers(self, containers: Iterable[str]) -> None:
        """Create each container that does not exist yet (writes create theirs on first use)."""
        for container in containers:
            self._container(container)

    def exists(self, container: str, path: str) -> bool:
        return bool(self._blob(container, path).exists())

    def read_bytes(self, container: str, path: str) -> bytes:
        try:
            return bytes(self._blob(container, path).download_blob().readall())
        except ResourceNotFoundError:
            raise LakeError(f"no such blob: {container}/{path}") from None

    @contextlib.contextmanager
    def open_read(self, container: str, path: str) -> Iterator[BinaryIO]:
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - closed below
        try:
            self._blob(container, path).download_blob().readinto(spool)
        except ResourceNotFoundError:
            spool.close()
            raise LakeError(f"no such blob: {container}/{path}") from None
        with spool:
            spool.seek(0)
            yield cast(BinaryIO, spool)

    @contextlib.contextmanager
    def local_path(self, container: str, path: str) -> Iterator[Path]:
        suffix = Path(path).suffix
        fd, name = tempfile.mkstemp(suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as handle:
                self._blob(container, path).download_blob().readinto(handle)
            yield Path(name)
        except ResourceNotFoundError:
            raise LakeError(f"no such blob: {container}/{path}") from None
        finally:
            Path(name).unlink(missing_ok=True)

    def write_bytes(self, container: str, path: str, data: bytes) -> None:
        # A block blob becomes visible only when committed, so readers never see it half-written.
        self._blob(container, path).upload_blob(data, overwrite=True)

    def create(self, container: str, path: str, data: bytes) -> bool:
        try:
            self._blob(container, path).upload_blob(data, overwrite=False)  # If-None-Match: *
            return True
        except ResourceExistsError:
            return False

    def write_file(self, container: str, path: str, source: Path) -> None:
        with open(source, "rb") as handle:
            self._blob(container, path).upload_blob(handle, overwrite=True)

    def stage(self, container: str, path: str) -> BlobStagedBlob:
        return BlobStagedBlob(self._blob(container, path))

    def list(self, container: str, prefix: str = "") -> Iterator[str]:
        names = [b.name for b in self._container(container).list_blobs(name_starts_with=prefix or None)]
        return iter(sorted(names))

    def delete(self, container: str, path: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            self._blob(container, path).delete_blob()

    def url(self, container: str, path: str) -> str:
        # COPY INTO with a managed identity reads Parquet only through the ADLS Gen2 endpoint.
        url = self.service.get_blob_client(container, path).url  # no request: just the address
        return url.replace(".blob.core.", ".dfs.core.")


class BlobStagedBlob(StagedBlobBase):
    """A block blob built with Put Block, made visible by one Put Block List.

    Uncommitted blocks are invisible (no listing, no `exists`, no Event Grid BlobCreated: only the
    Put Block List fires that), and Azure garbage-collects them after a week, so abort has nothing
    to delete. Block ids are a zero-padded counter (the SDK base64-encodes them; Azure wants one
    length per blob): a retry, or a second writer of the same bytes, re-stages the same ids.
    """

    def __init__(self, blob: BlobClient):
        self._blob = blob
        self._blocks: list[str] = []
        self._pending = bytearray()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._check_open()
        self._pending += data
        if len(self._pending) >= _BLOCK_BYTES:
            self._stage_pending()

    def flush(self) -> None:
        self._check_open()
        self._stage_pending()

    def _stage_pending(self) -> None:
        with memoryview(self._pending) as view:
            for start in range(0, len(view), _BLOCK_BYTES):
                block_id = f"{len(self._blocks):08d}"
                self._blob.stage_block(block_id, bytes(view[start : start + _BLOCK_BYTES]))
                self._blocks.append(block_id)
        self._pending = bytearray()

    def commit(self) -> None:
        self.flush()
        if self._blocks:
            self._blob.commit_block_list([BlobBlock(block_id) for block_id in self._blocks])
        else:  # nothing written: an empty blob, made by one Put Blob
            self._blob.upload_blob(b"", overwrite=True)
        self.finished = True

    def abort(self) -> None:
        # Nothing to delete: uncommitted blocks never show and are garbage-collected by Azure.
        self._pending = bytearray()
        self.finished = True


class StorageQueue:
    """Queue Storage with the Functions host's default base64 message encoding."""

    def __init__(self, client: QueueClient):
        self.client = client
        self.name = client.queue_name
        with contextlib.suppress(ResourceExistsError):
            client.create_queue()

    @classmethod
    def from_settings(cls, settings: Settings, name: str) -> StorageQueue:
        encode, decode = TextBase64EncodePolicy(), TextBase64DecodePolicy()
        if settings.storage_connection_string:
            client = QueueClient.from_connection_string(
                settings.storage_connection_string,
                name,
                message_encode_policy=encode,
                message_decode_policy=decode,
            )
        else:
            client = QueueClient(
                str(settings.queue_service_uri),
                name,
                credential=_credential(settings),
                message_encode_policy=encode,
                message_decode_policy=decode,
            )
        return cls(client)

    def send(self, body: str, delay_seconds: int = 0) -> None:
        self.client.send_message(body, visibility_timeout=delay_seconds or None)

    def receive(self, max_messages: int = 32) -> list[QueueMessage]:
        return [
            QueueMessage(
                id=m.id, body=m.content, dequeue_count=m.dequeue_count or 1, receipt=m.pop_receipt or ""
            )
            for m in self.client.receive_messages(max_messages=max_messages, visibility_timeout=300)
        ]

    def delete(self, message: QueueMessage) -> None:
        self.client.delete_message(message.id, message.receipt)

    def count(self) -> int:
        # Includes invisible messages (in flight, or sent with a delay), so never under the truth.
        return int(self.client.get_queue_properties().approximate_message_count or 0)
