"""KV failing under the Worker: nothing reported accepted is lost, and what was not stored is said."""

from __future__ import annotations

import pytest
from telemetry_support import NOW_MS, event


@pytest.fixture
def telemetry(flaresim, worker_dirs):
    """Retries wait 1, 2 and 4 ms instead of 100, 200 and 400 (test_kv_retries checks the real schedule)."""
    return flaresim.load_worker(worker_dirs["telemetry"], overrides={"TELEMETRY_KV_RETRY_BASE_MS": "1"})


async def test_with_ten_percent_of_kv_writes_failing_no_accepted_event_is_missing(api, flaresim):
    flaresim.kv.faults.write_failure_rate = 0.1
    accepted_ids: set[str] = set()
    for b in range(60):
        events = [event(i, id=f"b{b}-e{i}", timestamp=NOW_MS - 50_000 + b * 100 + i) for i in range(50)]
        status, body = await api.post_json("/api/telemetry/batch", {"events": events})
        assert status in (200, 503), body
        failed = {e["index"] for e in body["errors"]}
        accepted_ids |= {f"b{b}-e{i}" for i in range(50) if i not in failed}
        assert body["accepted"] == 50 - len(failed)
        await flaresim.advance(1)
    assert flaresim.kv.faults.injected > 0  # the switch really failed some writes
    flaresim.kv.faults.write_failure_rate = 0.0
    stored = {e["id"] for e in await api.query_all(start=NOW_MS - 60_000, end=NOW_MS, limit=1000)}
    assert accepted_ids <= stored
    assert len(accepted_ids) >= 2900  # retries recover almost every failed write


async def test_when_every_write_fails_nothing_is_claimed_and_the_answer_is_retryable(api, flaresim):
    flaresim.kv.faults.write_failure_rate = 1.0
    response = await api.post("/api/telemetry/batch", {"batch_id": "doomed", "events": [event(1), event(2)]})
    assert response.status == 503
    assert response.headers.get("retry-after")
    body = await response.json()
    assert (body["status"], body["accepted"], body["rejected"]) == ("failed", 0, 2)
    assert all("not stored" in e["reason"] for e in body["errors"])
    flaresim.kv.faults.write_failure_rate = 0.0
    assert (await api.query())["count"] == 0


async def test_a_batch_that_failed_to_store_is_ingested_when_sent_again(api, flaresim):
    batch = {"batch_id": "retry-me", "events": [event(i, timestamp=NOW_MS - i) for i in range(3)]}
    flaresim.kv.faults.write_failure_rate = 1.0
    status, _ = await api.post_json("/api/telemetry/batch", batch)
    assert status == 503
    flaresim.kv.faults.write_failure_rate = 0.0
    await flaresim.advance(2)
    status, body = await api.post_json("/api/telemetry/batch", batch)
    assert (status, body["status"], body["accepted"]) == (200, "completed", 3)
    assert "replayed" not in body
    assert (await api.query())["count"] == 3
    _, record = await api.get_json("/api/telemetry/batch/retry-me")
    assert record["status"] == "completed"


async def test_a_batch_stored_in_part_reports_exactly_which_events_to_send_again(api, flaresim):
    # Three groups of timestamps, hours apart, make three chunks; the seeded fault switch fails one.
    flaresim.kv.faults.write_failure_rate = 0.5
    events = [event(i, timestamp=NOW_MS - (i % 3) * 3 * 3600 * 1000 - i) for i in range(9)]
    outcomes = set()
    for _ in range(20):
        status, body = await api.post_json("/api/telemetry/ingest", events)
        failed = sorted(e["index"] for e in body["errors"])
        outcomes.add(body["status"])
        if body["status"] == "partial":
            assert status == 200
            assert body["accepted"] + len(failed) == 9
            assert {i % 3 for i in failed} != {0, 1, 2}  # whole chunks fail, not scattered events
            break
        await flaresim.advance(1)
    assert "partial" in outcomes


async def test_reads_that_fail_are_retried_and_a_lasting_failure_is_a_503(api, flaresim):
    await api.post_json("/api/telemetry/ingest", [event(i) for i in range(5)])
    flaresim.kv.faults.read_failure_rate = 0.3
    for _ in range(10):
        assert (await api.query())["count"] == 5
    flaresim.kv.faults.read_failure_rate = 1.0
    status, body = await api.get_json("/api/telemetry/query")
    assert status == 503 and body["error"]["code"] == "storage_unavailable"
