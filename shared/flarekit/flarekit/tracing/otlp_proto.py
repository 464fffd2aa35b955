"""Spans as an OTLP/HTTP protobuf ExportTraceServiceRequest, encoded by hand (pure Python).

Only the encoder for the messages we send, written from opentelemetry-proto's trace.proto and
common.proto field numbers, so no `protobuf` runtime is vendored. Tests decode the result with the
official generated classes.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Any

from flarekit.tracing.spans import RecordingSpan

CONTENT_TYPE = "application/x-protobuf"

_VARINT, _FIXED64, _LEN, _FIXED32 = 0, 1, 2, 5


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int64 negatives are ten-byte two's complement varints
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _tag(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _len(field: int, payload: bytes) -> bytes:
    return _tag(field, _LEN) + _varint(len(payload)) + payload


def _str(field: int, value: str) -> bytes:
    return _len(field, value.encode()) if value else b""


def _uint(field: int, value: int) -> bytes:
    return _tag(field, _VARINT) + _varint(value) if value else b""


def _fixed64(field: int, value: int) -> bytes:
    return _tag(field, _FIXED64) + struct.pack("<Q", value)


def _fixed32(field: int, value: int) -> bytes:
    return _tag(field, _FIXED32) + struct.pack("<I", value)


def any_value(value: Any) -> bytes:
    """AnyValue: string 1, bool 2, int64 3, double 4, ArrayValue 5."""
    if isinstance(value, bool):
        return _tag(2, _VARINT) + _varint(1 if value else 0)
    if isinstance(value, int):
        return _tag(3, _VARINT) + _varint(value)
    if isinstance(value, float):
        return _tag(4, _FIXED64) + struct.pack("<d", value)
    if isinstance(value, list | tuple):
        return _len(5, b"".join(_len(1, any_value(v)) for v in value))
    return _len(1, str(value).encode())


def key_values(field: int, attributes: Mapping[str, Any]) -> bytes:
    """Repeated KeyValue {key 1, value 2} under `field`."""
    return b"".join(_len(field, _str(1, key) + _len(2, any_value(value))) for key, value in attributes.items())


def span_bytes(span: RecordingSpan) -> bytes:
    ctx = span.context
    parent = span.parent
    status = _str(2, span.status.description or "") + _uint(3, span.status.status_code.value)
    flags = int(ctx.trace_flags) | 0x100 | (0x200 if parent is not None and parent.is_remote else 0)
    parts = [
        _len(1, ctx.trace_id.to_bytes(16, "big")),
        _len(2, ctx.span_id.to_bytes(8, "big")),
        _str(3, ctx.trace_state.to_header()),
        _len(4, parent.span_id.to_bytes(8, "big")) if parent is not None else b"",
        _str(5, span.name),
        _uint(6, span.kind.value + 1),
        _fixed64(7, span.start_ns),
        _fixed64(8, span.end_ns or span.start_ns),
        key_values(9, span.attributes),
        _uint(10, span.dropped_attributes),
    ]
    for name, ts, attrs in span.events:
        parts.append(_len(11, _fixed64(1, ts) + _str(2, name) + key_values(3, attrs)))
    parts.append(_uint(12, span.dropped_events))
    for link_ctx, attrs in span.links:
        parts.append(
            _len(
                13,
                _len(1, link_ctx.trace_id.to_bytes(16, "big"))
                + _len(2, link_ctx.span_id.to_bytes(8, "big"))
                + key_values(4, attrs),
            )
        )
    parts.append(_uint(14, span.dropped_links))
    parts.append(_len(15, status))
    parts.append(_fixed32(16, flags))
    return b"".join(parts)


def encode(resource: Mapping[str, Any], spans: Sequence[RecordingSpan]) -> bytes:
    """ExportTraceServiceRequest{resource_spans 1: ResourceSpans{resource 1, scope_spans 2}}."""
    scopes: dict[tuple[str, str | None], list[bytes]] = {}
    for span in spans:
        scopes.setdefault(span.scope, []).append(span_bytes(span))
    scope_spans = b""
    for (name, version), encoded in scopes.items():
        scope = _str(1, name) + _str(2, version or "")
        scope_spans += _len(2, _len(1, scope) + b"".join(_len(2, s) for s in encoded))
    resource_msg = _len(1, key_values(1, resource))
    return _len(1, resource_msg + scope_spans)
