"""File bodies as Spotify writes them: pretty-printed JSON, and a tiny stand-in PDF."""

from __future__ import annotations

import json
from collections.abc import Iterable

_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
EXTENDED_KV = ": "
ACCOUNT_KV = " : "  # account-data files are Jackson-pretty-printed: "endTime" : "2024-05-06 18:43"


def json_array(records: Iterable[dict], kv: str = EXTENDED_KV) -> str:
    """A list of flat objects as Spotify pretty-prints it; equals json.dumps(indent=2, ensure_ascii=False)."""
    keys: dict[str, str] = {}
    parts = []
    for record in records:
        lines = []
        for key, value in record.items():
            prefix = keys.get(key)
            if prefix is None:
                prefix = keys[key] = "    " + _ENCODE(key) + kv
            lines.append(prefix + _ENCODE(value))
        parts.append("  {\n" + ",\n".join(lines) + "\n  }" if lines else "  {}")
    return "[\n" + ",\n".join(parts) + "\n]" if parts else "[]"


def _json_doc(document, kv: str) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False, separators=(",", kv)).encode()


def tiny_pdf(title: str) -> bytes:
    """A one-page PDF that readers open (stands in for Spotify's ReadMe PDFs)."""
    text = f"BT /F1 14 Tf 60 780 Td ({title}) Tj 0 -24 Td (Synthetic sample - not a Spotify document.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
