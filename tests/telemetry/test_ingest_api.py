"""The JSON ingest API through the Worker: what is stored, what is refused and why, batches and ids."""

from __future__ import annotations

import json

import pytest
from telemetry_support import NOW_MS, QUERY, event


async def test_one_event_is_stored_with_a_server_id_and_received_at(api):
    status, body = await api.post_json("/api/telemetry/ingest", event(1))
    assert status == 200
    assert body["status"] == "completed" and body["accepted"] == 1 and body["rejected"] == 0 and body["errors"] == []
    (stored,) = (await api.query())["events"]
    assert stored["event_type"] == "page.view" and stored["data"] == {"n": 1}
    assert stored["received_at"] == NOW_MS
    assert stored["timestamp"] == NOW_MS  # no timestamp given: the time it was received
    assert stored["id"].startswith(body["batch_id"])


async def test_unknown_fields_are_kept_and_a_client_timestamp_is_normalized_to_epoch_ms(api):
    sent = event(1, timestamp="2026-09-21T12:00:00.250Z", source="web", tags=["a"])
    await api.post_json("/api/telemetry/ingest", [sent])
    (stored,) = (await api.query(start="2026-09-21T00:00:00Z"))["events"]
    assert stored["source"] == "web" and stored["tags"] == ["a"]
    assert stored["timestamp"] == 1789992000250


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("not an object", "event must be a JSON object"),
        ({"data": {}}, "missing event_type"),
        ({"event_type": 7, "data": {}}, "event_type must be a string"),
        ({"event_type": "", "data": {}}, "event_type must be 1 to 128 characters"),
        ({"event_type": "x"}, "missing data (must be an object)"),
        ({"event_type": "x", "data": [1]}, "data must be an object"),
        ({"event_type": "x", "data": "text"}, "data must be an object"),
        (
            {"event_type": "x", "data": {}, "timestamp": "yesterday"},
            "timestamp must be epoch milliseconds or an ISO 8601 string",
        ),
        (
            {"event_type": "x", "data": {}, "timestamp": -5},
            "timestamp must be epoch milliseconds or an ISO 8601 string",
        ),
        ({"event_type": "x", "data": {}, "id": 12}, "id must be a string of 1 to 128 characters"),
        ({"event_type": "x", "data": {"blob": "x" * 70_000}}, "limit is 65536 bytes"),
    ],
)
async def test_an_invalid_event_is_rejected_by_index_while_the_others_are_stored(api, bad, reason):
    status, body = await api.post_json("/api/telemetry/batch", {"events": [event(0), bad, event(2)]})
    assert status == 200
    assert (body["status"], body["accepted"], body["rejected"]) == ("partial", 2, 1)
    assert [e["index"] for e in body["errors"]] == [1]
    assert reason in body["errors"][0]["reason"]
    assert [e["data"]["n"] for e in (await api.query())["events"]] == [0, 2]


async def test_a_batch_with_only_invalid_events_is_a_400_that_lists_each(api):
    status, body = await api.post_json("/api/telemetry/batch", {"events": [{"nope": 1}, {"event_type": "x"}]})
    assert status == 400
    assert body["status"] == "failed" and body["accepted"] == 0 and body["rejected"] == 2
    assert [e["index"] for e in body["errors"]] == [0, 1]


async def test_an_event_of_exactly_64_kib_as_stored_is_accepted_and_one_byte_more_is_not(api):
    # The limit applies to the event as stored: the JSON sent, plus the `received_at` the server adds.
    def sent(blob: int) -> str:
        return json.dumps(
            {"event_type": "x", "data": {"blob": "y" * blob}, "id": "fixed", "timestamp": NOW_MS}, separators=(",", ":")
        )

    stored_extra = len(f',"received_at":{NOW_MS}')
    room = 65536 - len(sent(0)) - stored_extra
    for blob, accepted in ((room, 1), (room + 1, 0)):
        response = await api.post("/api/telemetry/batch", body=f'{{"events":[{sent(blob)}]}}')
        body = await response.json()
        assert body["accepted"] == accepted, body
    assert "65537 bytes" in body["errors"][0]["reason"]


async def test_more_than_1000_events_is_refused_as_a_whole_saying_so(api):
    for path, document in (
        ("/api/telemetry/batch", {"events": [event(i) for i in range(1001)]}),
        ("/api/telemetry/ingest", [event(i) for i in range(1001)]),
    ):
        status, body = await api.post_json(path, document)
        assert status == 413
        assert "1001 events; the limit is 1000" in body["error"]["message"]
    assert (await api.query())["count"] == 0


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/telemetry/ingest", b'{"event_type": "x", "data": {', "Malformed JSON"),
        ("/api/telemetry/ingest", b"", "empty"),
        ("/api/telemetry/ingest", b"\xff\xfe{}", "not UTF-8"),
        ("/api/telemetry/ingest", b'{"event_type": "x", "data": {"v": NaN}}', "NaN is not valid JSON"),
        ("/api/telemetry/ingest", b"42", "event object or an array"),
        ("/api/telemetry/batch", b"[]", '"events" array'),
        ("/api/telemetry/batch", b'{"events": {}}', '"events" array'),
        ("/api/telemetry/batch", b'{"events": [], "batch_id": "a/b"}', "batch_id must be"),
        ("/api/telemetry/ingest", b"[" * 100_000, "JSON nested too deeply"),
    ],
)
async def test_a_body_that_is_not_what_the_endpoint_takes_is_a_400_with_a_message(api, path, body, message):
    response = await api.post(path, body=body, headers={"content-type": "application/json"})
    assert response.status == 400
    assert message in (await response.json())["error"]["message"]


