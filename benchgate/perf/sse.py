"""Incremental Server-Sent-Events parser (the subset OpenAI-compatible servers use).

Follows the WHATWG event-stream rules for what we need: lines end with CRLF, LF or CR (a CR at
the end of one network read followed by LF in the next is one line end); ``data:`` lines (one
optional space after the colon) accumulate, joined by ``\\n``; a blank line dispatches the event;
``:`` comment lines and ``event:``/``id:``/``retry:`` fields are ignored. Anything else is not
something an OpenAI-compatible stream sends, so it raises :class:`SSEError` (the load test counts
it as a ``sse_malformed`` failure instead of silently skipping it). Splitting the byte stream at
any points gives the same events (property-tested).
"""
from __future__ import annotations

__all__ = ["SSEError", "SSEParser", "parse_all"]

_IGNORED_FIELDS = (b"event", b"id", b"retry")


class SSEError(ValueError):
    """A line that is not valid in an OpenAI-compatible event stream."""


class SSEParser:
    """Feed raw bytes as they arrive; get back the data payloads of completed events."""

    __slots__ = ("_buf", "_data", "_skip_lf")

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[str] = []
        self._skip_lf = False

    def feed(self, chunk: bytes) -> list[str]:
        """Parse ``chunk``; return the data of every event completed by it (maybe none)."""
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        buf = self._buf + chunk if self._buf else chunk
        if b"\r" in buf:
            if buf.endswith(b"\r"):
                self._skip_lf = True
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buf.split(b"\n")
        self._buf = lines.pop()
        events: list[str] = []
        for line in lines:
            self._line(line, events)
        return events

    def close(self) -> list[str]:
        """End of stream: an unterminated last line/event is returned too (lenient)."""
        events: list[str] = []
        if self._buf:
            line, self._buf = self._buf, b""
            self._line(line, events)
        if self._data:
            events.append("\n".join(self._data))
            self._data = []
        return events

    def _line(self, line: bytes, events: list[str]) -> None:
        if not line:
            if self._data:
                events.append("\n".join(self._data))
                self._data = []
            return
        if line[:5] == b"data:":
            value = line[6:] if line[5:6] == b" " else line[5:]
            try:
                self._data.append(value.decode("utf-8"))
            except UnicodeDecodeError as e:
                raise SSEError(f"invalid UTF-8 in SSE data line: {line[:80]!r}") from e
            return
        if line[:1] == b":":
            return
        name = line.split(b":", 1)[0]
        if name in _IGNORED_FIELDS:
            return
        raise SSEError(f"malformed SSE line: {line[:80]!r}")


def parse_all(data: bytes) -> list[str]:
    """Parse a whole stream at once (tests, non-incremental callers)."""
    p = SSEParser()
    return p.feed(data) + p.close()
