"""The real telemetry Worker hosts monitoring: records over the service binding are counted, spans
exported to its OTLP receiver are found by the query API, the dashboard and the cron answer."""

from __future__ import annotations

from monitoring_workers import worker_copy
from prometheus_client.parser import text_string_to_metric_families

from flaresim.testing import serve_workers

QUERY = {"authorization": "Bearer query-dev-token"}  # .dev.vars.example
TRACE = "5b8efff798038103d269b633813fc60c"


async def test_records_and_spans_reach_the_real_telemetry_worker(
    flaresim, worker_dirs, worker_client, tmp_path, vendored_wheels
):
    telemetry = flaresim.load_worker(worker_dirs["telemetry"])
    app = flaresim.load_worker(
        worker_copy("monitoring_app", tmp_path, vendored_wheels),
        isolates=2,
        overrides={"TELEMETRY_INGEST_TOKEN": "ingest-dev-token"},  # the token the proxy holds for its records
    )
    client = worker_client(app)
    for i in range(20):
        headers = {"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"} if i == 0 else {}
        body = {"model": "gpt-4o", "provider": "openai", "key": "team-a", "input_tokens": 7, "cost_usd": 0.002}
        assert (await client.post("/v1/chat/completions", json=body, headers=headers)).status == 200
    await flaresim.drain()
    api = worker_client(telemetry)

    text = await (await api.get("/metrics", headers=QUERY)).text()
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    assert sum(s.value for s in samples if s.name == "flarekit_requests_total" and s.labels["worker"] == "app") == 20
    assert sum(s.value for s in samples if s.name == "flarekit_input_tokens_total") == 140

    page = await (await api.get("/api/telemetry/query?event_type=otel.span&limit=1000", headers=QUERY)).json()
    ours = [e["data"] for e in page["events"] if e["data"]["trace_id"] == TRACE]
    assert sorted(span["name"] for span in ours) == ["POST /v1/chat/completions", "chat gpt-4o"]
    server = next(span for span in ours if span["name"] == "POST /v1/chat/completions")
    assert server["parent_span_id"] == "00f067aa0ba902b7"

    assert (await api.get("/api/stats?window=15m", headers=QUERY)).status == 200
    assert 'data-metric="requests"' in await (await api.get("/dashboard", headers=QUERY)).text()
    await telemetry.scheduled("* * * * *")  # alert evaluation with the default rules and no channel
    assert flaresim.background_failures == 0


async def test_the_dashboard_login_also_opens_the_query_api_for_the_browser(flaresim, worker_dirs, worker_client):
    api = worker_client(flaresim.load_worker(worker_dirs["telemetry"]))
    form = {"content-type": "application/x-www-form-urlencoded"}
    login = await api.post("/dashboard/login", body="token=query-dev-token", headers=form)
    session = {"cookie": login.headers.get("set-cookie").split(";")[0]}
    assert (await api.get("/api/telemetry/errors?limit=10", headers=session)).status == 200
    assert (await api.get("/api/telemetry/query?event_type=otel.span", headers=session)).status == 200
    assert (await api.get("/api/telemetry/errors", headers={"cookie": "flarekit_dashboard=forged"})).status == 401
    ingest = await api.post("/api/telemetry/ingest", json={"event_type": "x", "data": {}}, headers=session)
    assert ingest.status == 401  # the session reads; it never writes


async def test_protobuf_spans_sent_to_an_endpoint_are_read_by_the_telemetry_otlp_receiver(
    flaresim, worker_dirs, worker_client, tmp_path, vendored_wheels
):
    telemetry = flaresim.load_worker(worker_dirs["telemetry"])
    async with serve_workers(telemetry) as urls:
        app = flaresim.load_worker(
            worker_copy("monitoring_app", tmp_path, vendored_wheels),
            overrides={
                "OTEL_EXPORTER_OTLP_ENDPOINT": urls["telemetry"],  # protobuf by default, over real HTTP
                "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20ingest-dev-token",
            },
        )
        headers = {"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}
        await worker_client(app).post("/v1/chat/completions", json={"model": "m", "input_tokens": 3}, headers=headers)
        await flaresim.drain()
    page = await (await worker_client(telemetry).get("/api/telemetry/query?event_type=otel.span", headers=QUERY)).json()
    spans = {e["data"]["name"]: e["data"] for e in page["events"] if e["data"]["trace_id"] == TRACE}
    assert set(spans) == {"POST /v1/chat/completions", "chat m"}
    attributes = spans["chat m"]["attributes"]
    assert attributes["gen_ai.usage.input_tokens"] == 3 and attributes["gen_ai.provider.name"] == "openai"
    assert spans["chat m"]["resource"]["service.name"] == "app"
