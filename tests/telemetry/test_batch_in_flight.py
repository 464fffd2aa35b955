"""A batch while it is being ingested: its status reads `processing`, a replay of its id does not
ingest it twice, and a request that dies mid-way leaves nothing that outlives KV's minimum TTL.

KV writes are held open by a gate on the Worker's own binding (a slow KV write, as production has
them), so a second request can arrive while the first is between its chunk writes and its outcome.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from telemetry_support import event


class HeldWrites:
    """Hold the binding's writes of event chunks until released; count them."""

    def __init__(self, kv, monkeypatch) -> None:
        self.released = asyncio.Event()
        self.chunk_writes = 0
        put = kv.put

        async def held_put(key, value, *args, **kwargs):
            if key.startswith("telemetry:"):
                self.chunk_writes += 1
                await self.released.wait()
            return await put(key, value, *args, **kwargs)

        monkeypatch.setattr(kv, "put", held_put)


async def until(condition, tries: int = 1000) -> None:
    for _ in range(tries):
        if await condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


BATCH = {"batch_id": "slow-import", "events": [event(i) for i in range(5)]}


@pytest.fixture
def held(kv, monkeypatch) -> HeldWrites:
    return HeldWrites(kv, monkeypatch)


async def test_a_batch_being_ingested_reads_processing_then_its_outcome(api, kv, held):
    first = asyncio.create_task(api.post_json("/api/telemetry/batch", BATCH))
    await until(lambda: _marked(kv))
    status, record = await api.get_json("/api/telemetry/batch/slow-import")
    assert status == 200
    assert (record["batch_id"], record["status"], record["events"]) == ("slow-import", "processing", 5)
    held.released.set()
    assert (await first)[1]["status"] == "completed"
    status, record = await api.get_json("/api/telemetry/batch/slow-import")
    assert (status, record["status"], record["accepted"]) == (200, "completed", 5)


async def test_a_replay_during_ingestion_answers_202_processing_and_stores_nothing(api, kv, held):
    first = asyncio.create_task(api.post_json("/api/telemetry/batch", BATCH))
    await until(lambda: _marked(kv))
    writes = held.chunk_writes
    response = await api.post("/api/telemetry/batch", BATCH)
    assert response.status == 202 and response.headers.get("retry-after")
    body = json.loads(await response.text())
    assert (body["status"], body["replayed"]) == ("processing", True)
    assert held.chunk_writes == writes  # the replay wrote no chunk
    held.released.set()
    await first
    assert (await api.query())["count"] == 5


async def test_the_mark_of_a_request_that_died_expires_and_the_batch_can_be_sent_again(api, kv, held, flaresim):
    first = asyncio.create_task(api.post_json("/api/telemetry/batch", BATCH))
    await until(lambda: _marked(kv))
    first.cancel()  # the isolate went away mid-request: no outcome is written
    with pytest.raises(asyncio.CancelledError):
        await first
    held.released.set()
    await flaresim.advance(61)  # KV's minimum TTL
    status, _ = await api.get_json("/api/telemetry/batch/slow-import")
    assert status == 404
    status, body = await api.post_json("/api/telemetry/batch", BATCH)
    assert (status, body["status"], body["accepted"]) == (200, "completed", 5)
    assert "replayed" not in body


async def test_a_batch_without_an_id_writes_no_mark(api, kv):
    await api.post_json("/api/telemetry/batch", {"events": [event(1)]})
    listed = await kv.list({"prefix": "batchrun:"})
    assert listed["keys"] == []


async def _marked(kv) -> bool:
    return await kv.get("batchrun:slow-import") is not None
