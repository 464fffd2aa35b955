"""Events as stored: validation of the JSON API's events, and the record every source produces.

A stored event is the client's object with unknown fields kept, plus `id` (the client's, or one
drawn by the server), `timestamp` (epoch ms; `received_at` when absent) and `received_at`.
Each becomes an `Item`: the serialized line that is stored and what indexes and reports need.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from telemetry_ingest.config import MAX_EVENT_BYTES
from telemetry_ingest.digest import error_of, request_of
from telemetry_ingest.timestamps import parse_timestamp

MAX_EVENT_TYPE_CHARS = 128
MAX_ID_CHARS = 128

# One encoder for every event: json.dumps with options builds a new encoder per call.
encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Item(NamedTuple):
    """One event ready to store."""

    ts: int
    id: str
    event_type: str
    line: str  # the event as one line of JSON
    index: int  # position in the request
    error: list | None  # digest.error_of
    request: list | None  # digest.request_of


class Rejection(NamedTuple):
    index: int
    reason: str


def oversize(line: str) -> int | None:
    """The UTF-8 size of `line` when it is over the per-event limit, else None."""
    if len(line) * 4 <= MAX_EVENT_BYTES:  # cannot be over: a character is at most 4 bytes
        return None
    size = len(line) if line.isascii() else len(line.encode())
    return size if size > MAX_EVENT_BYTES else None


def make_item(event: dict, ts: int, event_id: str, event_type: str, data: dict, index: int) -> Item | Rejection:
    """Serialize an already-normalized event; a Rejection when it is too large."""
    line = encode_json(event)
    size = oversize(line)
    if size is not None:
        return Rejection(index, f"event is {size} bytes; the limit is {MAX_EVENT_BYTES} bytes (64 KiB)")
    return Item(ts, event_id, event_type, line, index, error_of(event_type, data), request_of(event_type, data))


def check_event(raw: Any, index: int, received_at: int, make_id: Callable[[int], str]) -> Item | Rejection:
    """Validate one event of the JSON API and normalize it in place."""
    if type(raw) is not dict:
        return Rejection(index, "event must be a JSON object")
    event_type = raw.get("event_type")
    if event_type is None:
        return Rejection(index, "missing event_type")
    if type(event_type) is not str:
        return Rejection(index, "event_type must be a string")
    if not 0 < len(event_type) <= MAX_EVENT_TYPE_CHARS:
        return Rejection(index, f"event_type must be 1 to {MAX_EVENT_TYPE_CHARS} characters")
    data = raw.get("data")
    if type(data) is not dict:
        return Rejection(index, "missing data (must be an object)" if data is None else "data must be an object")
    stamp = raw.get("timestamp")
    if stamp is None:
        ts = received_at
    else:
        ts = parse_timestamp(stamp)
        if ts is None:
            return Rejection(index, "timestamp must be epoch milliseconds or an ISO 8601 string")
    event_id = raw.get("id")
    if event_id is None:
        event_id = make_id(index)
        raw["id"] = event_id
    elif type(event_id) is not str or not 0 < len(event_id) <= MAX_ID_CHARS:
        return Rejection(index, f"id must be a string of 1 to {MAX_ID_CHARS} characters")
    raw["timestamp"] = ts
    raw["received_at"] = received_at
    return make_item(raw, ts, event_id, event_type, data, index)


def check_events(
    raw_events: list, received_at: int, make_id: Callable[[int], str]
) -> tuple[list[Item], list[Rejection]]:
    """Split a request's events into items to store and per-index rejections."""
    items: list[Item] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(raw_events):
        outcome = check_event(raw, index, received_at, make_id)
        if type(outcome) is Item:
            items.append(outcome)
        else:
            rejected.append(outcome)  # type: ignore[arg-type]
    return items, rejected
