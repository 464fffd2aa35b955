"""The JSON ingest API: `POST /api/telemetry/ingest`, `POST /api/telemetry/batch`, `GET .../batch/{id}`."""

from __future__ import annotations

import json

from flarekit.errors import HTTPError
from flarekit.http.request_context import RequestContext
from flarekit.http.responses import json_response
from flarekit.metrics import observation
from telemetry_ingest.auth import Scope
from telemetry_ingest.body import read_body
from telemetry_ingest.config import MAX_BATCH_EVENTS, MAX_BODY_BYTES
from telemetry_ingest.context import authorize, config_of, json_text, now, session_of
from telemetry_ingest.events import check_events
from telemetry_ingest.ids import random_id, valid_batch_id
from telemetry_ingest.ingest import PROCESSING, Outcome, load_record, mark_processing, save_record, store_items
from telemetry_ingest.raw_json import Document, Element, parse_events_body
from telemetry_ingest.store import KVSession

RETRY_AFTER_SECONDS = "1"


def _too_many(count: int) -> HTTPError:
    return HTTPError(
        413,
        f"Batch has {count} events; the limit is {MAX_BATCH_EVENTS} per request. Split it and send the parts.",
        code="too_many_events",
    )


async def _document(rc: RequestContext, array_key: str | None) -> Document:
    headers = rc.headers
    body = await read_body(rc.request, headers.get("content-encoding"), headers.get("content-length"), MAX_BODY_BYTES)
    return parse_events_body(body, array_key)


async def _ingest(session: KVSession, events: list[Element], batch_id: str, mark: bool = False) -> Outcome:
    received_at = now()
    items, rejected = check_events(events, received_at, lambda index: f"{batch_id}.{index}")
    outcome = await store_items(
        session,
        items,
        rejected,
        batch_id=batch_id,
        request_id=random_id(nbytes=5),
        given=len(events),
        received_at=received_at,
        alongside=mark_processing(session, batch_id, len(events), received_at) if mark else None,
    )
    observation.current().set(events_accepted=outcome.accepted, events_rejected=outcome.rejected)  # metrics
    return outcome


def _answer(outcome: Outcome) -> object:
    status = outcome.http_status
    headers = {"retry-after": RETRY_AFTER_SECONDS} if status == 503 else None
    return json_response(outcome.body(), status, headers)


async def ingest(rc: RequestContext):
    """One event (an object) or several (an array)."""
    config = config_of(rc)
    authorize(rc, config, Scope.INGEST)
    events = (await _document(rc, None)).events
    if events is None:
        raise HTTPError(400, "Body must be an event object or an array of events", code="invalid_body")
    if len(events) > MAX_BATCH_EVENTS:
        raise _too_many(len(events))
    return _answer(await _ingest(session_of(rc, config), events, random_id("b_")))


async def batch(rc: RequestContext):
    """`{"batch_id"?, "events": [...]}`; a batch id seen before returns its stored outcome."""
    config = config_of(rc)
    authorize(rc, config, Scope.INGEST)
    document = await _document(rc, "events")
    events = document.events
    if not isinstance(document.value, dict) or events is None:
        raise HTTPError(400, 'Body must be an object with an "events" array', code="invalid_body")
    if len(events) > MAX_BATCH_EVENTS:
        raise _too_many(len(events))
    batch_id = document.value.get("batch_id")
    session = session_of(rc, config)
    # A generated id needs no processing mark: nobody can ask about it before this answer names it.
    mark = batch_id is not None
    if batch_id is None:
        batch_id = random_id("b_")
    elif not valid_batch_id(batch_id):
        raise HTTPError(
            400,
            "batch_id must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ -",
            code="invalid_batch_id",
            param="batch_id",
        )
    else:
        record = await load_record(session, batch_id)
        if record is not None and not record.get("retryable"):
            return _replay(record)
    outcome = await _ingest(session, events, batch_id, mark)
    outcome.completed_at = now()
    if not await save_record(session, outcome):
        outcome.extra["recorded"] = False  # GET /api/telemetry/batch/{id} will not know this batch
    return _answer(outcome)


def _replay(record: dict):
    if record.get("status") == PROCESSING:
        # Another request is ingesting this batch now: 202, and its status will have the outcome.
        body = {**record, "replayed": True}
        return json_response(body, 202, {"retry-after": RETRY_AFTER_SECONDS})
    body = {key: record[key] for key in ("batch_id", "status", "accepted", "rejected", "errors") if key in record}
    if record.get("duplicates"):
        body["duplicates"] = record["duplicates"]
    body["replayed"] = True
    status = 400 if record.get("status") == "failed" and record.get("events") else 200
    return json_response(body, status)


async def batch_status(rc: RequestContext):
    """A batch's stored outcome (`processing` while it is being ingested); 404 when unknown or expired."""
    config = config_of(rc)
    authorize(rc, config, Scope.QUERY)
    batch_id = rc.params["batch_id"]
    if not valid_batch_id(batch_id):
        raise HTTPError(404, f"No batch {batch_id!r}", code="not_found")
    record = await load_record(session_of(rc, config), batch_id)
    if record is None:
        raise HTTPError(404, f"No batch {batch_id!r} (unknown, or older than the retention period)", code="not_found")
    record.pop("retryable", None)
    return json_text(json.dumps(record, separators=(",", ":")))


ROUTES = (
    ("POST", "/api/telemetry/ingest", ingest),
    ("POST", "/api/telemetry/batch", batch),
    ("GET", "/api/telemetry/batch/{batch_id}", batch_status),
)
