"""Server-sent events: an incremental parser for upstream streams and the writer for ours.

The parser follows the WHATWG rules the `openai` SDK's decoder follows (CR, LF and CRLF end a
line; `:` lines are comments; several `data:` lines join with a newline; an event is dispatched at
a blank line). The writer emits only `data:` lines and `:` comments, because an `event:`, `id:` or
`retry:` block without data makes the `openai` SDK raise a raw JSONDecodeError
(llm-wire-formats.md §0 fact 2).
"""

from __future__ import annotations

from dataclasses import dataclass

DONE = b"data: [DONE]\n\n"
"""The sentinel that ends an OpenAI chat stream (the SDK stops reading at it)."""

KEEPALIVE = b": ping\n\n"
"""A comment line: ignored by every SSE client, so a safe keep-alive."""

# An upstream that never sends a blank line must not grow our buffer without limit.
MAX_EVENT_BYTES = 4 * 1024 * 1024


class SSEError(ValueError):
    """An event stream that cannot be parsed (an event over MAX_EVENT_BYTES)."""


@dataclass(slots=True)
class SSEEvent:
    """One dispatched event: its joined data (bytes, as JSON parsers take them) and `event:` name."""

    data: bytes
    event: str | None = None


class SSEParser:
    """Feed bytes as they arrive; get back the events completed so far."""

    __slots__ = ("_buffer", "_data", "_event", "_has_fields", "_skip_lf")

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[bytes] = []
        self._event: str | None = None
        self._has_fields = False
        self._skip_lf = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Parse `chunk`; return the events it completed (possibly none)."""
        if self._skip_lf:
            # The previous chunk ended in CR: a LF starting this one is the second half of a CRLF.
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        buffer = self._buffer + chunk if self._buffer else chunk
        if b"\r" in buffer:
            self._skip_lf = buffer.endswith(b"\r")
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buffer.split(b"\n")
        self._buffer = lines.pop()
        if len(self._buffer) > MAX_EVENT_BYTES:
            raise SSEError(f"an event stream line exceeds {MAX_EVENT_BYTES} bytes")
        events: list[SSEEvent] = []
        for line in lines:
            if not line:
                if self._has_fields:
                    events.append(SSEEvent(b"\n".join(self._data), self._event))
                    self._data = []
                    self._event = None
                    self._has_fields = False
                continue
            if line[0] == 0x3A:  # ":" starts a comment
                continue
            name, sep, value = line.partition(b":")
            if sep and value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                self._data.append(value)
                self._has_fields = True
            elif name == b"event":
                self._event = value.decode("utf-8", "replace")
                self._has_fields = True
            elif name in (b"id", b"retry"):
                self._has_fields = True
        return events

    def close(self) -> list[SSEEvent]:
        """End of stream: dispatch a final event that had no trailing blank line."""
        events = self.feed(b"\n\n") if (self._buffer or self._has_fields) else []
        self._buffer = b""
        return events


def encode_data(payload: bytes) -> bytes:
    """One SSE event carrying `payload` (JSON without newlines) as its data."""
    return b"data: " + payload + b"\n\n"
