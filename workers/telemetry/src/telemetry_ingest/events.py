"""Events as stored: validation of the JSON API's events, and the record every source produces.

A stored event is the client's object with unknown fields kept, plus `id` (the client's, or one
drawn by the server), `timestamp` (epoch ms; `received_at` when absent) and `received_at`.
Each becomes an `Item`: the line of JSON that is stored and what the chunk's index needs. The line
is the client's own text with the server's fields appended when that is enough (see raw_json.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from telemetry_ingest.config import MAX_EVENT_BYTES
from telemetry_ingest.digest import classify
from telemetry_ingest.raw_json import Element
from telemetry_ingest.timestamps import MAX_TIMESTAMP_MS, parse_timestamp

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
    error: bool  # digest.classify
    request: bool


class Rejection(NamedTuple):
    index: int
    reason: str


def oversize(line: str) -> int | None:
    """The UTF-8 size of `line` when it is over the per-event limit, else None."""
    if len(line) * 4 <= MAX_EVENT_BYTES:  # cannot be over: a character is at most 4 bytes
        return None
    size = len(line) if line.isascii() else len(line.encode("utf-8", "surrogatepass"))
    return size if size > MAX_EVENT_BYTES else None


def make_item(line: str, ts: int, event_id: str, event_type: str, data: dict, index: int) -> Item | Rejection:
    """An item for an event already serialized as `line`; a Rejection when it is too large."""
    size = oversize(line)
    if size is not None:
        return Rejection(index, f"event is {size} bytes; the limit is {MAX_EVENT_BYTES} bytes (64 KiB)")
    error, request = classify(event_type, data)
    return Item(ts, event_id, event_type, line, index, error, request)


def _line(raw: dict, text: str | None, add_id: bool, ts: int, received_at: int) -> str:
    """The stored line: the source text with the server's fields appended, or the object encoded anew."""
    stamp = raw.get("timestamp")
    if text is None or "received_at" in raw or (stamp is not None and (type(stamp) is not int or stamp != ts)):
        raw["timestamp"] = ts
        raw["received_at"] = received_at
        return encode_json(raw)
    if "\n" in text or "\r" in text:  # whitespace between tokens (JSON strings cannot hold raw newlines)
        text = text.replace("\r", " ").replace("\n", " ")
    extra = f'"id":"{raw["id"]}",' if add_id else ""  # server ids need no escaping (ids.py)
    if stamp is None:
        extra += f'"timestamp":{ts},'
    return f'{text[:-1].rstrip()},{extra}"received_at":{received_at}}}'


def _event_type_problem(event_type: Any) -> str:
    if event_type is None:
        return "missing event_type"
    if type(event_type) is not str:
        return "event_type must be a string"
    return f"event_type must be 1 to {MAX_EVENT_TYPE_CHARS} characters"


def check_event(
    raw: Any, text: str | None, index: int, received_at: int, make_id: Callable[[int], str]
) -> Item | Rejection:
    """Validate one event of the JSON API; `text` is its source JSON when known."""
    if type(raw) is not dict:
        return Rejection(index, "event must be a JSON object")
    event_type = raw.get("event_type")
    if type(event_type) is not str or not 0 < len(event_type) <= MAX_EVENT_TYPE_CHARS:
        return Rejection(index, _event_type_problem(event_type))
    data = raw.get("data")
    if type(data) is not dict:
        return Rejection(index, "missing data (must be an object)" if data is None else "data must be an object")
    stamp = raw.get("timestamp")
    if stamp is None:
        ts = received_at
    elif type(stamp) is int and 0 <= stamp <= MAX_TIMESTAMP_MS:
        ts = stamp  # the usual case, without a call
    else:
        ts = parse_timestamp(stamp)
        if ts is None:
            return Rejection(index, "timestamp must be epoch milliseconds or an ISO 8601 string")
    event_id = raw.get("id")
    add_id = event_id is None
    if add_id:
        event_id = raw["id"] = make_id(index)
    elif type(event_id) is not str or not 0 < len(event_id) <= MAX_ID_CHARS:
        return Rejection(index, f"id must be a string of 1 to {MAX_ID_CHARS} characters")
    line = _line(raw, text, add_id, ts, received_at)
    return make_item(line, ts, event_id, event_type, data, index)


def check_events(
    elements: list[Element], received_at: int, make_id: Callable[[int], str]
) -> tuple[list[Item], list[Rejection]]:
    """Split a request's events into items to store and per-index rejections."""
    items: list[Item] = []
    rejected: list[Rejection] = []
    for index, (raw, text) in enumerate(elements):
        outcome = check_event(raw, text, index, received_at, make_id)
        if type(outcome) is Item:
            items.append(outcome)
        else:
            rejected.append(outcome)  # type: ignore[arg-type]
    return items, rejected
