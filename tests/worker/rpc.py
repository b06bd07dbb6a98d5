"""The worker protocol's Python code, compiled from the vendored .proto files at test time.

`compile_protos(out)` runs grpcio-tools' protoc over tests/worker/protos/ into `out/functions_rpc/`,
rewrites the generated imports (`from identity import ...`) to that package, and writes an
`__init__` that exposes every message and the gRPC service by name, as the library worker expects
of the `protos` module its transport hands it (`protos.InvocationResponse`, `protos.NullableString`).
Put `out` on sys.path (and the worker's PYTHONPATH), then `import functions_rpc`.
"""

from __future__ import annotations

import re
from pathlib import Path

PROTOS = Path(__file__).resolve().parent / "protos"
PACKAGE = "functions_rpc"
SOURCES = ("FunctionRpc.proto", "identity/ClaimsIdentityRpc.proto", "shared/NullableTypes.proto")

INIT = f'''"""Generated from tests/worker/protos by tests/worker/rpc.py: do not edit."""
from {PACKAGE}.FunctionRpc_pb2 import *  # noqa: F403
from {PACKAGE}.FunctionRpc_pb2_grpc import (  # noqa: F401
    FunctionRpcServicer,
    FunctionRpcStub,
    add_FunctionRpcServicer_to_server,
)
from {PACKAGE}.shared.NullableTypes_pb2 import *  # noqa: F403
'''


def compile_protos(out: Path) -> Path:
    """Compile the protocol into `out/functions_rpc`; returns `out` (the folder to put on sys.path)."""
    import grpc_tools  # the generator: grpcio-tools, from requirements-dev.txt
    from grpc_tools import protoc

    package = out / PACKAGE
    package.mkdir(parents=True, exist_ok=True)
    well_known = Path(grpc_tools.__file__).parent / "_proto"  # google/protobuf/*.proto
    args = [
        "grpc_tools.protoc",
        f"--proto_path={PROTOS}",
        f"--proto_path={well_known}",
        f"--python_out={package}",
        f"--grpc_python_out={package}",
        *(str(PROTOS / source) for source in SOURCES),
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed on {PROTOS}")
    for generated in package.rglob("*.py"):
        text = generated.read_text()
        # protoc writes imports relative to the proto path: `from identity import X_pb2`,
        # `import FunctionRpc_pb2 as ...`; inside a package they must name it.
        text = re.sub(r"^from (identity|shared) import ", rf"from {PACKAGE}.\1 import ", text, flags=re.M)
        text = re.sub(r"^import (\w+_pb2) as ", rf"from {PACKAGE} import \1 as ", text, flags=re.M)
        generated.write_text(text)
    for folder in (package, package / "identity", package / "shared"):
        (folder / "__init__.py").touch()
    (package / "__init__.py").write_text(INIT)
    return out
