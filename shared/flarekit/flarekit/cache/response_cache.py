"""The two-tier response cache: the isolate's LRU first, then KV; writes go to both.

    cache = ResponseCache(LRUCache(), KVTier(env.CACHE))          # once per isolate
    decision = decide(policy, body, headers.get("cache-control"), headers.get(TTL_HEADER))
    result = await cache.fetch(chat_cache_key(tenant, body), decision, call_upstream, ctx.waitUntil)
    # result.body, result.status ("HIT"/"MISS"/"BYPASS"), result.metadata

A KV hit is copied into the LRU but never written back to KV (KV allows one write per second per
key, and the value is already there). KV failures are counted and logged, never raised: the cache
must not fail a request. Each lookup is a `cache lookup` span of the request's trace (no-op
outside a traced request).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from flarekit.cache.kv_tier import KVTier
from flarekit.cache.lru import CacheEntry, LRUCache, make_entry
from flarekit.cache.policy import HIT, CacheDecision
from flarekit.cache.single_flight import SingleFlight
from flarekit.clock import Clock, now
from flarekit.errors import StorageError
from flarekit.tracing.current import tracer

log = logging.getLogger("flarekit.cache")


@dataclass(frozen=True, slots=True)
class Fill:
    """What a miss computed: the body to answer with, metadata to keep, and whether to store it."""

    body: str
    metadata: dict[str, Any] = field(default_factory=dict)
    store: bool = True


@dataclass(frozen=True, slots=True)
class CacheResult:
    """An answer and where it came from: `status` HIT/MISS/BYPASS, `tier` "lru"/"kv"/None, `shared` if coalesced."""

    body: str
    metadata: dict[str, Any]
    status: str
    tier: str | None = None
    shared: bool = False
    age: float = 0.0


class ResponseCache:
    """LRU + KV tiers with single-flight coalescing of identical concurrent misses."""

    def __init__(self, lru: LRUCache | None = None, kv: KVTier | None = None, clock: Clock = now) -> None:
        self.lru = lru
        self.kv = kv
        self.clock = clock
        self.flights = SingleFlight()
        self.kv_hits = 0
        self.kv_errors = 0

    async def get(self, key: str) -> tuple[CacheEntry, str] | None:
        """The live entry for `key` and the tier that had it ("lru" or "kv"), or None."""
        with tracer().start_as_current_span("cache lookup") as span:
            found = await self._lookup(key)
            if span.is_recording():
                span.set_attribute("flarekit.cache.hit", found is not None)
                if found is not None:
                    span.set_attribute("flarekit.cache.tier", found[1])
            return found

    async def _lookup(self, key: str) -> tuple[CacheEntry, str] | None:
        if self.lru is not None:
            entry = self.lru.get(key)
            if entry is not None:
                return entry, "lru"
        if self.kv is None:
            return None
        try:
            entry = await self.kv.get(key)
        except StorageError as error:
            self.kv_errors += 1
            log.warning("cache read skipped: %s", error)
            return None
        if entry is None:
            return None
        self.kv_hits += 1
        if self.lru is not None:
            self.lru.put(key, entry)
        return entry, "kv"

    async def put(
        self,
        key: str,
        body: str,
        ttl: float,
        metadata: dict[str, Any] | None = None,
        defer: Callable[[Awaitable[Any]], Any] | None = None,
    ) -> CacheEntry | None:
        """Store `body` for `ttl` seconds in both tiers; `defer` (e.g. `ctx.waitUntil`) runs the KV write after the response."""
        if ttl <= 0:
            return None
        entry = make_entry(body, metadata, ttl, self.clock())
        if self.lru is not None:
            self.lru.put(key, entry)
        if self.kv is not None:
            write = self._kv_put(key, entry)
            if defer is not None:
                defer(write)
            else:
                await write
        return entry

    async def _kv_put(self, key: str, entry: CacheEntry) -> None:
        try:
            await self.kv.put(key, entry)  # type: ignore[union-attr]
        except (StorageError, ValueError) as error:
            self.kv_errors += 1
            log.warning("cache write skipped: %s", error)

    async def delete(self, key: str) -> None:
        """Drop `key` from both tiers."""
        if self.lru is not None:
            self.lru.delete(key)
        if self.kv is not None:
            await self.kv.delete(key)

    async def fetch(
        self,
        key: str,
        decision: CacheDecision,
        compute: Callable[[], Awaitable[Fill]],
        defer: Callable[[Awaitable[Any]], Any] | None = None,
    ) -> CacheResult:
        """Answer from the cache when the decision allows, else `compute()` once per key in flight and store it."""
        if decision.lookup:
            found = await self.get(key)
            if found is not None:
                entry, tier = found
                return CacheResult(entry.body, entry.metadata, HIT, tier, False, entry.age(self.clock()))

            async def miss() -> Fill:
                fill = await compute()
                if decision.store and fill.store:
                    await self.put(key, fill.body, decision.ttl, fill.metadata, defer)
                return fill

            fill, shared = await self.flights.run(key, miss)
            return CacheResult(fill.body, fill.metadata, HIT if shared else decision.miss_status, None, shared)
        fill = await compute()
        if decision.store and fill.store:
            await self.put(key, fill.body, decision.ttl, fill.metadata, defer)
        return CacheResult(fill.body, fill.metadata, decision.miss_status)

    def stats(self) -> dict[str, int]:
        """LRU counters plus KV hits/errors and coalesced calls."""
        base = self.lru.stats() if self.lru is not None else {}
        return {**base, "kv_hits": self.kv_hits, "kv_errors": self.kv_errors, "coalesced": self.flights.coalesced}