async def test_an_empty_array_is_accepted_as_nothing_to_do(api):
    status, body = await api.post_json("/api/telemetry/ingest", [])
    assert (status, body["status"], body["accepted"]) == (200, "completed", 0)


async def test_a_batch_without_id_gets_one_and_its_status_can_be_read(api):
    _, body = await api.post_json("/api/telemetry/batch", {"events": [event(1), {"bad": True}]})
    batch_id = body["batch_id"]
    status, record = await api.get_json(f"/api/telemetry/batch/{batch_id}")
    assert status == 200
    assert (record["batch_id"], record["status"], record["accepted"], record["rejected"]) == (batch_id, "partial", 1, 1)
    assert record["errors"] == [{"index": 1, "reason": "missing event_type"}]
    assert record["received_at"] == NOW_MS and record["completed_at"] == NOW_MS


async def test_an_unknown_batch_is_404(api):
    status, body = await api.get_json("/api/telemetry/batch/never-sent")
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_replaying_a_batch_id_returns_the_stored_result_and_stores_nothing_twice(api, flaresim):
    batch = {"batch_id": "import-2026-09-21", "events": [event(i) for i in range(3)] + [{"event_type": 1, "data": {}}]}
    first_status, first = await api.post_json("/api/telemetry/batch", batch)
    await flaresim.advance(5)
    again_status, again = await api.post_json("/api/telemetry/batch", batch)
    assert (first_status, again_status) == (200, 200)
    assert again.pop("replayed") is True
    assert again == first
    assert (await api.query())["count"] == 3


async def test_a_client_id_is_stored_once_even_when_sent_again_later(api, flaresim):
    sent = event(1, id="evt-123", timestamp=NOW_MS - 1000)
    await api.post_json("/api/telemetry/ingest", sent)
    await flaresim.advance(3600)
    await api.post_json("/api/telemetry/ingest", [sent, event(2)])
    events = (await api.query())["events"]
    assert [e["id"] for e in events].count("evt-123") == 1
    assert len(events) == 2


async def test_an_id_repeated_inside_one_request_is_stored_once_and_reported_as_a_duplicate(api):
    _, body = await api.post_json("/api/telemetry/ingest", [event(1, id="same"), event(2, id="same")])
    assert body["accepted"] == 2 and body["duplicates"] == 1
    assert [e["data"]["n"] for e in (await api.query())["events"]] == [1]


async def test_stored_events_expire_after_the_retention_period(api, flaresim):
    await api.post_json("/api/telemetry/ingest", event(1))
    await flaresim.advance(7 * 24 * 3600 - 10)
    assert (await api.query(start=0))["count"] == 1
    await flaresim.advance(20)
    assert (await api.query(start=0))["count"] == 0


async def test_the_retention_period_is_configurable(flaresim, worker_dirs, worker_client):
    from telemetry_support import TelemetryClient

    host = flaresim.load_worker(worker_dirs["telemetry"], overrides={"TELEMETRY_TTL_SECONDS": "3600"})
    api = TelemetryClient(worker_client(host))
    await api.post_json("/api/telemetry/ingest", event(1))
    await flaresim.advance(3601)
    assert (await api.query(start=0))["count"] == 0


async def test_the_query_token_cannot_ingest_and_the_ingest_token_cannot_query(api):
    response = await api.post("/api/telemetry/ingest", event(1), headers=QUERY)
    assert response.status == 401
    status, _ = await api.get_json("/api/telemetry/query", headers={"authorization": "Bearer ingest-dev-token"})
    assert status == 401


async def test_pretty_printed_events_are_stored_whole_with_the_server_fields(api):
    events = [
        event(1, id="a", timestamp=NOW_MS - 5, note="multi\nline"),
        event(2, received_at=1, timestamp="2026-09-21T14:13:19Z"),
    ]
    response = await api.post("/api/telemetry/ingest", body=json.dumps(events, indent=2, ensure_ascii=False) + "\n")
    assert (await response.json())["accepted"] == 2
    second, first = (await api.query())["events"]  # oldest first
    assert first == {**events[0], "received_at": NOW_MS}
    assert second["received_at"] == NOW_MS  # the server's, not the client's
    assert second["timestamp"] == NOW_MS - 1000


async def test_a_lone_surrogate_escape_is_stored_as_a_replacement_character_not_an_error(api):
    body = '[{"event_type": "x", "timestamp": "2026-09-21T14:13:19Z", "data": {"text": "bad \\ud800 pair"}}]'
    response = await api.post("/api/telemetry/ingest", body=body)
    assert (await response.json())["accepted"] == 1
    (stored,) = (await api.query())["events"]
    assert stored["data"]["text"] == "bad ? pair"
