"""A bounded in-isolate LRU: at most `max_entries` entries and `max_bytes` bytes of values.

An OrderedDict keeps recency order, so a hit is a move to the end and an eviction pops the
oldest: both O(1), never a scan. Entries also carry an expiry time (TTLs are per request).
Evictions, expiries, hits and misses are counted.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from flarekit.clock import Clock, now


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A cached response: its body, small metadata, its size in bytes and when it was stored and expires."""

    body: str
    metadata: dict[str, Any]
    size: int
    stored_at: float
    expires_at: float

    def age(self, at: float) -> float:
        """Seconds since the entry was stored."""
        return max(0.0, at - self.stored_at)


def make_entry(body: str, metadata: dict[str, Any] | None, ttl: float, at: float) -> CacheEntry:
    """An entry for `body` (its UTF-8 size measured once, here) living `ttl` seconds from `at`."""
    return CacheEntry(body, metadata or {}, len(body.encode()), at, at + ttl)


class LRUCache:
    """The in-isolate tier; see the module docstring."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 8 * 1024 * 1024, clock: Clock = now) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("an LRU cache needs max_entries >= 1 and max_bytes >= 1")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = clock
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self.expirations = 0
        self.rejected_too_large = 0
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()

    def get(self, key: str) -> CacheEntry | None:
        """The live entry for `key` (now most recently used), or None."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry.expires_at <= self.clock():
            self._remove(key, entry)
            self.expirations += 1
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: str, entry: CacheEntry) -> bool:
        """Store `entry`, evicting least recently used entries to fit; False if it alone exceeds max_bytes."""
        if entry.size > self.max_bytes:
            self.rejected_too_large += 1
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self._entries[key] = entry
        self.bytes += entry.size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size
            self.evictions += 1
        return True

    def delete(self, key: str) -> None:
        """Drop `key` if present."""
        entry = self._entries.get(key)
        if entry is not None:
            self._remove(key, entry)

    def _remove(self, key: str, entry: CacheEntry) -> None:
        del self._entries[key]
        self.bytes -= entry.size

    def keys(self) -> list[str]:
        """Keys from least to most recently used."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def stats(self) -> dict[str, int]:
        """Counters and sizes, for the dashboard and tests."""
        return {
            "entries": len(self._entries),
            "bytes": self.bytes,
            "hits": self.hits,
            "misses": self.misses,
            "evictions": self.evictions,
            "expirations": self.expirations,
            "rejected_too_large": self.rejected_too_large,
        }
