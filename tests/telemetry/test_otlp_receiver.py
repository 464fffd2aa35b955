"""The OTLP/HTTP receiver over real HTTP: the OpenTelemetry Python SDK's exporters, and OTLP/JSON."""

from __future__ import annotations

import asyncio
import gzip
import json

import aiohttp
import pytest
from google.rpc import status_pb2
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from telemetry_support import INGEST, QUERY

from flaresim.testing import serve_workers

TOKEN_HEADERS = {"Authorization": "Bearer ingest-dev-token"}
RESOURCE = Resource.create({"service.name": "checkout", "deployment.environment": "test"})


def recorded_spans():
    """Three spans of one trace made by the SDK: a server span, a client child with an error, an internal one."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("shop", "2.0")
    with tracer.start_as_current_span("POST /orders", kind=trace.SpanKind.SERVER) as root:
        root.set_attribute("http.route", "/orders")
        root.set_attribute("http.response.status_code", 201)
        with tracer.start_as_current_span("chat gpt-4o", kind=trace.SpanKind.CLIENT) as child:
            child.set_attribute("gen_ai.provider.name", "openai")
            child.set_attribute("gen_ai.request.model", "gpt-4o")
            child.set_attribute("gen_ai.usage.input_tokens", 12)
            child.record_exception(ValueError("quota exceeded for key 1234"))
            child.set_status(trace.Status(trace.StatusCode.ERROR, "upstream 429"))
        with tracer.start_as_current_span("render", attributes={"items": [1, 2, 3], "ratio": 0.5, "ok": True}):
            pass
    provider.shutdown()
    return memory.get_finished_spans()


def span_range(spans) -> dict:
    return {
        "start": min(s.start_time for s in spans) // 1_000_000,
        "end": max(s.start_time for s in spans) // 1_000_000,
    }


async def query_http(session, url: str, **params) -> dict:
    async with session.get(
        f"{url}/api/telemetry/query", params={k: str(v) for k, v in params.items()}, headers=QUERY
    ) as r:
        assert r.status == 200
        return await r.json()


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
async def test_spans_exported_by_the_python_sdk_are_returned_by_the_query(telemetry, compression):
    spans = recorded_spans()
    async with serve_workers(telemetry) as urls, aiohttp.ClientSession() as session:
        url = urls["telemetry"]
        exporter = OTLPSpanExporter(endpoint=f"{url}/v1/traces", headers=TOKEN_HEADERS, compression=compression)
        assert await asyncio.to_thread(exporter.export, spans) == SpanExportResult.SUCCESS
        page = await query_http(session, url, event_type="otel.span", **span_range(spans))
    by_name = {e["data"]["name"]: e for e in page["events"]}
    assert set(by_name) == {"POST /orders", "chat gpt-4o", "render"}
    for span in spans:
        stored = by_name[span.name]
        assert stored["data"]["trace_id"] == format(span.context.trace_id, "032x")
        assert stored["data"]["span_id"] == format(span.context.span_id, "016x")
        assert stored["id"] == stored["data"]["trace_id"] + stored["data"]["span_id"]
        assert stored["timestamp"] == span.start_time // 1_000_000
        assert stored["data"]["start_time_unix_nano"] == str(span.start_time)
        assert stored["data"]["resource"]["service.name"] == "checkout"
        assert stored["data"]["scope"] == {"name": "shop", "version": "2.0"}
    child = by_name["chat gpt-4o"]["data"]
    assert child["parent_span_id"] == by_name["POST /orders"]["data"]["span_id"]
    assert child["kind"] == 3 and child["status"] == {"code": 2, "message": "upstream 429"}
    assert child["events"][0]["name"] == "exception"
    assert child["events"][0]["attributes"]["exception.type"] == "ValueError"
    assert by_name["render"]["data"]["attributes"] == {"items": [1, 2, 3], "ratio": 0.5, "ok": True}


async def test_exporting_the_same_spans_twice_stores_them_once_for_queries(telemetry):
    spans = recorded_spans()
    async with serve_workers(telemetry) as urls, aiohttp.ClientSession() as session:
        exporter = OTLPSpanExporter(endpoint=f"{urls['telemetry']}/v1/traces", headers=TOKEN_HEADERS)
        for _ in range(2):
            assert await asyncio.to_thread(exporter.export, spans) == SpanExportResult.SUCCESS
        page = await query_http(session, urls["telemetry"], **span_range(spans))
    assert page["count"] == 3


async def test_metrics_and_logs_from_the_sdk_become_events(telemetry):
    reader = InMemoryMetricReader()
    meter = MeterProvider(resource=RESOURCE, metric_readers=[reader]).get_meter("shop")
    meter.create_counter("orders").add(3, {"region": "eu"})
    meter.create_histogram("latency", unit="ms").record(12.5)
    metrics = reader.get_metrics_data()
    memory = InMemoryLogRecordExporter()
    logs = LoggerProvider(resource=RESOURCE)
    logs.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logs.get_logger("shop").emit(
        body="payment failed for order 991", severity_number=SeverityNumber.ERROR, severity_text="ERROR"
    )
    records = memory.get_finished_logs()
    async with serve_workers(telemetry) as urls, aiohttp.ClientSession() as session:
        url = urls["telemetry"]
        metric_exporter = OTLPMetricExporter(endpoint=f"{url}/v1/metrics", headers=TOKEN_HEADERS)
        log_exporter = OTLPLogExporter(endpoint=f"{url}/v1/logs", headers=TOKEN_HEADERS)
        assert (await asyncio.to_thread(metric_exporter.export, metrics)).name == "SUCCESS"
        assert (await asyncio.to_thread(log_exporter.export, records)).name == "SUCCESS"
        found = await query_http(session, url, start=0, end=9_999_999_999_999, limit=1000)
    by_type: dict[str, list] = {}
    for e in found["events"]:
        by_type.setdefault(e["event_type"], []).append(e["data"])
    orders = next(m for m in by_type["otel.metric"] if m["name"] == "orders")
    assert (orders["type"], orders["value"], orders["attributes"], orders["is_monotonic"]) == (
        "sum",
        3,
        {"region": "eu"},
        True,
    )
    latency = next(m for m in by_type["otel.metric"] if m["name"] == "latency")
    assert latency["type"] == "histogram" and latency["count"] == 1 and latency["sum"] == 12.5
    (log,) = by_type["otel.log"]
    assert (log["body"], log["severity_number"], log["resource"]["service.name"]) == (
        "payment failed for order 991",
        17,
        "checkout",
    )


def otlp_json_spans(*spans: dict) -> dict:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "edge"}}]},
                "scopeSpans": [{"scope": {"name": "edge-js", "version": "1"}, "spans": list(spans)}],
            }
        ]
    }


def json_span(name: str, span_id: str, trace_id: str = "5B8EFFF798038103D269B633813FC60C", **extra) -> dict:
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "name": name,
        "kind": 2,
        "startTimeUnixNano": "1790000000000000000",
        "endTimeUnixNano": "1790000000042000000",
        "attributes": [{"key": "http.response.status_code", "value": {"intValue": "200"}}],
        **extra,
    }


async def test_otlp_json_is_accepted_and_answered_in_json(telemetry):
    document = otlp_json_spans(json_span("GET /a", "EEE19B7EC3C1B174"), json_span("GET /b", "EEE19B7EC3C1B175"))
    async with serve_workers(telemetry) as urls, aiohttp.ClientSession() as session:
        url = urls["telemetry"]
        async with session.post(f"{url}/v1/traces", json=document, headers=TOKEN_HEADERS) as r:
            assert r.status == 200 and r.content_type == "application/json"
            assert await r.json() == {}
        page = await query_http(session, url, start=1790000000000, end=1790000000000)
    assert [e["data"]["name"] for e in page["events"]] == ["GET /a", "GET /b"]
    assert page["events"][0]["data"]["duration_ms"] == 42.0
    assert page["events"][0]["data"]["attributes"] == {"http.response.status_code": 200}


async def test_invalid_spans_are_a_partial_success_in_the_requests_encoding(telemetry):
    good = json_span("ok", "EEE19B7EC3C1B174")
    bad_trace = json_span("bad", "EEE19B7EC3C1B175", trace_id="00000000000000000000000000000000")
    bad_span = json_span("bad2", "nothex")
    async with serve_workers(telemetry) as urls, aiohttp.ClientSession() as session:
        url = urls["telemetry"]
        async with session.post(
            f"{url}/v1/traces", json=otlp_json_spans(good, bad_trace, bad_span), headers=TOKEN_HEADERS
        ) as r:
            assert r.status == 200
            partial = (await r.json())["partialSuccess"]
        assert partial["rejectedSpans"] == "2"
        assert "invalid trace_id" in partial["errorMessage"] and "invalid span_id" in partial["errorMessage"]
        request = ExportTraceServiceRequest()
        request.resource_spans.add().scope_spans.add().spans.add(
            trace_id=b"\x00" * 16, span_id=b"\x01" * 8, name="zero"
        )
        headers = {**TOKEN_HEADERS, "content-type": "application/x-protobuf"}
        async with session.post(f"{url}/v1/traces", data=request.SerializeToString(), headers=headers) as r:
            assert r.status == 200 and r.content_type == "application/x-protobuf"
            answer = ExportTraceServiceResponse.FromString(await r.read())
        assert answer.partial_success.rejected_spans == 1
        page = await query_http(session, url, start=1790000000000, end=1790000000000)
    assert [e["data"]["name"] for e in page["events"]] == ["ok"]


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/x-protobuf", b"\x0a\xff\xff\xff\x0f", 400),
        ("application/json", b'{"resourceSpans": 7}', 400),
        ("application/json", b"{not json", 400),
        ("text/plain", b"{}", 415),
    ],
)
async def test_malformed_exports_are_refused_with_a_google_rpc_status(telemetry, content_type, body, status):
    async with serve_workers(telemetry) as urls, aiohttp.ClientSession() as session:
        headers = {**TOKEN_HEADERS, "content-type": content_type}
        async with session.post(f"{urls['telemetry']}/v1/traces", data=body, headers=headers) as r:
            assert r.status == status
            raw = await r.read()
    if content_type == "application/x-protobuf":
        message = status_pb2.Status.FromString(raw)
        assert message.code == 3 and "Not a valid OTLP traces export request" in message.message
    else:
        assert json.loads(raw)["message"]


async def test_an_oversized_gzip_export_is_413(telemetry):
    bomb = gzip.compress(b"\x00" * (21 * 1024 * 1024))
    async with serve_workers(telemetry) as urls, aiohttp.ClientSession() as session:
        headers = {**TOKEN_HEADERS, "content-type": "application/x-protobuf", "content-encoding": "gzip"}
        async with session.post(f"{urls['telemetry']}/v1/traces", data=bomb, headers=headers) as r:
            assert r.status == 413
            assert status_pb2.Status.FromString(await r.read()).message.startswith("Request body is larger")


async def test_an_empty_export_is_a_full_success(api):
    response = await api.client.post("/v1/logs", body=b"", headers={**INGEST, "content-type": "application/x-protobuf"})
    assert response.status == 200 and await response.bytes() == b""


async def test_a_lone_surrogate_in_otlp_json_does_not_break_storage(api):
    span = json_span(
        "GET /s", "EEE19B7EC3C1B174", attributes=[{"key": "k", "value": {"stringValue": "\ud800" + "x" * 70_000}}]
    )
    small = json_span("GET /t", "EEE19B7EC3C1B175", attributes=[{"key": "k", "value": {"stringValue": "a\ud800b"}}])
    body = json.dumps(otlp_json_spans(span, small))
    response = await api.client.post("/v1/traces", body=body, headers={**INGEST, "content-type": "application/json"})
    assert response.status == 200
    assert (await response.json())["partialSuccess"]["rejectedSpans"] == "1"  # the oversized one
    page = await api.query(start=1790000000000, end=1790000000000)
    assert page["events"][0]["data"]["attributes"] == {"k": "a?b"}
