"""OTLP/HTTP JSON encoding: hex IDs, integer enums, 64-bit integers as strings, grouped by scope."""

from __future__ import annotations

import json

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from flarekit.tracing import otlp_json
from flarekit.tracing.propagation import extract
from flarekit.tracing.provider import TracerProvider
from flarekit.tracing.sampling import sampler

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _spans():
    provider = TracerProvider(sampler("always_on", 1.0), {"service.name": "ai-proxy"}, clock=lambda: 1_790_000_000.5)
    tracer = provider.get_tracer("flarekit", "0.1.0")
    root = tracer.start_span(
        "POST /v1/chat", extract({"traceparent": PARENT}), SpanKind.SERVER, {"http.response.status_code": 200}
    )
    with trace.use_span(root):
        child = tracer.start_span(
            "chat m",
            kind=SpanKind.CLIENT,
            attributes={"gen_ai.usage.input_tokens": 2**40, "ok": True, "r": ["stop"], "t": 0.5},
        )
        child.add_event("first chunk", {"n": 1})
        child.end()
    root.end()
    return root.buffer.spans  # fmt: skip


def test_the_export_request_has_one_resource_and_one_scope():
    body = json.loads(otlp_json.encode({"service.name": "ai-proxy"}, _spans()))
    (resource_spans,) = body["resourceSpans"]
    assert resource_spans["resource"]["attributes"] == [{"key": "service.name", "value": {"stringValue": "ai-proxy"}}]
    (scope,) = resource_spans["scopeSpans"]
    assert scope["scope"] == {"name": "flarekit", "version": "0.1.0"}
    assert [s["name"] for s in scope["spans"]] == ["chat m", "POST /v1/chat"]


def test_spans_use_hex_ids_integer_enums_and_string_nanoseconds():
    body = json.loads(otlp_json.encode({}, _spans()))
    child, root = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert root["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert root["parentSpanId"] == "00f067aa0ba902b7"
    assert child["parentSpanId"] == root["spanId"] and len(root["spanId"]) == 16
    assert (root["kind"], child["kind"]) == (2, 3)  # SERVER, CLIENT in OTLP's numbering
    assert root["startTimeUnixNano"] == "1790000000500000000"
    assert root["flags"] == 0x301  # sampled, parent known to be remote
    assert child["flags"] == 0x101


def test_attribute_values_use_otlp_any_value_types():
    child = json.loads(otlp_json.encode({}, _spans()))["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    values = {kv["key"]: kv["value"] for kv in child["attributes"]}
    assert values == {
        "gen_ai.usage.input_tokens": {"intValue": str(2**40)},
        "ok": {"boolValue": True},
        "r": {"arrayValue": {"values": [{"stringValue": "stop"}]}},
        "t": {"doubleValue": 0.5},
    }
    assert child["events"][0]["name"] == "first chunk"


def test_the_text_encoder_writes_exactly_the_reference_message():
    provider = TracerProvider(sampler("always_on", 1.0), {}, clock=lambda: 1_790_000_000.25)
    tracer = provider.get_tracer("flarekit")
    parent = extract({"traceparent": PARENT, "tracestate": "vendor=a,other=b"})
    link = trace.Link(trace.SpanContext(7, 9, False, trace.TraceFlags(1)), {"why": "batch"})
    root = tracer.start_span(
        'quote " backslash \\ é \u2028',
        parent,
        SpanKind.SERVER,
        {"s": "line\nbreak", "i": -3, "f": 1e-7, "b": False, "l": ["a", "b"], "n": [1, 2], "nan": float("nan")},
        links=[link],
    )
    with trace.use_span(root, end_on_exit=True):
        child = tracer.start_span("child", attributes={"big": 2**63 - 1, "inf": float("-inf")})
        child.add_event("exception", {"exception.type": "ValueError"})
        child.set_status(trace.StatusCode.ERROR, "it broke")
        child.end()
    spans = root.buffer.spans
    resource = {"service.name": "ai-proxy", "service.version": "0.1.0", "ratio": 0.5}
    reference = json.loads(
        json.dumps(otlp_json.export_request(resource, spans))
        .replace("NaN", '"NaN"')
        .replace("-Infinity", '"-Infinity"')
    )  # fmt: skip  (OTLP JSON writes them as strings)
    assert json.loads(otlp_json.encode(resource, spans)) == reference
