"""The in-isolate LRU: bounded by entries and bytes, least recently used evicted first, TTLs."""

from __future__ import annotations

import pytest

from flarekit.cache import LRUCache, make_entry


class Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


def entry(body: str, ttl: float = 60, at: float = 1_790_000_000.0):
    return make_entry(body, {"model": "m"}, ttl, at)


def test_the_least_recently_used_entry_is_evicted_first_and_counted():
    lru = LRUCache(max_entries=3, max_bytes=10_000, clock=Clock())
    for key in "abc":
        lru.put(key, entry(key))
    assert lru.get("a") is not None  # a is now the most recent
    lru.put("d", entry("d"))
    assert lru.keys() == ["c", "a", "d"]
    assert lru.evictions == 1 and lru.get("b") is None


def test_the_byte_bound_holds_and_evicts_as_many_entries_as_needed():
    lru = LRUCache(max_entries=100, max_bytes=100, clock=Clock())
    for key in "abcd":
        lru.put(key, entry("x" * 30))
    assert lru.bytes == 90 and lru.keys() == ["b", "c", "d"]
    lru.put("big", entry("y" * 70))
    assert lru.bytes <= 100 and lru.keys() == ["d", "big"]
    assert lru.evictions == 3


def test_sizes_are_utf8_bytes_not_characters():
    lru = LRUCache(max_entries=10, max_bytes=10, clock=Clock())
    assert lru.put("k", entry("é" * 5))
    assert lru.bytes == 10
    assert not lru.put("k2", entry("é" * 6))  # 12 bytes alone exceed the bound
    assert lru.rejected_too_large == 1 and "k" in lru


def test_replacing_a_key_keeps_the_byte_count_right():
    lru = LRUCache(max_entries=10, max_bytes=1000, clock=Clock())
    lru.put("k", entry("x" * 100))
    lru.put("k", entry("x" * 10))
    assert lru.bytes == 10 and len(lru) == 1


def test_entries_expire_at_their_own_ttl():
    clock = Clock()
    lru = LRUCache(max_entries=10, max_bytes=1000, clock=clock)
    lru.put("short", entry("s", ttl=5, at=clock.now))
    lru.put("long", entry("l", ttl=60, at=clock.now))
    clock.now += 5
    assert lru.get("short") is None and lru.get("long") is not None
    assert lru.expirations == 1 and lru.bytes == 1


def test_stats_count_hits_and_misses():
    lru = LRUCache(max_entries=2, max_bytes=100, clock=Clock())
    lru.put("a", entry("a"))
    lru.get("a")
    lru.get("b")
    assert lru.stats()["hits"] == 1 and lru.stats()["misses"] == 1


def test_a_cache_needs_positive_bounds():
    with pytest.raises(ValueError, match="max_entries"):
        LRUCache(max_entries=0)
