"""A fresh Azurite (the official storage emulator, from ./node_modules) on free loopback ports.

Shared by the test session's fixture and bench/worker_bench.py.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "node_modules" / ".bin" / "azurite"
# Azurite's well-known development account key (public, the same in every Azurite): not a secret.
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@contextlib.contextmanager
def running_azurite(data: Path, timeout: float = 20) -> Iterator[str]:
    """Azurite with its files in `data`; yields its connection string. RuntimeError if it does not start."""
    blob, queue, table = free_ports(3)
    args = ["--silent", "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--location", str(data)]
    for service, port in (("blob", blob), ("queue", queue), ("table", table)):
        args += [f"--{service}Host", "127.0.0.1", f"--{service}Port", str(port)]
    proc = subprocess.Popen([str(BINARY), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", queue), timeout=0.2).close()
                socket.create_connection(("127.0.0.1", blob), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("Azurite did not start") from None
                time.sleep(0.1)
        yield (
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;"
            f"QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
