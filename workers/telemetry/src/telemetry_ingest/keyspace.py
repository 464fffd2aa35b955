"""KV key names: built by one function each from explicit parts, and read back.

    telemetry:{level}:{min_ts:013d}:{max_ts:013d}:{request_id}:{n}   a chunk of events
    batch:{batch_id}                                                 a batch's outcome
    batchrun:{batch_id}                                              a batch being ingested (60 s)

Timestamps are 13-digit, zero-padded epoch milliseconds, so KV's byte order is time order and every
decimal prefix of a timestamp is a time bucket (`telemetry:10m:1790000` holds the chunks that start
within one 10^6 ms = 16.7 min block). A chunk's events span less than its level's width, so a query
for [start, end] finds every chunk it needs among keys whose min_ts is in [start - width, end].
"""

from __future__ import annotations

from typing import NamedTuple

NAMESPACE = "telemetry"
TS_DIGITS = 13


class Level(NamedTuple):
    """Chunks whose events span less than `width_ms` (None: any span) live under `telemetry:{name}:`."""

    name: str
    width_ms: int | None


# Finest first: a request's events go to the finest level where they fit in few chunks
# (chunks.MAX_GROUPS_PER_LEVEL); the last level takes anything.
LEVELS = (Level("10m", 10 * 60 * 1000), Level("1d", 24 * 3600 * 1000), Level("any", None))
LEVELS_BY_NAME = {level.name: level for level in LEVELS}


class ChunkKey(NamedTuple):
    name: str
    level: Level
    min_ts: int
    max_ts: int


def level_prefix(level: Level) -> str:
    """The prefix every chunk key of `level` starts with."""
    return f"{NAMESPACE}:{level.name}:"


def chunk_key(level: Level, min_ts: int, max_ts: int, request_id: str, n: int) -> str:
    """The key of the `n`-th chunk a request writes at `level`."""
    return f"{NAMESPACE}:{level.name}:{min_ts:0{TS_DIGITS}d}:{max_ts:0{TS_DIGITS}d}:{request_id}:{n}"


def parse_chunk_key(name: str) -> ChunkKey | None:
    """The parts of a chunk key; None for a name that is not one."""
    parts = name.split(":", 5)
    if len(parts) != 6 or parts[0] != NAMESPACE:
        return None
    level = LEVELS_BY_NAME.get(parts[1])
    if level is None or not (parts[2].isdigit() and parts[3].isdigit()):
        return None
    return ChunkKey(name, level, int(parts[2]), int(parts[3]))


def batch_key(batch_id: str) -> str:
    """Where a batch's outcome is kept."""
    return f"batch:{batch_id}"


def batch_run_key(batch_id: str) -> str:
    """Where a batch being ingested is marked (short-lived: KV's minimum TTL)."""
    return f"batchrun:{batch_id}"


def prefix_bounds(prefix_digits: str) -> tuple[int, int]:
    """The smallest and largest timestamp whose 13 digits start with `prefix_digits`."""
    free = TS_DIGITS - len(prefix_digits)
    low = int(prefix_digits.ljust(TS_DIGITS, "0")) if prefix_digits else 0
    return low, low + 10**free - 1


def common_prefix(lo: int, hi: int) -> str:
    """The longest decimal prefix shared by the 13-digit forms of `lo` and `hi`."""
    a, b = f"{lo:0{TS_DIGITS}d}", f"{hi:0{TS_DIGITS}d}"
    n = 0
    while n < TS_DIGITS and a[n] == b[n]:
        n += 1
    return a[:n]
