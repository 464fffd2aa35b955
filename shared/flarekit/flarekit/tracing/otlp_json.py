"""Spans as an OTLP/HTTP JSON ExportTraceServiceRequest.

OTLP's JSON differs from proto3's generic mapping: trace and span IDs are lower hex (not base64),
enums are integers, and 64-bit integers (times, int attributes) are decimal strings.

`export_request` builds the message as dicts (the readable reference); `encode` writes the same
JSON text directly, piece by piece (strings quoted by the json module's C `encode_basestring`):
about 2.5x faster than `json.dumps` of the dicts, and it runs for every exported request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring as quote  # a JSON string literal (C)
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


def _value_text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return '{"stringValue":' + quote(value) + "}"
    if kind is bool:
        return '{"boolValue":true}' if value else '{"boolValue":false}'
    if kind is int:
        return '{"intValue":"' + str(value) + '"}'
    if kind is float:
        if math.isfinite(value):
            return '{"doubleValue":' + repr(value) + "}"
        return '{"doubleValue":"' + ("NaN" if value != value else "Infinity" if value > 0 else "-Infinity") + '"}'
    if kind is list or kind is tuple:
        return '{"arrayValue":{"values":[' + ",".join([_value_text(v) for v in value]) + "]}}"
    return '{"stringValue":' + quote(str(value)) + "}"


def _attributes_text(attributes: Mapping[str, Any]) -> str:
    return ",".join(
        ['{"key":' + quote(key) + ',"value":' + _value_text(value) + "}" for key, value in attributes.items()]
    )


def span_text(span: RecordingSpan) -> str:
    """One span as OTLP JSON text (what `span_json` gives, written directly)."""
    context, parent, status = span.context, span.parent, span.status
    flags = _flags(context) | (0x200 if parent is not None and parent.is_remote else 0)
    parts = [f'{{"traceId":"{context.trace_id:032x}","spanId":"{context.span_id:016x}"']
    state = context.trace_state.to_header()
    if state:
        parts.append(',"traceState":' + quote(state))
    if parent is not None:
        parts.append(f',"parentSpanId":"{parent.span_id:016x}"')
    parts.append(
        f',"name":{quote(span.name)},"kind":{span.kind.value + 1},"startTimeUnixNano":"{span.start_ns}",'
        f'"endTimeUnixNano":"{span.end_ns or span.start_ns}","attributes":[{_attributes_text(span.attributes)}],'
        f'"flags":{flags}'
    )
    if span.events:
        events = [
            f'{{"timeUnixNano":"{ts}","name":{quote(name)},"attributes":[{_attributes_text(attributes)}]}}'
            for name, ts, attributes in span.events
        ]
        parts.append(',"events":[' + ",".join(events) + "]")
    if span.links:
        links = [
            f'{{"traceId":"{link.trace_id:032x}","spanId":"{link.span_id:016x}",'
            f'"attributes":[{_attributes_text(attributes)}]}}'
            for link, attributes in span.links
        ]
        parts.append(',"links":[' + ",".join(links) + "]")
    for field, count in (
        ("droppedAttributesCount", span.dropped_attributes),
        ("droppedEventsCount", span.dropped_events),
        ("droppedLinksCount", span.dropped_links),
    ):
        if count:
            parts.append(f',"{field}":{count}')
    message = ',"message":' + quote(status.description) if status.description else ""
    parts.append(f',"status":{{"code":{status.status_code.value}{message}}}}}')
    return "".join(parts)


def encode(resource: Mapping[str, Any], spans: Sequence[RecordingSpan]) -> bytes:
    """The JSON body of an OTLP/HTTP trace export (the text of `export_request`)."""
    scopes: dict[tuple[str, str | None], list[str]] = {}
    for span in spans:
        scopes.setdefault(span.scope, []).append(span_text(span))
    scope_texts = []
    for (name, version), texts in scopes.items():
        named = quote(name) + (',"version":' + quote(version) if version else "")
        scope_texts.append(f'{{"scope":{{"name":{named}}},"spans":[{",".join(texts)}]}}')
    return (
        f'{{"resourceSpans":[{{"resource":{{"attributes":[{_attributes_text(resource)}]}},'
        f'"scopeSpans":[{",".join(scope_texts)}]}}]}}'
    ).encode()
