"""One record per request reaches the telemetry Worker after the response, and a telemetry
failure never changes the answer."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from proxy_harness import openai_config

SINK = Path(__file__).resolve().parent / "telemetry_sink"


@pytest.fixture
def sink(flaresim):
    def load(status: int = 200):
        return flaresim.load_worker(SINK, overrides={"SINK_STATUS": str(status)})

    return load


async def test_each_request_sends_one_record_with_its_routing_and_costs(start_proxy, upstreams, sink, flaresim):
    primary, backup = upstreams
    telemetry = sink()
    primary.script.append("500")
    proxy = await start_proxy(openai_config(primary, backup))
    client = proxy.client()
    await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "one"}])
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "two"}], stream=True
    )
    [_ async for _ in stream]
    with pytest.raises(openai.NotFoundError):
        await client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    await flaresim.drain()
    events = telemetry.isolates[0].main.EVENTS
    assert [e["event_type"] for e in events] == ["ai.request"] * 3
    first, second, third = (e["data"] for e in events)
    assert first["route"] == "/v1/chat/completions" and first["key_name"] == "dev"
    assert first["model"] == "gpt-4o-mini" and first["provider"] == "backup"
    assert first["deployment"] == "backup/gpt-4o-mini-at-backup"
    assert first["status"] == 200 and first["retries"] == 1
    assert first["attempts"][0] == {"deployment": "primary/gpt-4o-mini-at-primary", "error": "status", "status": 500}
    assert first["circuit"]["primary/gpt-4o-mini-at-primary"]["failures"] == 1
    assert first["input_tokens"] == 10 and first["output_tokens"] == 3 and first["cost_usd"] > 0
    assert first["cache"] == "MISS" and first["latency_ms"] > 0 and first["error_type"] is None
    assert second["stream"] is True and second["ttfb_ms"] is not None and second["provider"] == "primary"
    assert third["status"] == 404 and third["error_type"] == "model_not_found"
    assert len({e["data"]["request_id"] for e in events}) == 3


@pytest.mark.parametrize("failure", ["500", "not loaded"])
async def test_a_telemetry_failure_never_affects_the_answer(start_proxy, upstreams, sink, flaresim, failure):
    if failure == "500":
        sink(status=500)
    proxy = await start_proxy(openai_config(*upstreams))
    completion = await proxy.client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "still fine"}]
    )
    assert completion.choices[0].message.content == "primary says: still fine"
    await flaresim.drain()
    assert flaresim.background_failures == 0


async def test_records_are_queryable_in_the_real_telemetry_worker(start_proxy, upstreams, flaresim, worker_dirs):
    telemetry = flaresim.load_worker(worker_dirs["telemetry"])
    proxy = await start_proxy(openai_config(*upstreams))
    client = proxy.client()
    for n in range(3):
        await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"n{n}"}])
    await flaresim.drain()
    from flaresim.testing import WorkerClient

    answer = await WorkerClient(telemetry).get(
        "/api/telemetry/query?event_type=ai.request", headers={"authorization": "Bearer query-dev-token"}
    )
    assert answer.status == 200
    events = (await answer.json())["events"]
    assert len(events) == 3
    assert {e["data"]["deployment"] for e in events} == {"primary/gpt-4o-mini-at-primary"}
    assert all(e["data"]["key_name"] == "dev" and e["data"]["status"] == 200 for e in events)
