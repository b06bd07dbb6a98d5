"""Debian's chromium, headless and offline, as the report tests drive it (../shared/notes/insights.md).

`open_page` loads a file with name resolution mapped to nothing, dumps the DOM after the page
settled, takes a screenshot, and records the network log; `page_requests` reads from that log
the requests the page itself made (Chromium's own background calls are told apart by their
initiator), so a test can require that there are none.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

FLAGS = (
    "--headless=new",
    "--no-sandbox",  # root in CI containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing could be fetched
)


@dataclass(frozen=True)
class Opened:
    dom: str
    screenshot: Path
    requests: list[str]  # URLs the page asked for, other than itself


def chromium() -> str:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install chromium)")
    return binary


def _run(page: Path, out: Path, *flags: str) -> str:
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        done = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *flags, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def page_requests(net_log: Path) -> list[str]:
    """URLs of requests the page made (its own site for cookies), from a Chromium net log."""
    log = json.loads(net_log.read_text())
    names = {value: name for name, value in log["constants"]["logEventTypes"].items()}
    urls = []
    for event in log["events"]:
        if names.get(event["type"]) != "URL_REQUEST_START_JOB":
            continue
        params = event.get("params") or {}
        url = params.get("url") or ""
        if "site=file://" in params.get("site_for_cookies", "") and not url.startswith("file:"):
            urls.append(url)
    return urls


def open_page(page: Path, out: Path, width: int = 1200, height: int = 3200) -> Opened:
    net_log = out / "net-log.json"
    dom = _run(
        page,
        out,
        f"--window-size={width},{height}",
        f"--log-net-log={net_log}",
        "--net-log-capture-mode=Everything",
        "--virtual-time-budget=3000",
        "--dump-dom",
    )
    screenshot = out / f"{page.stem}-{width}.png"
    _run(page, out, f"--window-size={width},{height}", f"--screenshot={screenshot}")
    return Opened(dom, screenshot, page_requests(net_log))
