"""Records flow from an observed Worker to the MetricsAggregator and out as /metrics and /api/stats."""

from __future__ import annotations

import asyncio

from prometheus_client.parser import text_string_to_metric_families

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
