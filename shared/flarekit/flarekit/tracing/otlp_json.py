"""Spans as an OTLP/HTTP JSON ExportTraceServiceRequest.

OTLP's JSON differs from proto3's generic mapping: trace and span IDs are lower hex (not base64),
enums are integers, and 64-bit integers (times, int attributes) are decimal strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.trace import SpanContext

from flarekit.tracing.spans import RecordingSpan

CONTENT_TYPE = "application/json"


def any_value(value: Any) -> dict[str, Any]:
    """An attribute value as OTLP's AnyValue."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    return {"stringValue": str(value)}


def key_values(attributes: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": key, "value": any_value(value)} for key, value in attributes.items()]


def _flags(context: SpanContext) -> int:
    # Bit 8 and 9 of Span.flags say whether the parent is known to be remote (OTLP 1.1+).
    return int(context.trace_flags) | 0x100


def span_json(span: RecordingSpan) -> dict[str, Any]:
    out: dict[str, Any] = {
        "traceId": f"{span.context.trace_id:032x}",
        "spanId": f"{span.context.span_id:016x}",
        "name": span.name,
        "kind": span.kind.value + 1,  # the API's enum starts at INTERNAL=0, OTLP's at UNSPECIFIED=0
        "startTimeUnixNano": str(span.start_ns),
        "endTimeUnixNano": str(span.end_ns or span.start_ns),
        "attributes": key_values(span.attributes),
        "flags": _flags(span.context) | (0x200 if span.parent is not None and span.parent.is_remote else 0),
        "status": {"code": span.status.status_code.value},
    }
    state = span.context.trace_state.to_header()
    if state:
        out["traceState"] = state
    if span.parent is not None:
        out["parentSpanId"] = f"{span.parent.span_id:016x}"
    if span.status.description:
        out["status"]["message"] = span.status.description
    if span.events:
        out["events"] = [
            {"timeUnixNano": str(ts), "name": name, "attributes": key_values(attrs)} for name, ts, attrs in span.events
        ]
    if span.links:
        out["links"] = [
            {"traceId": f"{ctx.trace_id:032x}", "spanId": f"{ctx.span_id:016x}", "attributes": key_values(attrs)}
            for ctx, attrs in span.links
        ]
    for field, count in (
        ("droppedAttributesCount", span.dropped_attributes),
        ("droppedEventsCount", span.dropped_events),
        ("droppedLinksCount", span.dropped_links),
    ):
        if count:
            out[field] = count
    return out


def export_request(resource: Mapping[str, Any], spans: Sequence[RecordingSpan]) -> dict[str, Any]:
    """The ExportTraceServiceRequest of one resource's spans, grouped by instrumentation scope."""
    scopes: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for span in spans:
        scopes.setdefault(span.scope, []).append(span_json(span))
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": key_values(resource)},
                "scopeSpans": [
                    {"scope": {"name": name, **({"version": version} if version else {})}, "spans": encoded}
                    for (name, version), encoded in scopes.items()
                ],
            }
        ]
    }


def encode(resource: Mapping[str, Any], spans: Sequence[RecordingSpan]) -> bytes:
    """The JSON body of an OTLP/HTTP trace export."""
    return json.dumps(export_request(resource, spans), separators=(",", ":")).encode()
