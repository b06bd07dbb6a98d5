"""A small Functions host for tests: drives the real Python worker over the real protocol.

It does what the Functions host does with a Python app, and no more: serve `FunctionRpc.EventStream`
over gRPC on loopback, start the worker process with the host's arguments, the app folder as its
working directory and the app settings as its environment, then run the host's message sequence:

    worker: StartStream -> host: WorkerInitRequest (the library worker indexes function_app.py)
    -> FunctionsMetadataRequest (the functions and their raw bindings, worker-indexed)
    -> FunctionLoadRequest per function -> InvocationRequest ... (one per trigger event)

The worker is the pinned `azure_functions_runtime` behind tests/worker/proxy.py, the stand-in for
the `proxy_worker` transport Azure ships. Every RpcLog the worker sends is kept, and
`reaches_app_insights` says which of them the host would pass to Application Insights under the
app's host.json. The only time limit is a guard against a hung worker; nothing here is timed.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Mapping
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

ROOT = Path(__file__).resolve().parents[2]
PROXY = Path(__file__).resolve().parent / "proxy.py"
HOST_VERSION = "4.1046.0 (tests/worker/host.py)"
GUARD_SECONDS = 180  # a hung or crashed worker fails the test instead of hanging it
_CLOSED = object()


class WorkerFailed(AssertionError):
    """The worker answered Failure, died, or went silent; carries what it said."""


@dataclass
class Invocation:
    """One InvocationResponse and the logs the worker sent for that invocation."""

    function: str
    response: Any
    logs: list[Any]

    @property
    def succeeded(self) -> bool:
        return self.response.result.status == self.response.result.Success

    @property
    def error(self) -> str:
        return self.response.result.exception.message

    def output(self, name: str) -> Any:
        """The TypedData the worker returned for an output binding, or None when it set nothing."""
        return next((b.data for b in self.response.output_data if b.name == name), None)

    def user_lines(self) -> list[str]:
        return [log.message for log in self.logs if log.log_category == log.User]


@dataclass
class WorkerHost:
    rpc: Any  # the compiled protocol (tests/worker/rpc.py)
    app_dir: Path
    app_settings: Mapping[str, str]
    rpc_path: Path  # the folder holding the compiled protocol, for the worker's PYTHONPATH
    python: str = sys.executable
    extra_path: tuple[Path, ...] = ()  # more of the worker's PYTHONPATH: the project, for an app copy
    logs: list[Any] = field(default_factory=list)
    functions: dict[str, Any] = field(default_factory=dict)  # name -> RpcFunctionMetadata
    init_response: Any = None  # the WorkerInitResponse: capabilities, worker_metadata, result

    def __post_init__(self) -> None:
        self._inbox: queue.Queue = queue.Queue()
        self._outbox: queue.Queue = queue.Queue()
        self._server: Any = None
        self._process: subprocess.Popen | None = None
        self.worker_id = str(uuid.uuid4())
        self.request_id = str(uuid.uuid4())
        self.output_path = Path(tempfile.gettempdir()) / f"worker-{self.worker_id}.log"  # its console

    # -- the gRPC service -------------------------------------------------------------------
    def EventStream(self, requests, context):  # the service's method name, as generated
        threading.Thread(target=self._receive, args=(requests,), daemon=True).start()
        while (message := self._outbox.get()) is not _CLOSED:
            yield message

    def _receive(self, requests) -> None:
        try:
            for message in requests:
                self._inbox.put(message)
        except grpc.RpcError:
            pass  # the stream ended: the worker went away, or we closed it
        self._inbox.put(_CLOSED)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> Any:
        """Start the server and the worker, wait for StartStream, send WorkerInitRequest.

        Returns the WorkerInitResponse (its result is Failure when indexing function_app.py failed).
        """
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self.rpc.add_FunctionRpcServicer_to_server(self, self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        limit = "2147483647"
        args = ["--host", "127.0.0.1", "--port", str(port), "--workerId", self.worker_id]
        args += ["--requestId", self.request_id, "--grpcMaxMessageLength", limit]
        args += ["--functions-uri", f"http://127.0.0.1:{port}/", "--functions-worker-id", self.worker_id]
        args += ["--functions-request-id", self.request_id, "--functions-grpc-max-message-length", limit]
        env = {name: os.environ[name] for name in ("PATH", "HOME", "TMPDIR", "LANG") if name in os.environ}
        env.update(self.app_settings)
        env["AzureWebJobsScriptRoot"] = str(self.app_dir)
        env["FUNCTIONS_WORKER_RUNTIME"] = "python"
        # The transport's own packages (the compiled protocol), as the host ships proxy_worker's.
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (self.rpc_path, *self.extra_path))
        with self.output_path.open("wb") as output:
            self._process = subprocess.Popen(
                [self.python, str(PROXY), *args],
                cwd=self.app_dir,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        started = self._expect("start_stream")
        assert started.start_stream.worker_id == self.worker_id
        init = self.rpc.WorkerInitRequest(
            host_version=HOST_VERSION,
            worker_directory=str(PROXY.parent),
            function_app_directory=str(self.app_dir),
        )
        self.init_response = self._request(worker_init_request=init).worker_init_response
        return self.init_response

    def index(self) -> dict[str, Any]:
        """FunctionsMetadataRequest: the functions the worker indexed, by name."""
        request = self.rpc.FunctionsMetadataRequest(function_app_directory=str(self.app_dir))
        response = self._request(functions_metadata_request=request).function_metadata_response
        self._check(response.result, "FunctionsMetadataRequest")
        self.functions = {f.name: f for f in response.function_metadata_results}
        return self.functions

    def load_all(self) -> None:
        """One FunctionLoadRequest per indexed function, its metadata echoed back as the host does."""
        for name, metadata in self.functions.items():
            request = self.rpc.FunctionLoadRequest(function_id=metadata.function_id, metadata=metadata)
            response = self._request(function_load_request=request).function_load_response
            self._check(response.result, f"FunctionLoadRequest {name}")

    def start_and_load(self) -> WorkerHost:
        self._check(self.start().result, "WorkerInitRequest")
        self.index()
        self.load_all()
        return self

    def invoke(
        self, function: str, inputs: Mapping[str, Any], trigger_metadata: Mapping[str, Any] | None = None
    ) -> Invocation:
        """InvocationRequest: the trigger's (and inputs') TypedData by binding name."""
        invocation_id = str(uuid.uuid4())
        metadata = dict(trigger_metadata or {})
        metadata.setdefault("sys", _sys_metadata(self.rpc, function))
        request = self.rpc.InvocationRequest(
            invocation_id=invocation_id,
            function_id=self.functions[function].function_id,
            input_data=[self.rpc.ParameterBinding(name=n, data=d) for n, d in inputs.items()],
            trigger_metadata=metadata,
        )
        seen = len(self.logs)
        response = self._request(invocation_request=request).invocation_response
        assert response.invocation_id == invocation_id
        logs = [log for log in self.logs[seen:] if log.invocation_id == invocation_id]
        return Invocation(function, response, logs)

    def close(self) -> None:
        self._outbox.put(_CLOSED)  # ends the stream: the worker stops by itself
        if self._process is not None:
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._server is not None:
            self._server.stop(grace=1).wait()
        self.output_path.unlink(missing_ok=True)

    def __enter__(self) -> WorkerHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- messages ---------------------------------------------------------------------------
    def _request(self, **content: Any) -> Any:
        message = self.rpc.StreamingMessage(request_id=str(uuid.uuid4()), **content)
        self._outbox.put(message)
        (kind,) = content
        return self._expect(kind.replace("_request", "_response").replace("functions_", "function_"))

    def _expect(self, kind: str) -> Any:
        """The next message of that kind; RpcLogs on the way are kept in `logs`."""
        waited = 0.0
        while True:
            try:
                message = self._inbox.get(timeout=0.25)
            except queue.Empty:
                waited += 0.25
                if self._process is not None and self._process.poll() is not None:
                    code = self._process.returncode
                    raise WorkerFailed(f"the worker exited ({code}) {self._output()}") from None
                if waited > GUARD_SECONDS:
                    raise WorkerFailed(f"no {kind} from the worker {self._output()}") from None
                continue
            if message is _CLOSED:
                raise WorkerFailed(f"the worker closed the stream before {kind} {self._output()}")
            if message.WhichOneof("content") == "rpc_log":
                self.logs.append(message.rpc_log)
            elif message.WhichOneof("content") == kind:
                return message

    def _check(self, result: Any, what: str) -> None:
        if result.status != result.Success:
            raise WorkerFailed(f"{what}: {result.exception.message}")

    def _output(self) -> str:
        text = self.output_path.read_text(errors="replace") if self.output_path.exists() else ""
        system = [log.message for log in self.logs if log.level >= log.Warning]
        return f"\n-- worker output:\n{text[-4000:]}\n-- worker warnings and errors:\n" + "\n".join(system)


def _sys_metadata(rpc: Any, function: str) -> Any:
    # The host adds `sys` to every invocation's trigger metadata.
    from datetime import UTC, datetime

    value = {"MethodName": function, "UtcNow": datetime.now(UTC).isoformat(), "RandGuid": str(uuid.uuid4())}
    return rpc.TypedData(json=json.dumps(value))


# -- what reaches Application Insights --------------------------------------------------------
_LEVELS = {"Trace": 0, "Debug": 1, "Information": 2, "Warning": 3, "Error": 4, "Critical": 5, "None": 6}


def host_log_levels(app_dir: Path = ROOT) -> dict[str, int]:
    """host.json logging.logLevel as {category prefix: RpcLog level}."""
    levels = json.loads((app_dir / "host.json").read_text())["logging"]["logLevel"]
    return {category: _LEVELS[level] for category, level in levels.items()}


def reaches_app_insights(log: Any, function: str, levels: Mapping[str, int]) -> bool:
    """Would the host pass this RpcLog to Application Insights?

    The host keeps the worker's System logs for the platform; a User log logged in an invocation is
    written under the category `Function.<name>.User`, anything else under the host's console
    category; host.json's most specific matching category prefix (else `default`) sets the level.
    """
    if log.log_category != log.User:
        return False
    category = f"Function.{function}.User" if log.invocation_id else "Host.Function.Console"
    prefixes = [c for c in levels if c != "default" and (category == c or category.startswith(f"{c}."))]
    threshold = levels[max(prefixes, key=len)] if prefixes else levels.get("default", _LEVELS["Information"])
    return log.level >= threshold
