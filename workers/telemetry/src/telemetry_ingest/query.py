"""`GET /api/telemetry/query`: events of a time range, oldest first, a page at a time.

Chunks are read in order of their first timestamp, up to 100 per bulk read, and reading stops as
soon as `limit` events are known to come before anything unread (a full page with chunks left
gets a cursor; the next page may then rarely be empty, when what is left is filtered out). Events are ordered by
(timestamp, id) and de-duplicated by id; the cursor is the position of the last event returned.
Event lines are copied from storage into the answer without being parsed again.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from flarekit.errors import HTTPError
from telemetry_ingest.chunks import ChunkView
from telemetry_ingest.scan import RefStream
from telemetry_ingest.store import MAX_BULK_BYTES, MAX_BULK_KEYS, BudgetExhausted, KVSession
from telemetry_ingest.timestamps import MAX_TIMESTAMP_MS, parse_time_param

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
DEFAULT_FUTURE_MS = 3600 * 1000  # without `end`, events stamped up to an hour ahead are included
_LAST_ID = "\U0010ffff"  # sorts after every id: "all events of this millisecond were returned"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class QueryParams:
    start: int
    end: int
    event_type: str | None
    limit: int
    after: tuple[int, str] | None  # exclusive position from the cursor
    trace_id: str | None = None  # only events of this trace (32 lower-case hex digits)


def bad_request(message: str, param: str | None = None) -> HTTPError:
    return HTTPError(400, message, code="invalid_parameter", param=param)


def time_range(query: dict[str, str], now_ms: int, retention_ms: int) -> tuple[int, int]:
    """`start`/`end` from the query string; the retention window (to an hour ahead) by default."""
    try:
        start = parse_time_param("start", query.get("start"))
        end = parse_time_param("end", query.get("end"))
    except ValueError as error:
        raise bad_request(str(error)) from None
    start = max(0, now_ms - retention_ms) if start is None else start
    end = min(MAX_TIMESTAMP_MS, now_ms + DEFAULT_FUTURE_MS) if end is None else end
    if start > end:
        raise bad_request(f"start ({start}) is after end ({end})", "start")
    return start, end


def parse_params(query: dict[str, str], now_ms: int, retention_ms: int) -> QueryParams:
    start, end = time_range(query, now_ms, retention_ms)
    text = query.get("limit") or str(DEFAULT_LIMIT)
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise bad_request(f"limit must be a whole number from 1 to {MAX_LIMIT}, got {text!r}", "limit")
    cursor = query.get("cursor")
    trace_id = (query.get("trace_id") or "").strip().lower() or None
    if trace_id is not None and (len(trace_id) != 32 or not _HEX.issuperset(trace_id)):
        raise bad_request(f"trace_id must be 32 hexadecimal digits, got {trace_id[:40]!r}", "trace_id")
    return QueryParams(
        start,
        end,
        query.get("event_type") or None,
        int(text),
        decode_cursor(cursor) if cursor else None,
        trace_id,
    )


def encode_cursor(ts: int, event_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([ts, event_id]).encode()).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[int, str]:
    try:
        ts, event_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise bad_request("cursor is not one this API returned", "cursor") from None
    if type(ts) is not int or type(event_id) is not str:
        raise bad_request("cursor is not one this API returned", "cursor")
    return ts, event_id


def _in_trace(view: ChunkView, j: int, event_id: str, event_type: str, trace_id: str) -> bool:
    """Whether event j belongs to the trace: a span's id starts with its trace id; other events
    (logs, `ai.request` records) name it in `data.trace_id`, checked in the raw line first."""
    if event_type == "otel.span":
        return event_id.startswith(trace_id)
    line = view.lines[j]
    if trace_id not in line:
        return False
    try:
        data = json.loads(line).get("data")
    except ValueError:
        return False
    return isinstance(data, dict) and str(data.get("trace_id") or "").lower() == trace_id


def _select(view: ChunkView, params: QueryParams, out: list[tuple[int, str, Any, int]]) -> None:
    header = view.header
    ids = header["ids"]
    wanted = None
    if params.event_type is not None:
        try:
            wanted = header["types"].index(params.event_type)
        except ValueError:
            return
    type_index = header["ti"]
    start, end, after = params.start, params.end, params.after
    for j, ts in enumerate(header["ts"]):
        if ts < start or ts > end or (wanted is not None and type_index[j] != wanted):
            continue
        if after is not None and (ts, ids[j]) <= after:
            continue
        if params.trace_id is not None and not _in_trace(
            view, j, ids[j], header["types"][type_index[j]], params.trace_id
        ):
            continue
        out.append((ts, ids[j], view, j))


def _settle(found: list[tuple[int, str, Any, int]], keep: int) -> list[tuple[int, str, Any, int]]:
    """Sorted by (timestamp, id), one per id, at most `keep`."""
    found.sort(key=lambda row: (row[0], row[1]))
    seen: set[str] = set()
    out = []
    for row in found:
        if row[1] not in seen:
            seen.add(row[1])
            out.append(row)
            if len(out) == keep:
                break
    return out


async def run_query(session: KVSession, params: QueryParams) -> tuple[list[str], str | None]:
    """The page's event lines and the cursor for the next page (None at the end)."""
    low = params.start if params.after is None else max(params.start, params.after[0])
    refs = RefStream(session, low, params.end)
    # Read until `limit` events are known to come before every unread chunk; keep one more, if read,
    # to know the page is not the last.
    limit = params.limit
    keep = limit + 1
    found: list[tuple[int, str, Any, int]] = []
    resume: int | None = None  # first timestamp of the earliest chunk not read yet (None: all read)
    last_taken = low
    try:
        while True:
            next_ref = await refs.peek()
            resume = None if next_ref is None else next_ref.min_ts
            if next_ref is None or sum(1 for row in found if row[0] < next_ref.min_ts) >= limit:
                break
            group, expected, size = [], 0, 0
            while next_ref is not None and len(group) < MAX_BULK_KEYS and expected < limit:
                if (
                    params.event_type is not None
                    and next_ref.types is not None
                    and params.event_type not in next_ref.types
                ):
                    await refs.next()  # the chunk holds no event of this type
                elif group and size + next_ref.size > MAX_BULK_BYTES:
                    break
                else:
                    group.append(await refs.next())
                    expected += next_ref.count
                    size += next_ref.size
                    last_taken = next_ref.min_ts
                resume = group[0].min_ts if group else None
                next_ref = await refs.peek()
            resume = group[0].min_ts if group else resume
            if group:
                values = await session.get_many([ref.name for ref in group])
                for ref in group:
                    value = values.get(ref.name)
                    if value is not None:  # None: expired, or not yet visible here (KV is eventually consistent)
                        _select(ChunkView(value), params, found)
                found = _settle(found, keep)
    except BudgetExhausted:
        # Answer with what was read; the cursor resumes before the first chunk not read.
        resume = last_taken if resume is None else min(resume, last_taken)
    found = _settle(found, keep)
    page = found[:limit]
    lines = [view.lines[j] for _, _, view, j in page]
    if len(found) > limit or (len(page) == limit and resume is not None):
        return lines, encode_cursor(page[-1][0], page[-1][1])
    if resume is None:
        return lines, None
    # Never behind the last event returned, nor behind the cursor this page started from.
    candidates = [
        (resume - 1, _LAST_ID),
        *([(page[-1][0], page[-1][1])] if page else []),
        *([params.after] if params.after else []),
    ]
    return lines, encode_cursor(*max(candidates))


def render_page(lines: list[str], cursor: str | None) -> str:
    """The JSON answer, with the stored event lines spliced in as they are."""
    tail = "" if cursor is None else f',"cursor":"{cursor}"'
    return f'{{"count":{len(lines)},"events":[{",".join(lines)}]{tail}}}'
