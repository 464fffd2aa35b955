"""Chunks: many events in one KV value, so a request costs a handful of writes, never one per event.

Planning: a request's items, sorted by time, are cut into groups spanning less than a level's width
(greedy, so the fewest groups). The finest level that needs at most MAX_GROUPS_PER_LEVEL groups is
used; a group over MAX_CHUNK_BYTES is split further. So a request writes at most
MAX_GROUPS_PER_LEVEL + body size / MAX_CHUNK_BYTES chunks (14 for a 20 MiB body), whatever its
number of events or the spread of their timestamps.

Value layout: one line of JSON header, then one line per event, in (timestamp, id) order:

    {"v":1,"batch":..,"ts":[..],"ids":[..],"types":[..],"ti":[..],"err":[i,..],"req":[i,..]}
    {"event_type":"ai.request","data":{..},"id":..,"timestamp":..,"received_at":..}
    ...

`ts`, `ids` and `ti` (index into `types`) describe each line; `err` and `req` list the positions of
errors and request records. Queries parse only the header and copy the event lines they return;
reports parse only the lines `err` or `req` point at.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from telemetry_ingest.events import Item, encode_json
from telemetry_ingest.keyspace import LEVELS, Level

FORMAT_VERSION = 1
MAX_GROUPS_PER_LEVEL = 4
MAX_CHUNK_BYTES = 2 * 1024 * 1024
MAX_METADATA_BYTES = 1000  # KV allows 1024 bytes of metadata per key


class Chunk(NamedTuple):
    level: Level
    items: list[Item]

    @property
    def min_ts(self) -> int:
        return self.items[0].ts

    @property
    def max_ts(self) -> int:
        return max(item.ts for item in self.items)


def _groups(items: list[Item], width: int) -> list[list[Item]]:
    groups: list[list[Item]] = []
    start = None
    for item in items:
        if start is None or item.ts - start >= width:
            groups.append([])
            start = item.ts
        groups[-1].append(item)
    return groups


def _split_by_size(group: list[Item]) -> list[list[Item]]:
    parts: list[list[Item]] = [[]]
    size = 0
    for item in group:
        line = len(item.line) + 64  # the line plus its header entries, roughly
        if parts[-1] and size + line > MAX_CHUNK_BYTES:
            parts.append([])
            size = 0
        parts[-1].append(item)
        size += line
    return parts


def plan_chunks(items: list[Item]) -> list[Chunk]:
    """Cut time-sorted items into chunks (see the module docstring for the bound on their number)."""
    if not items:
        return []
    for level in LEVELS:
        if level.width_ms is None:
            groups = [items]
            break
        groups = _groups(items, level.width_ms)
        if len(groups) <= MAX_GROUPS_PER_LEVEL:
            break
    return [Chunk(level, part) for group in groups for part in _split_by_size(group)]


def encode_chunk(batch_id: str, items: list[Item]) -> tuple[str, dict]:
    """The KV value and list metadata of a chunk."""
    types: dict[str, int] = {}
    type_index = [types.setdefault(item.event_type, len(types)) for item in items]
    errors = [i for i, item in enumerate(items) if item.error]
    requests = [i for i, item in enumerate(items) if item.request]
    header = {
        "v": FORMAT_VERSION,
        "batch": batch_id,
        "ts": [item.ts for item in items],
        "ids": [item.id for item in items],
        "types": list(types),
        "ti": type_index,
        "err": errors,
        "req": requests,
    }
    value = encode_json(header) + "\n" + "\n".join([item.line for item in items])
    size = len(value) if value.isascii() else _utf8_size(value)
    if size < 0:  # a lone surrogate (JSON allows "\ud800"; UTF-8 cannot hold it): stored as "?"
        value = value.encode("utf-8", "replace").decode()
        size = len(value.encode())
    metadata = {"n": len(items), "b": size, "e": len(errors), "r": len(requests)}
    listed = {**metadata, "t": list(types)}
    if len(encode_json(listed).encode()) <= MAX_METADATA_BYTES:
        metadata = listed  # without "t" a reader cannot skip the chunk by type, only read it
    return value, metadata


def _utf8_size(text: str) -> int:
    try:
        return len(text.encode())
    except UnicodeEncodeError:
        return -1


class ChunkView:
    """A stored chunk as readers see it: the parsed header, event lines split on demand."""

    __slots__ = ("_lines", "_rest", "header")

    def __init__(self, value: str) -> None:
        head, _, self._rest = value.partition("\n")
        self.header = json.loads(head)
        self._lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self._rest.split("\n")
        return self._lines

    @property
    def count(self) -> int:
        return len(self.header["ts"])
