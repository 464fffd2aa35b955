"""Span export as OTLP/HTTP: protobuf the official classes decode, to a real receiver, failures counted."""

from __future__ import annotations

import contextlib
import json
from types import SimpleNamespace

import pytest
from aiohttp import web
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.trace import SpanKind

from flarekit.tracing import otlp_proto
from flarekit.tracing.config import tracing_config
from flarekit.tracing.export import EXPORT_STATS, export_spans
from flarekit.tracing.propagation import extract
from flarekit.tracing.provider import TracerProvider
from flarekit.tracing.sampling import sampler

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _spans():
    provider = TracerProvider(sampler("always_on", 1.0), {}, clock=lambda: 1_790_000_000.25)
    tracer = provider.get_tracer("flarekit", "0.1.0")
    root = tracer.start_span("POST /v1/chat/completions", extract({"traceparent": PARENT}), SpanKind.SERVER)
    root.set_attributes({"http.response.status_code": 200, "neg": -5, "ratio": 0.5, "flag": True, "list": ["a", "b"]})
    with trace.use_span(root):
        child = tracer.start_span("chat gpt-4o", kind=SpanKind.CLIENT, attributes={"gen_ai.usage.input_tokens": 12})
        child.add_event("first chunk", {"n": 1})
        child.set_status(trace.StatusCode.ERROR, "upstream 502")
        child.end()
    root.end()
    return root.buffer.spans


def test_protobuf_encoding_decodes_with_the_official_classes():
    request = ExportTraceServiceRequest.FromString(otlp_proto.encode({"service.name": "ai-proxy"}, _spans()))
    (resource_spans,) = request.resource_spans
    assert resource_spans.resource.attributes[0].key == "service.name"
    assert resource_spans.resource.attributes[0].value.string_value == "ai-proxy"
    (scope_spans,) = resource_spans.scope_spans
    assert (scope_spans.scope.name, scope_spans.scope.version) == ("flarekit", "0.1.0")
    child, root = scope_spans.spans
    assert root.trace_id.hex() == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert root.parent_span_id.hex() == "00f067aa0ba902b7"
    assert child.parent_span_id == root.span_id
    assert (root.kind, child.kind) == (2, 3)
    assert root.start_time_unix_nano == 1_790_000_000_250_000_000
    assert root.flags == 0x301
    attributes = {kv.key: kv.value for kv in root.attributes}
    assert attributes["http.response.status_code"].int_value == 200
    assert attributes["neg"].int_value == -5
    assert attributes["ratio"].double_value == 0.5
    assert attributes["flag"].bool_value is True
    assert [v.string_value for v in attributes["list"].array_value.values] == ["a", "b"]
    assert (child.status.code, child.status.message) == (2, "upstream 502")
    assert child.events[0].name == "first chunk"


@contextlib.asynccontextmanager
async def otlp_receiver(status=200):
    received = []

    async def traces(request):
        received.append((dict(request.headers), await request.read()))
        return web.Response(status=status, body=b"", content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", traces)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        await runner.cleanup()


async def test_spans_reach_an_otlp_endpoint_with_the_configured_headers(flaresim):
    async with otlp_receiver() as (url, received):
        config = tracing_config(
            SimpleNamespace(OTEL_EXPORTER_OTLP_ENDPOINT=url, OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20tok"),
            "ai-proxy",
        )
        assert await export_spans(None, config, {"service.name": "ai-proxy"}, _spans())
    ((headers, body),) = received
    assert headers["Authorization"] == "Bearer tok"
    assert headers["Content-Type"] == "application/x-protobuf"
    assert len(ExportTraceServiceRequest.FromString(body).resource_spans[0].scope_spans[0].spans) == 2


async def test_json_export_goes_over_a_service_binding(flaresim):
    sent = []

    class Binding:
        async def fetch(self, url, **options):
            sent.append((url, options))
            return SimpleNamespace(status=200)

    env = SimpleNamespace(TELEMETRY=Binding())
    assert await export_spans(env, tracing_config(env, "telegram-bot"), {}, _spans())
    ((url, options),) = sent
    assert url.endswith("/v1/traces")
    assert options["headers"]["content-type"] == "application/json"
    assert len(json.loads(options["body"])["resourceSpans"][0]["scopeSpans"][0]["spans"]) == 2


@pytest.mark.parametrize("status", [400, 503])
async def test_a_refused_export_is_counted_and_does_not_raise(flaresim, status):
    before = EXPORT_STATS.failures
    async with otlp_receiver(status) as (url, _received):
        config = tracing_config(SimpleNamespace(OTEL_EXPORTER_OTLP_ENDPOINT=url), "w")
        assert not await export_spans(None, config, {}, _spans())
    assert EXPORT_STATS.failures == before + 1


async def test_an_unreachable_endpoint_is_counted_and_does_not_raise(flaresim):
    before = EXPORT_STATS.failures
    config = tracing_config(SimpleNamespace(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9"), "w")
    assert not await export_spans(None, config, {}, _spans())
    assert EXPORT_STATS.failures == before + 1
