"""One line of an error: what every refusal, load failure and HTTP error shows a person."""

from __future__ import annotations

MAX_LINE = 300  # characters; a server may answer with a whole HTML page


def one_line(error: BaseException | str | None, limit: int = MAX_LINE) -> str:
    """The first non-blank line of an error (or text), whitespace collapsed, at most `limit` long.

    An exception with no message gives its type's name, so the line is never empty for an error.
    """
    text = error if isinstance(error, str) or error is None else str(error)
    for line in (text or "").splitlines():
        if words := " ".join(line.split()):
            return words if len(words) <= limit else words[: limit - 1] + "…"
    return type(error).__name__ if isinstance(error, BaseException) else ""
