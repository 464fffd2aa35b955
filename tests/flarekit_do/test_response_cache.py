"""The two-tier response cache over flaresim's KV: tiers, TTLs on the fake clock, coalescing."""

from __future__ import annotations

import asyncio

import pytest

from flarekit.cache import (
    BYPASS,
    HIT,
    MISS,
    CachePolicy,
    Fill,
    KVTier,
    LRUCache,
    ResponseCache,
    chat_cache_key,
    decide,
)

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0}
KEY = chat_cache_key("key_1", BODY)
POLICY = CachePolicy()


@pytest.fixture
def kv(flaresim):
    return flaresim.kv.namespace("cache-test")


def cache_for(kv, flaresim_clock, **lru):
    """One isolate's cache: its own LRU over the shared KV namespace."""
    return ResponseCache(
        LRUCache(clock=flaresim_clock.now, **lru), KVTier(kv, clock=flaresim_clock.now), flaresim_clock.now
    )


class Upstream:
    """Counts calls; can be held open to make misses concurrent, or made to fail."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.error: Exception | None = None

    async def __call__(self) -> Fill:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return Fill(f'{{"answer": {self.calls}}}', {"model": "m", "usage": {"total_tokens": 7}})


async def test_a_repeated_request_is_a_miss_then_a_hit_from_the_isolate(kv, flaresim_clock):
    cache, upstream = cache_for(kv, flaresim_clock), Upstream()
    decision = decide(POLICY, BODY)
    first = await cache.fetch(KEY, decision, upstream)
    second = await cache.fetch(KEY, decision, upstream)
    assert (first.status, second.status, second.tier) == (MISS, HIT, "lru")
    assert second.body == first.body and second.metadata["usage"] == {"total_tokens": 7}
    assert upstream.calls == 1


async def test_another_isolate_finds_the_answer_in_kv_and_keeps_it_in_its_lru(kv, flaresim_clock):
    upstream = Upstream()
    await cache_for(kv, flaresim_clock).fetch(KEY, decide(POLICY, BODY), upstream)
    other = cache_for(kv, flaresim_clock)
    from_kv = await other.fetch(KEY, decide(POLICY, BODY), upstream)
    again = await other.fetch(KEY, decide(POLICY, BODY), upstream)
    assert (from_kv.status, from_kv.tier, again.tier) == (HIT, "kv", "lru")
    assert upstream.calls == 1 and other.stats()["kv_hits"] == 1


async def test_a_kv_hit_is_never_written_back_so_the_keys_write_budget_stays_free(kv, flaresim_clock):
    writer, reader = cache_for(kv, flaresim_clock), cache_for(kv, flaresim_clock)
    await writer.put(KEY, "v1", 3600)
    flaresim_clock.advance(1.0)
    assert (await reader.get(KEY))[1] == "kv"
    flaresim_clock.advance(0.5)  # KV allows one write per second per key: a write-back would block this one
    await writer.put(KEY, "v2", 3600)
    assert writer.stats()["kv_errors"] == 0 and reader.stats()["kv_errors"] == 0


async def test_kv_entries_expire_with_their_ttl_on_the_fake_clock(kv, flaresim, flaresim_clock):
    cache = cache_for(kv, flaresim_clock)
    await cache.put(KEY, "answer", 120)
    fresh = cache_for(kv, flaresim_clock)
    await flaresim.advance(119)
    assert (await fresh.get(KEY))[0].body == "answer"
    await flaresim.advance(2)
    assert await cache_for(kv, flaresim_clock).get(KEY) is None
    assert await cache.get(KEY) is None  # the LRU copy expires too


async def test_a_ttl_below_kvs_minimum_is_honoured_exactly(kv, flaresim, flaresim_clock):
    cache = cache_for(kv, flaresim_clock)
    await cache.put(KEY, "answer", 10)  # KV itself keeps it 60 s
    await flaresim.advance(9)
    assert await cache_for(kv, flaresim_clock).get(KEY) is not None
    await flaresim.advance(2)
    assert await cache_for(kv, flaresim_clock).get(KEY) is None
    found = await kv.getWithMetadata(KEY)
    assert found["value"] == "answer"  # still in KV, correctly ignored


async def test_one_kv_value_per_entry_with_its_metadata(kv, flaresim_clock):
    await cache_for(kv, flaresim_clock).put(KEY, '{"a": 1}', 3600, {"model": "m"})
    listed = await kv.list()
    assert [k["name"] for k in listed["keys"]] == [KEY]
    found = await kv.getWithMetadata(KEY)
    assert found["value"] == '{"a": 1}' and found["metadata"]["m"] == {"model": "m"}


async def test_identical_concurrent_misses_make_one_upstream_call(kv, flaresim_clock):
    cache, upstream = cache_for(kv, flaresim_clock), Upstream()
    upstream.gate = asyncio.Event()
    decision = decide(POLICY, BODY)
    first = asyncio.create_task(cache.fetch(KEY, decision, upstream))
    second = asyncio.create_task(cache.fetch(KEY, decision, upstream))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    upstream.gate.set()
    results = await asyncio.gather(first, second)
    assert upstream.calls == 1
    assert {r.body for r in results} == {'{"answer": 1}'}
    assert sorted((r.status, r.shared) for r in results) == [(HIT, True), (MISS, False)]
    assert cache.stats()["coalesced"] == 1


async def test_a_failed_upstream_call_reaches_every_waiter_and_is_not_cached(kv, flaresim_clock):
    cache, upstream = cache_for(kv, flaresim_clock), Upstream()
    upstream.gate, upstream.error = asyncio.Event(), RuntimeError("upstream 503")
    decision = decide(POLICY, BODY)
    tasks = [asyncio.create_task(cache.fetch(KEY, decision, upstream)) for _ in range(2)]
    await asyncio.sleep(0)
    upstream.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert [str(r) for r in results] == ["upstream 503", "upstream 503"]
    assert upstream.calls == 1
    upstream.error = None
    retry = await cache.fetch(KEY, decision, upstream)
    assert retry.status == MISS and upstream.calls == 2


async def test_no_store_neither_reads_nor_writes_and_no_cache_refreshes_the_entry(kv, flaresim_clock):
    cache, upstream = cache_for(kv, flaresim_clock), Upstream()
    skipped = await cache.fetch(KEY, decide(POLICY, BODY, "no-store"), upstream)
    assert skipped.status == BYPASS and await cache.get(KEY) is None
    await cache.fetch(KEY, decide(POLICY, BODY), upstream)  # stores answer 2
    flaresim_clock.advance(2)
    refreshed = await cache.fetch(KEY, decide(POLICY, BODY, "no-cache"), upstream)
    assert refreshed.status == BYPASS and refreshed.body == '{"answer": 3}'
    assert (await cache.fetch(KEY, decide(POLICY, BODY), upstream)).body == '{"answer": 3}'


async def test_a_failing_kv_never_fails_the_request(kv, flaresim, flaresim_clock):
    flaresim.kv.faults.write_failure_rate = 1.0
    cache, upstream = cache_for(kv, flaresim_clock), Upstream()
    result = await cache.fetch(KEY, decide(POLICY, BODY), upstream)
    assert result.status == MISS and cache.stats()["kv_errors"] == 1
    assert (await cache.fetch(KEY, decide(POLICY, BODY), upstream)).tier == "lru"


async def test_the_kv_write_can_run_after_the_response(kv, flaresim, flaresim_clock):
    cache, deferred = cache_for(kv, flaresim_clock), []
    await cache.put(KEY, "answer", 3600, None, deferred.append)
    assert await kv.get(KEY) is None
    await deferred[0]
    assert await kv.get(KEY) == "answer"
