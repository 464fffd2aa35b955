"""`/api/telemetry/errors` and `/api/telemetry/metrics/summary`, computed from stored events.

Both skip chunks whose list metadata says they hold none, parse only the events the chunk header
marks as errors or request records, and de-duplicate by event id. They aggregate the durable
events themselves, so there is no counter to keep exact under concurrency. A report reads at most
MAX_REPORT_CHUNKS chunks (and stays inside the KV operation budget); past that it says
`"truncated": true` and how far it got.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from flarekit.errors import HTTPError
from telemetry_ingest.chunks import ChunkView
from telemetry_ingest.digest import REQUEST_COLUMNS, error_of, request_of
from telemetry_ingest.scan import ChunkRef, RefStream
from telemetry_ingest.store import MAX_BULK_BYTES, MAX_BULK_KEYS, BudgetExhausted, KVSession

MAX_REPORT_CHUNKS = 300
MAX_ERROR_GROUPS = 500
GROUP_BY = {name: REQUEST_COLUMNS.index(name) for name in ("provider", "model", "route", "deployment", "key")}
_ERROR, _LATENCY, _TTFB = (
    REQUEST_COLUMNS.index("error"),
    REQUEST_COLUMNS.index("latency_ms"),
    REQUEST_COLUMNS.index("ttfb_ms"),
)
_IN, _OUT, _COST, _CACHE = (REQUEST_COLUMNS.index(c) for c in ("input_tokens", "output_tokens", "cost_usd", "cache"))


@dataclass
class Scan:
    """Chunk headers of a time range; `truncated` once a limit stopped the scan early."""

    start: int
    end: int
    truncated: bool = False
    scanned_until: int | None = None
    seen: set[str] = field(default_factory=set)

    def first_time(self, event_id: str) -> bool:
        """True the first time an event id is met (events stored twice count once)."""
        if event_id in self.seen:
            return False
        self.seen.add(event_id)
        return True


async def scan_chunks(session: KVSession, scan: Scan, wanted: Callable[[ChunkRef], bool]) -> AsyncIterator[ChunkView]:
    refs = RefStream(session, scan.start, scan.end)
    read = 0
    try:
        while True:
            group: list[ChunkRef] = []
            size = 0
            while len(group) < MAX_BULK_KEYS and read + len(group) < MAX_REPORT_CHUNKS:
                ref = await refs.peek()
                if ref is None or (group and size + ref.size > MAX_BULK_BYTES):
                    break
                await refs.next()
                if wanted(ref):
                    group.append(ref)
                    size += ref.size
            if not group:
                if await refs.peek() is not None:
                    scan.truncated = True
                break
            values = await session.get_many([ref.name for ref in group])
            read += len(group)
            scan.scanned_until = group[-1].min_ts
            for ref in group:
                value = values.get(ref.name)
                if value is not None:
                    yield ChunkView(value)
    except BudgetExhausted:
        scan.truncated = True


def _parsed(view: ChunkView, i: int, extract: Callable[[str, dict], list | None]) -> list | None:
    """What `extract` finds in the i-th event of a chunk (the event is parsed here, at read time)."""
    event = json.loads(view.lines[i])
    data = event.get("data")
    return extract(event.get("event_type", ""), data) if isinstance(data, dict) else None


def percentiles(values: list[float]) -> dict[str, float] | None:
    """p50/p95/p99 by nearest rank (exact: every value is kept)."""
    if not values:
        return None
    values.sort()
    n = len(values)
    return {f"p{p}": values[max(0, math.ceil(p / 100 * n) - 1)] for p in (50, 95, 99)}


async def error_groups(session: KVSession, scan: Scan, limit: int) -> dict:
    groups: dict[str, dict] = {}
    samples: dict[str, tuple[ChunkView, int]] = {}
    async for view in scan_chunks(session, scan, lambda ref: ref.errors > 0):
        ts, ids = view.header["ts"], view.header["ids"]
        for i in view.header["err"]:
            moment = ts[i]
            if not scan.start <= moment <= scan.end or not scan.first_time(ids[i]):
                continue
            found = _parsed(view, i, error_of)
            if found is None:
                continue
            digest, error_type, message = found
            group = groups.get(digest)
            if group is None:
                if len(groups) >= MAX_ERROR_GROUPS:
                    scan.truncated = True
                    continue
                group = groups[digest] = {
                    "fingerprint": digest,
                    "type": error_type,
                    "message": message,
                    "count": 0,
                    "first_seen": moment,
                    "last_seen": moment,
                }
            group["count"] += 1
            group["first_seen"] = min(group["first_seen"], moment)
            if moment >= group["last_seen"]:
                group["last_seen"] = moment
                samples[digest] = (view, i)
    ranked = sorted(groups.values(), key=lambda g: (-g["count"], -g["last_seen"]))[:limit]
    for group in ranked:
        view, i = samples[group["fingerprint"]]
        group["sample"] = json.loads(view.lines[i])
    return {"start": scan.start, "end": scan.end, "groups": ranked, **_truncation(scan)}


def _truncation(scan: Scan) -> dict:
    return {"truncated": True, "scanned_until": scan.scanned_until} if scan.truncated else {"truncated": False}


def _group_figures(key: str | None, rows: list[list]) -> dict:
    requests = len(rows)
    errors = sum(1 for row in rows if row[_ERROR])
    figures: dict = {
        "key": key,
        "requests": requests,
        "errors": errors,
        "error_rate": round(errors / requests, 6) if requests else 0.0,
        "latency_ms": percentiles([row[_LATENCY] for row in rows if row[_LATENCY] is not None]),
        "ttfb_ms": percentiles([row[_TTFB] for row in rows if row[_TTFB] is not None]),
        "input_tokens": sum(row[_IN] or 0 for row in rows),
        "output_tokens": sum(row[_OUT] or 0 for row in rows),
        "cost_usd": round(sum(row[_COST] or 0 for row in rows), 8),
        "cache_hits": sum(1 for row in rows if row[_CACHE] == "hit"),
    }
    return figures


async def request_summary(session: KVSession, scan: Scan, group_by: str) -> dict:
    if group_by not in GROUP_BY:
        raise HTTPError(
            400,
            f"group_by must be one of {', '.join(GROUP_BY)}, got {group_by!r}",
            code="invalid_parameter",
            param="group_by",
        )
    column = GROUP_BY[group_by]
    rows: list[list] = []
    async for view in scan_chunks(session, scan, lambda ref: ref.requests > 0):
        ts, ids = view.header["ts"], view.header["ids"]
        for i in view.header["req"]:
            if scan.start <= ts[i] <= scan.end and scan.first_time(ids[i]):
                record = _parsed(view, i, request_of)
                if record is not None:
                    rows.append(record)
    by_key: dict[str | None, list[list]] = {}
    for row in rows:
        by_key.setdefault(row[column], []).append(row)
    groups = sorted((_group_figures(key, group) for key, group in by_key.items()), key=lambda g: -g["requests"])
    total = _group_figures(None, rows)
    del total["key"]
    return {"start": scan.start, "end": scan.end, "group_by": group_by, **total, "groups": groups, **_truncation(scan)}
