"""Querying events: time ranges, paging, filters, order, and what the KV layout costs."""

from __future__ import annotations

import pytest
from telemetry_support import NOW_MS, event

from flaresim import kv as kv_module

HOUR = 3600 * 1000
DAY = 24 * HOUR


async def chunk_keys(kv) -> list[str]:
    names, cursor = [], None
    while True:
        page = await kv.list({"prefix": "telemetry:", **({"cursor": cursor} if cursor else {})})
        names += [k["name"] for k in page["keys"]]
        if page["list_complete"]:
            return names
        cursor = page["cursor"]


async def test_a_1000_event_batch_is_completed_and_paging_its_range_returns_every_event_once(api, kv):
    events = [event(i, timestamp=NOW_MS - 60_000 + i * 50, id=f"e{i:04d}") for i in range(1000)]
    status, body = await api.post_json("/api/telemetry/batch", {"batch_id": "big", "events": events})
    assert (status, body["status"], body["accepted"]) == (200, "completed", 1000)
    _, record = await api.get_json("/api/telemetry/batch/big")
    assert record["status"] == "completed"
    found = await api.query_all(start=NOW_MS - 60_000, end=NOW_MS, limit=137)
    assert [e["id"] for e in found] == [f"e{i:04d}" for i in range(1000)]
    assert len(await chunk_keys(kv)) == 1  # one value for the whole batch


async def test_events_come_oldest_first_across_requests(api, flaresim):
    await api.post_json("/api/telemetry/ingest", [event(3, timestamp=NOW_MS - 1000), event(1, timestamp=NOW_MS - 3000)])
    await flaresim.advance(1)
    await api.post_json("/api/telemetry/ingest", [event(2, timestamp=NOW_MS - 2000), event(4)])
    assert [e["data"]["n"] for e in (await api.query())["events"]] == [1, 2, 3, 4]


async def test_the_time_range_is_inclusive_and_accepts_iso_or_epoch_ms(api):
    await api.post_json("/api/telemetry/ingest", [event(i, timestamp=NOW_MS + i * 1000) for i in range(5)])
    got = await api.query(start=NOW_MS + 1000, end="2026-09-21T14:13:23Z")
    assert [e["data"]["n"] for e in got["events"]] == [1, 2, 3]


async def test_event_type_filters_the_page_and_its_paging(api):
    mixed = [event(i, "click" if i % 3 == 0 else "view", timestamp=NOW_MS - 10_000 + i) for i in range(300)]
    await api.post_json("/api/telemetry/batch", {"events": mixed})
    clicks = await api.query_all(event_type="click", limit=7)
    assert [e["data"]["n"] for e in clicks] == list(range(0, 300, 3))
    assert (await api.query(event_type="nothing"))["count"] == 0


async def test_a_page_holds_limit_events_and_the_last_page_has_no_cursor(api):
    await api.post_json("/api/telemetry/ingest", [event(i, timestamp=NOW_MS - 100 + i) for i in range(25)])
    first = await api.query(limit=10)
    assert first["count"] == 10 and "cursor" in first
    second = await api.query(limit=10, cursor=first["cursor"])
    third = await api.query(limit=10, cursor=second["cursor"])
    assert (second["count"], third["count"]) == (10, 5)
    assert "cursor" not in third
    assert (await api.query())["count"] == 25  # the default limit is 100


async def test_events_with_timestamps_spread_over_months_are_found_by_range_in_few_chunks(api, kv):
    # Timestamps this far apart do not fit the 10-minute or one-day levels: the batch goes to the
    # level without a span limit, still as one write, and range queries still find each event.
    spread = [event(i, timestamp=NOW_MS - i * 7 * DAY, id=f"s{i}") for i in range(10)]
    _, body = await api.post_json("/api/telemetry/batch", {"events": spread})
    assert body["accepted"] == 10
    assert [k.split(":")[1] for k in await chunk_keys(kv)] == ["any"]
    week_three = await api.query(start=NOW_MS - 3 * 7 * DAY - 1, end=NOW_MS - 3 * 7 * DAY + 1)
    assert [e["id"] for e in week_three["events"]] == ["s3"]
    assert len(await api.query_all(start=0)) == 10


