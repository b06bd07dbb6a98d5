"""A stand-in for `proxy_worker`, the gRPC transport of the Python 3.13+ Functions worker.

On Azure the host starts `proxy_worker` (shipped with the host, not on PyPI), which connects back
to the host, sends StartStream and hands every request to the *library worker*, the
`azure_functions_runtime` package the app pins in requirements.txt: that library indexes
function_app.py, converts bindings and invokes the functions. This script does the transport's
part the same way, so the tests run the pinned library exactly as Azure would:

- the host's arguments (`--host --port --workerId --requestId ...`), its environment = app settings;
- requests become `WorkerRequest(name, request, properties={"protos", "host"})` for the library;
- the library's threadpool is started before WorkerInitRequest, and the app folder goes on sys.path;
- every log record becomes an RpcLog to the host: category = logger name, log_category System for
  the worker's and SDK's own loggers (proxy_worker, azure_functions_runtime, azure.functions), User
  for the rest, and the invocation id of the invocation it was logged in, when there is one.

Run as `python tests/worker/proxy.py ARGS` with the compiled protocol (`functions_rpc`) importable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import logging
import os
import queue
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import functions_rpc as protos  # the compiled protocol (tests/worker/rpc.py), on PYTHONPATH
import grpc

SYSTEM_LOGGERS = ("proxy_worker", "azure_functions_runtime", "azure.functions")
logger = logging.getLogger("proxy_worker")
# The invocation an asyncio task is handling (the library's own contextvar covers its threadpool).
_task_invocation: contextvars.ContextVar[str | None] = contextvars.ContextVar("invocation", default=None)


@dataclass
class WorkerRequest:
    """What the library worker's handlers take (proxy_worker.dispatcher.WorkerRequest)."""

    name: str
    request: Any
    properties: dict[str, Any] = field(default_factory=dict)


class Transport:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.outgoing: queue.Queue = queue.Queue()
        self.library: Any = None
        self.loop: asyncio.AbstractEventLoop | None = None

    # -- logs ------------------------------------------------------------------------------
    def invocation_id(self) -> str | None:
        if self.library is not None:
            in_thread = self.library.invocation_id_cv.get()
            if in_thread:
                return in_thread
        return _task_invocation.get()

    def send_log(self, record: logging.LogRecord, message: str) -> None:
        levels = protos.RpcLog
        if record.levelno >= logging.CRITICAL:
            level = levels.Critical
        elif record.levelno >= logging.ERROR:
            level = levels.Error
        elif record.levelno >= logging.WARNING:
            level = levels.Warning
        elif record.levelno >= logging.INFO:
            level = levels.Information
        else:
            level = levels.Debug
        system = record.name.startswith(SYSTEM_LOGGERS)
        log = protos.RpcLog(
            level=level,
            message=message,
            category=record.name,
            log_category=protos.RpcLog.System if system else protos.RpcLog.User,
            invocation_id=self.invocation_id() or "",
        )
        self.outgoing.put(protos.StreamingMessage(request_id=self.args.request_id, rpc_log=log))

    # -- requests --------------------------------------------------------------------------
    async def handle(self, message: Any) -> None:
        kind = message.WhichOneof("content")
        properties = {"protos": protos, "host": self.args.host}
        if kind == "worker_init_request":
            app_dir = message.worker_init_request.function_app_directory
            if app_dir not in sys.path:
                sys.path.insert(0, app_dir)  # the app's own modules, as the real transport arranges
            import azure_functions_runtime  # the pinned library worker, from the app's packages

            self.library = azure_functions_runtime
            self.library.start_threadpool_executor()
            response = await self.library.worker_init_request(
                WorkerRequest("WorkerInitRequest", message, properties)
            )
            reply = protos.StreamingMessage(worker_init_response=response)
        elif kind == "functions_metadata_request":
            response = await self.library.functions_metadata_request(
                WorkerRequest("WorkerMetadataRequest", message)
            )
            reply = protos.StreamingMessage(function_metadata_response=response)
        elif kind == "function_load_request":
            response = await self.library.function_load_request(WorkerRequest("FunctionLoadRequest", message))
            reply = protos.StreamingMessage(function_load_response=response)
        elif kind == "invocation_request":
            _task_invocation.set(message.invocation_request.invocation_id)
            response = await self.library.invocation_request(
                WorkerRequest("FunctionInvocationRequest", message)
            )
            reply = protos.StreamingMessage(invocation_response=response)
        elif kind == "worker_status_request":
            reply = protos.StreamingMessage(worker_status_response=protos.WorkerStatusResponse())
        else:
            logger.error("unknown request %s", kind)
            return
        reply.request_id = message.request_id or self.args.request_id
        self.outgoing.put(reply)

    async def handle_logged(self, message: Any) -> None:
        try:
            await self.handle(message)
        except Exception:  # the host sees it as a System error log, as with the real transport
            logger.exception("unhandled error handling %s", message.WhichOneof("content"))

    def _read(self, stream: Any) -> None:
        assert self.loop is not None
        try:
            for message in stream:
                self.loop.call_soon_threadsafe(self.loop.create_task, self.handle_logged(message))
        except grpc.RpcError:
            pass  # the host closed the stream
        self.loop.call_soon_threadsafe(self.done.set_result, None)

    def _send(self):
        while (message := self.outgoing.get()) is not None:
            yield message

    async def run(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.done: asyncio.Future = self.loop.create_future()
        limit = self.args.grpc_max_message_length
        options = [("grpc.max_send_message_length", limit), ("grpc.max_receive_message_length", limit)]
        channel = grpc.insecure_channel(f"{self.args.host}:{self.args.port}", options)
        grpc.channel_ready_future(channel).result(timeout=10)
        self.outgoing.put(
            protos.StreamingMessage(
                request_id=self.args.request_id,
                start_stream=protos.StartStream(worker_id=self.args.worker_id),
            )
        )
        stream = protos.FunctionRpcStub(channel).EventStream(self._send())
        threading.Thread(target=self._read, args=(stream,), name="grpc-reader", daemon=True).start()

        handler = _RpcLogHandler(self)
        root = logging.getLogger()
        root.handlers[:] = [handler]  # from now on, logs go to the host only
        debug = os.environ.get("PYTHON_ENABLE_DEBUG_LOGGING", "").lower() in ("1", "true")
        root.setLevel(logging.DEBUG if debug else logging.INFO)
        try:
            await self.done
        finally:
            self.outgoing.put(None)
            if self.library is not None:
                self.library.stop_threadpool_executor()
            channel.close()


class _RpcLogHandler(logging.Handler):
    def __init__(self, transport: Transport):
        super().__init__()
        self.transport = transport

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.transport.send_log(record, self.format(record))
        except Exception:  # a log that cannot be sent must not fail the invocation
            self.handleError(record)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workerId", dest="worker_id", required=True)
    parser.add_argument("--requestId", dest="request_id", required=True)
    parser.add_argument("--grpcMaxMessageLength", dest="grpc_max_message_length", type=int, default=-1)
    # The host passes each argument twice, the second time in this form; the first form suffices.
    for duplicate in ("uri", "worker-id", "request-id", "grpc-max-message-length"):
        parser.add_argument(f"--functions-{duplicate}")
    return parser.parse_args(argv)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="LanguageWorkerConsoleLog %(levelname)s: %(message)s")
    asyncio.run(Transport(parse_args()).run())


if __name__ == "__main__":
    main()
