"""The KV tier: one KV value per cached response (the body), with its metadata in KV's metadata.

KV refuses TTLs under 60 s, so an entry asked to live 10 s is written with a 60 s TTL and its
true expiry in the metadata; reads treat it as missing after that. Metadata (<= 1024 bytes in
KV) holds only small fields: the caller's metadata must stay small (model, usage, cost).
"""

from __future__ import annotations

import json
import math
from typing import Any, Protocol

from flarekit.cache.lru import CacheEntry
from flarekit.clock import Clock, now
from flarekit.errors import StorageError

DEFAULT_TTL = 3600
# KV limits (https://developers.cloudflare.com/kv/platform/limits/).
KV_MIN_TTL = 60
KV_MAX_METADATA_BYTES = 1024


class KVBinding(Protocol):
    """The part of a KV namespace binding the cache uses."""

    async def getWithMetadata(self, key: str, type_or_options: Any = None) -> Any: ...  # noqa: N802 - JS name

    async def put(self, key: str, value: Any, options: Any = None) -> None: ...

    async def delete(self, key: str) -> None: ...


def kv_ttl(ttl: float) -> int:
    """The TTL to give KV: whole seconds, never below KV's 60 s minimum."""
    return max(KV_MIN_TTL, math.ceil(ttl))


class KVTier:
    """Cache entries in one KV namespace; failures raise StorageError from KV's error."""

    def __init__(self, kv: KVBinding, clock: Clock = now) -> None:
        self.kv = kv
        self.clock = clock

    async def get(self, key: str) -> CacheEntry | None:
        """The live entry for `key`, or None (missing, expired, or written by an incompatible version)."""
        try:
            found = await self.kv.getWithMetadata(key, "text")
        except Exception as error:
            raise StorageError(f"KV read of {key!r} failed: {error}") from error
        value = found["value"] if found is not None else None
        meta = found["metadata"] if found is not None else None
        if value is None or not meta or "e" not in meta:
            return None
        expires_at = float(meta["e"])
        if expires_at <= self.clock():
            return None
        body = str(value)
        return CacheEntry(body, dict(meta.get("m") or {}), len(body.encode()), float(meta.get("s", 0)), expires_at)

    async def put(self, key: str, entry: CacheEntry) -> None:
        """Write `entry` with a KV TTL covering its expiry; metadata over KV's limit raises ValueError."""
        ttl = entry.expires_at - self.clock()
        if ttl <= 0:
            return
        metadata = {"s": round(entry.stored_at, 3), "e": round(entry.expires_at, 3), "m": entry.metadata}
        size = len(json.dumps(metadata, separators=(",", ":")).encode())
        if size > KV_MAX_METADATA_BYTES:
            raise ValueError(f"cache metadata of {size} bytes exceeds KV's {KV_MAX_METADATA_BYTES}-byte limit")
        try:
            await self.kv.put(key, entry.body, {"expirationTtl": kv_ttl(ttl), "metadata": metadata})
        except Exception as error:
            raise StorageError(f"KV write of {key!r} failed: {error}") from error

    async def delete(self, key: str) -> None:
        """Remove `key` from KV."""
        try:
            await self.kv.delete(key)
        except Exception as error:
            raise StorageError(f"KV delete of {key!r} failed: {error}") from error
