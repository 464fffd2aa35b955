"""W3C Trace Context: read `traceparent`/`tracestate` from a request, write them on an outgoing one.

https://www.w3.org/TR/trace-context/: `traceparent` is `version-traceid-parentid-flags` in lower
hex; version ff is invalid; all-zero IDs are invalid; a version-00 header has exactly four fields.
A header we cannot read is ignored (a new trace starts), as the specification requires.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    TraceFlags,
    TraceState,
    get_current_span,
    set_span_in_context,
)

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")


def parse_traceparent(traceparent: str | None, tracestate: str | None = None) -> SpanContext | None:
    """The remote span context a `traceparent` header names, or None when absent or invalid."""
    if not traceparent:
        return None
    match = _TRACEPARENT.match(traceparent.strip())
    if match is None:
        return None
    version, trace_hex, span_hex, flags_hex, rest = match.groups()
    if version == "ff" or (version == "00" and rest):
        return None
    trace_id, span_id = int(trace_hex, 16), int(span_hex, 16)
    if not trace_id or not span_id:
        return None
    state = TraceState.from_header([tracestate]) if tracestate else TraceState()
    return SpanContext(
        trace_id, span_id, is_remote=True, trace_flags=TraceFlags(int(flags_hex, 16) & 0x01), trace_state=state
    )


def format_traceparent(context: SpanContext) -> str:
    """The `traceparent` value that makes `context` the parent of the next hop."""
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags) & 0x01:02x}"


def extract(headers: Mapping[str, Any] | Any) -> Any:
    """An OpenTelemetry Context whose current span is the request's remote parent (empty when none)."""
    remote = parse_traceparent(headers.get("traceparent"), headers.get("tracestate"))
    if remote is None:
        return None
    return set_span_in_context(NonRecordingSpan(remote))


def inject(headers: MutableMapping[str, str], context: SpanContext) -> MutableMapping[str, str]:
    """Add `traceparent` (and `tracestate` when there is one) for an outgoing request; returns `headers`."""
    if context.is_valid:
        headers["traceparent"] = format_traceparent(context)
        state = context.trace_state.to_header()
        if state:
            headers["tracestate"] = state
    return headers


def inject_current(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Add the current span's `traceparent` to an outgoing request's headers (nothing outside a trace)."""
    return inject(headers, get_current_span().get_span_context())