async def test_a_backfill_spanning_hours_is_stored_at_the_day_level(api, kv):
    hours = [event(i, timestamp=NOW_MS - i * HOUR, id=f"h{i}") for i in range(12)]
    await api.post_json("/api/telemetry/batch", {"events": hours})
    keys = await chunk_keys(kv)
    assert {k.split(":")[1] for k in keys} == {"1d"}
    assert len(keys) <= 2
    got = await api.query(start=NOW_MS - 5 * HOUR - 10, end=NOW_MS - 3 * HOUR + 10)
    assert [e["id"] for e in got["events"]] == ["h5", "h4", "h3"]


async def test_keys_are_time_ordered_zero_padded_and_writes_do_not_grow_with_events(api, kv, flaresim):
    for n in (1, 10, 1000):
        await api.post_json("/api/telemetry/ingest", [event(i, timestamp=NOW_MS - 5 * 60_000 + i) for i in range(n)])
        await flaresim.advance(1)
    keys = await chunk_keys(kv)
    assert len(keys) == 3  # one chunk per request, whether it held 1, 10 or 1,000 events
    for key in keys:
        namespace, level, min_ts, max_ts, *_ = key.split(":")
        assert (namespace, level) == ("telemetry", "10m")
        assert len(min_ts) == len(max_ts) == 13 and min_ts.isdigit()


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"start": "soon"}, None),
        ({"start": str(NOW_MS), "end": str(NOW_MS - 1)}, "start"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
async def test_bad_query_parameters_are_a_400_naming_the_problem(api, params, param):
    status, body = await api.get_json("/api/telemetry/query", params)
    assert status == 400
    assert body["error"].get("param") == param


async def test_a_query_of_an_empty_store_is_an_empty_page(api):
    assert await api.query() == {"count": 0, "events": []}


async def test_a_narrow_range_among_thousands_of_chunks_is_found_by_splitting_dense_buckets(api, flaresim, monkeypatch):
    # 2,500 requests of one event each, one second apart: more keys than one KV list page holds.
    for i in range(2500):
        await api.post_json("/api/telemetry/ingest", event(i, timestamp=NOW_MS + i * 1000))
        await flaresim.advance(1)
    prefixes = []
    real_list = kv_module.KVNamespace.list

    async def counted(self, options=None, /, **kwargs):
        prefixes.append(options["prefix"])
        return await real_list(self, options, **kwargs)

    monkeypatch.setattr(kv_module.KVNamespace, "list", counted)
    page = await api.query(start=NOW_MS + 1_500_000, end=NOW_MS + 1_509_999, limit=10)
    assert [e["data"]["n"] for e in page["events"]] == list(range(1500, 1510))
    # The 10m level's shared prefix holds 2,500 keys: that page is dropped and only the two
    # 16.7-minute buckets the range touches are listed; one list each for the 1d and any levels.
    assert prefixes == [
        "telemetry:10m:179000",
        "telemetry:10m:1790000",
        "telemetry:10m:1790001",
        "telemetry:1d:17",
        "telemetry:any:",
    ]
    everything = await api.query_all(start=NOW_MS, end=NOW_MS + 2500 * 1000, limit=1000)
    assert [e["data"]["n"] for e in everything] == list(range(2500))


@pytest.mark.parametrize("limit", [1000, 999, 300])
async def test_overlapping_chunks_page_in_order_without_gaps_or_repeats(api, flaresim, limit):
    for b in range(3):  # three batches whose timestamps interleave: their chunks overlap in time
        events = [event(b, id=f"{b}-{i:04d}", timestamp=NOW_MS - 10_000 + i * 3 + b) for i in range(1000)]
        await api.post_json("/api/telemetry/batch", {"events": events})
        await flaresim.advance(1)
    found = await api.query_all(start=NOW_MS - 10_000, end=NOW_MS, limit=limit)
    expected = sorted((NOW_MS - 10_000 + i * 3 + b, f"{b}-{i:04d}") for b in range(3) for i in range(1000))
    assert [(e["timestamp"], e["id"]) for e in found] == expected
