"""What Azure will log: the RpcLogs the real worker sends the host, through host.json's levels.

Under the worker every Python log record at INFO and above becomes an RpcLog; the host files a
User log from an invocation under `Function.<name>.User`, which host.json admits from Information
(tests/worker/host.py, `reaches_app_insights`). So whatever a library logs at INFO during an
invocation would be an Application Insights trace, every time.
"""

from __future__ import annotations

import pytest

from storage import open_lake
from tests.exports import small_export
from tests.worker import payloads
from tests.worker.host import host_log_levels, reaches_app_insights

pytestmark = pytest.mark.azurite


def test_each_invocation_logs_the_apps_one_line_and_no_storage_request_lines(
    rpc, start_worker, azurite_settings
):
    worker = start_worker()
    lake = open_lake(azurite_settings)
    lake.write_bytes("upload", "me/export.zip", small_export())
    lake.write_bytes("upload", "me/bad.zip", b"not a zip")
    invocations = [
        worker.invoke("accept_upload", *payloads.blob(rpc, "upload", "me/export.zip")),
        worker.invoke("accept_upload", *payloads.blob(rpc, "upload", "me/bad.zip")),
    ]
    for path in sorted(lake.list("raw")):
        invocations.append(worker.invoke("curate_raw", *payloads.blob(rpc, "raw", path)))
    for curated in invocations[2:]:
        body = curated.output("load").string
        invocations.append(worker.invoke("load_curated", *payloads.queue_message(rpc, body)))
    invocations.append(worker.invoke("wrapped", *payloads.http_get(rpc, "wrapped")))
    invocations.append(worker.invoke("extract_spotify", *payloads.timer(rpc)))  # not configured: its error
    invocations.append(worker.invoke("pause_idle_pool", *payloads.timer(rpc)))  # no pool id: leaves it
    invocations.append(worker.invoke("request_analyses", *payloads.timer(rpc)))
    request = invocations[-1].output("request").string
    invocations.append(worker.invoke("run_analyses", *payloads.queue_message(rpc, request)))
    assert all(i.succeeded for i in invocations), [i.error for i in invocations]
    assert {i.function for i in invocations} == set(worker.functions) - {"report"}

    levels = host_log_levels()
    for invocation in invocations:
        traces = [log for log in invocation.logs if reaches_app_insights(log, invocation.function, levels)]
        app_lines = [log.message for log in traces if log.category == "function_app"]
        assert len(app_lines) == 1, (invocation.function, app_lines)
        # Every blob and queue call above was an HTTP request azure-core could have logged.
        sdk = [log.category for log in traces if log.category.startswith("azure.")]
        assert sdk == [], (invocation.function, sorted(set(sdk)))
