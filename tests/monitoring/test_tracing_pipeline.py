"""Spans leave a Worker after the response, continue the caller's trace, and reach the next hop."""

from __future__ import annotations

import contextlib

from aiohttp import web

from flarekit.tracing.propagation import parse_traceparent
from flaresim.runtime import ServiceBinding

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
AUTH = {"authorization": "Bearer query-test-token"}


@contextlib.asynccontextmanager
async def upstream():
    seen = []

    async def handle(request):
        seen.append(dict(request.headers))
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1/chat/completions", seen
    finally:
        await runner.cleanup()


async def test_a_request_continues_the_callers_trace_through_to_the_upstream(load_monitoring, worker_client, flaresim):
    _telemetry, app = load_monitoring()
    async with upstream() as (url, seen):
        response = await worker_client(app).post(
            "/v1/chat/completions",
            json={"model": "gpt-4o", "provider": "openai", "upstream": url},
            headers={"traceparent": f"00-{TRACE}-{CALLER_SPAN}-01"},
        )
        assert (await response.json())["trace"] == TRACE
    await flaresim.drain()
    spans = await ServiceBinding(flaresim, "telemetry", None).received_spans()
    app_spans = {s["name"]: s for s in spans if s["service"] == "app"}
    server, client = app_spans["POST /v1/chat/completions"], app_spans["chat gpt-4o"]
    assert server["traceId"] == client["traceId"] == TRACE
    assert server["parentSpanId"] == CALLER_SPAN and server["kind"] == 2
    assert client["parentSpanId"] == server["spanId"] and client["kind"] == 3
    (headers,) = seen
    onward = parse_traceparent(headers["traceparent"])
    assert onward is not None
    assert f"{onward.trace_id:032x}" == TRACE and f"{onward.span_id:016x}" == client["spanId"]


async def test_an_unsampled_caller_means_no_spans_but_the_trace_id_still_travels(
    load_monitoring, worker_client, flaresim
):
    _telemetry, app = load_monitoring()
    async with upstream() as (url, seen):
        await worker_client(app).post(
            "/v1/chat/completions", json={"upstream": url}, headers={"traceparent": f"00-{TRACE}-{CALLER_SPAN}-00"}
        )
    await flaresim.drain()
    spans = await ServiceBinding(flaresim, "telemetry", None).received_spans()
    assert [s for s in spans if s["service"] == "app"] == []
    assert seen[0]["traceparent"].startswith(f"00-{TRACE}-") and seen[0]["traceparent"].endswith("-00")


async def test_a_failed_export_leaves_the_response_alone_and_is_counted(load_monitoring, worker_client, flaresim):
    telemetry, app = load_monitoring(app_overrides={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
    for _ in range(3):
        response = await worker_client(app).post("/v1/chat/completions", json={"model": "m"})
        assert response.status == 200
    await flaresim.drain()
    text = await (await worker_client(telemetry).get("/metrics", headers=AUTH)).text()
    assert 'flarekit_export_failures_total{worker="app"} 3' in text
    assert flaresim.background_failures == 0


async def test_sampling_ratio_zero_records_no_root_spans(load_monitoring, worker_client, flaresim):
    _telemetry, app = load_monitoring(app_overrides={"OTEL_TRACES_SAMPLER_ARG": "0"})
    for _ in range(5):
        await worker_client(app).post("/v1/chat/completions", json={})
    await flaresim.drain()
    spans = await ServiceBinding(flaresim, "telemetry", None).received_spans()
    assert [s for s in spans if s["service"] == "app"] == []


async def test_code_deep_in_a_request_adds_spans_through_the_current_tracer(load_monitoring, worker_client, flaresim):
    _telemetry, app = load_monitoring()
    await worker_client(app).post(
        "/v1/chat/completions", json={"cache": "miss"}, headers={"traceparent": f"00-{TRACE}-{CALLER_SPAN}-01"}
    )
    await flaresim.drain()
    spans = await ServiceBinding(flaresim, "telemetry", None).received_spans()
    app_spans = {s["name"]: s for s in spans if s["service"] == "app"}
    assert set(app_spans) == {"POST /v1/chat/completions", "cache lookup", "chat m"}
    assert app_spans["cache lookup"]["parentSpanId"] == app_spans["POST /v1/chat/completions"]["spanId"]
