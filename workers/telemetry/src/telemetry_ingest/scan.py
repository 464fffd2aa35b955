"""Finding the chunks that may hold events of a time range, oldest first, with few KV lists.

KV's `list` has no "start after" parameter, only a prefix. A range is listed from the longest decimal
prefix its bounds share; when that page is not complete (more than 1,000 keys), the prefix is split
into its ten children and only those overlapping the range are listed, recursively. Sparse data costs
one list per level; dense data narrows down to the buckets the range needs. Each level is listed this
way and the streams are merged by the chunks' first timestamp.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, NamedTuple

from telemetry_ingest.keyspace import (
    LEVELS,
    TS_DIGITS,
    Level,
    common_prefix,
    level_prefix,
    parse_chunk_key,
    prefix_bounds,
)
from telemetry_ingest.store import KVSession
from telemetry_ingest.timestamps import MAX_TIMESTAMP_MS


class ChunkRef(NamedTuple):
    """A chunk as `list` shows it: its key parts and metadata (counts, event types)."""

    min_ts: int
    max_ts: int
    name: str
    count: int
    size: int
    types: frozenset[str] | None  # None when the metadata could not hold them
    errors: int
    requests: int


def _ref(entry: Any) -> ChunkRef | None:
    key = parse_chunk_key(str(entry["name"]))
    if key is None:
        return None
    meta = entry.get("metadata") or {}
    types = meta.get("t")
    return ChunkRef(
        key.min_ts,
        key.max_ts,
        key.name,
        int(meta.get("n", 0)),
        int(meta.get("b", 0)),
        None if types is None else frozenset(types),
        int(meta.get("e", 1)),  # unknown: assume the chunk may hold some
        int(meta.get("r", 1)),
    )


async def _listed(session: KVSession, prefix: str, lo: int, hi: int) -> AsyncIterator[Any]:
    """Key entries under `prefix` whose 13-digit timestamp (right after it) is in [lo, hi], in order."""
    stack = [common_prefix(lo, hi)]
    while stack:
        digits = stack.pop()
        page = await session.list_page(prefix + digits)
        if page["list_complete"] or len(digits) >= TS_DIGITS:
            while True:
                for entry in page["keys"]:
                    yield entry
                if page["list_complete"]:
                    break
                page = await session.list_page(prefix + digits, page["cursor"])
            continue
        children = []
        for digit in "0123456789":
            child = digits + digit
            low, high = prefix_bounds(child)
            if high >= lo and low <= hi:
                children.append(child)
        stack.extend(reversed(children))  # popped in ascending order


async def level_refs(session: KVSession, level: Level, start: int, end: int) -> AsyncIterator[ChunkRef]:
    """Chunks of `level` that overlap [start, end], by first timestamp."""
    lo = 0 if level.width_ms is None else max(0, start - level.width_ms + 1)
    hi = min(end, MAX_TIMESTAMP_MS)
    if lo > hi:
        return
    async for entry in _listed(session, level_prefix(level), lo, hi):
        ref = _ref(entry)
        if ref is not None and lo <= ref.min_ts <= hi and ref.max_ts >= start:
            yield ref


class RefStream:
    """Chunk refs of every level merged by first timestamp, with a look at the next one."""

    def __init__(self, session: KVSession, start: int, end: int) -> None:
        self._streams = [level_refs(session, level, start, end).__aiter__() for level in LEVELS]
        self._heads: list[ChunkRef | None] | None = None

    async def _fill(self) -> list[ChunkRef | None]:
        if self._heads is None:
            self._heads = [await anext(stream, None) for stream in self._streams]
        return self._heads

    async def peek(self) -> ChunkRef | None:
        """The next chunk without taking it (None when there is none)."""
        heads = [h for h in await self._fill() if h is not None]
        return min(heads) if heads else None

    async def next(self) -> ChunkRef | None:
        """Take the next chunk."""
        heads = await self._fill()
        best = None
        for i, head in enumerate(heads):
            if head is not None and (best is None or head < heads[best]):  # type: ignore[operator]
                best = i
        if best is None:
            return None
        ref = heads[best]
        heads[best] = await anext(self._streams[best], None)
        return ref
