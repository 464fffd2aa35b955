"""Records flow from an observed Worker to the MetricsAggregator and out as /metrics and /api/stats."""

from __future__ import annotations

import asyncio

from prometheus_client.parser import text_string_to_metric_families

from flarekit.metrics.aggregator import aggregator

AUTH = {"authorization": "Bearer query-test-token"}


def totals(text):
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[sample.name] = out.get(sample.name, 0) + sample.value
    return out


async def test_two_isolates_count_every_request_exactly_once(load_monitoring, worker_client, flaresim):
    telemetry, app = load_monitoring(app_isolates=2)
    client = worker_client(app)
    bodies = [
        {"model": "gpt-4o", "provider": "openai", "key": "team-a", "cache": "miss", "input_tokens": 10,
         "output_tokens": 5, "cost_usd": 0.001, "status": 200 if i % 10 else 502}
        for i in range(60)
    ]  # fmt: skip
    responses = await asyncio.gather(*(client.post("/v1/chat/completions", json=b) for b in bodies))
    assert sorted({r.status for r in responses}) == [200, 502]
    await flaresim.drain()
    metrics = await worker_client(telemetry).get("/metrics", headers=AUTH)
    assert metrics.status == 200
    text = await metrics.text()
    figures = totals(text)
    app_requests = sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "flarekit_requests_total" and s.labels["worker"] == "app"
    )
    assert app_requests == 60
    assert figures["flarekit_request_errors_total"] == 6
    assert figures["flarekit_input_tokens_total"] == 600
    assert round(figures["flarekit_cost_usd_total"], 6) == 0.06


async def test_old_buckets_are_pruned_by_the_alarm_but_totals_remain(load_monitoring, worker_client, flaresim):
    telemetry, app = load_monitoring()
    for _ in range(5):
        await worker_client(app).post("/v1/chat/completions", json={"model": "m"})
    await flaresim.drain()
    stats_client = worker_client(telemetry)

    async def app_requests(window):
        stats = await (await stats_client.get(f"/api/stats?window={window}", headers=AUTH)).json()
        return sum(w["requests"] for w in stats["by_worker"] if w["worker"] == "app")

    rows = aggregator(telemetry.isolates[0].env).row_counts
    assert await app_requests("24h") == 5
    assert (await rows())["rollup_m"] > 0
    await flaresim.advance(27 * 3600)  # the aggregator's alarm runs every 10 minutes meanwhile
    assert (await rows())["rollup_m"] == 0
    assert await app_requests("24h") == 0
    assert await app_requests("7d") == 5
    await flaresim.advance(8 * 86400)
    counts = await rows()
    assert counts["rollup_h"] == 0 and counts["slow"] == 0 and counts["rollup_t"] > 0
    # Nothing left to prune: the alarm stopped; the next record arms it again.
    await worker_client(app).post("/v1/chat/completions", json={"model": "m"})
    await flaresim.drain()
    assert (await rows())["rollup_m"] > 0
    await flaresim.advance(27 * 3600)
    assert (await rows())["rollup_m"] == 0
    text = await (await stats_client.get("/metrics", headers=AUTH)).text()
    assert (
        sum(
            s.value
            for f in text_string_to_metric_families(text)
            for s in f.samples
            if s.name == "flarekit_requests_total" and s.labels["worker"] == "app"
        )
        == 6
    )


def _app_samples(text, name):
    return [
        s
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == name and s.labels.get("worker") == "app"
    ]


async def test_a_streamed_response_is_recorded_when_the_stream_ends_with_its_usage(
    load_monitoring, worker_client, flaresim
):
    telemetry, app = load_monitoring()
    response = await worker_client(app).post("/v1/stream", json={"chunks": 4})
    assert response.status == 200
    assert (await response.text()).count("data: ") == 4
    await flaresim.drain()
    text = await (await worker_client(telemetry).get("/metrics", headers=AUTH)).text()
    assert [s.value for s in _app_samples(text, "flarekit_output_tokens_total")] == [4]
    (requests,) = _app_samples(text, "flarekit_requests_total")
    assert requests.labels["route"] == "/v1/stream" and requests.value == 1


async def test_a_handler_that_raises_is_counted_as_a_500_with_its_error_type(load_monitoring, worker_client, flaresim):
    telemetry, app = load_monitoring()
    try:
        response = await worker_client(app).get("/boom")
        assert response.status == 500
    except RuntimeError as error:  # flaresim passes the Worker's exception on, as workerd's 1101 would
        assert "handler failed" in str(error)
    await flaresim.drain()
    text = await (await worker_client(telemetry).get("/metrics", headers=AUTH)).text()
    (errors,) = _app_samples(text, "flarekit_request_errors_total")
    assert (errors.labels["route"], errors.labels["status"], errors.value) == ("/boom", "500", 1)
