"""The OTLP/HTTP receiver: `POST /v1/traces`, `/v1/metrics`, `/v1/logs`.

Answers follow the OTLP spec: the response's encoding is the request's (protobuf or JSON); 200
with an empty response for full success, or with `partial_success` naming how many items were
rejected and why; failures carry a google.rpc.Status. 400 and 413 are permanent (exporters drop
the data); a storage failure is 503 with Retry-After, which exporters retry.
"""

from __future__ import annotations

import hashlib
from functools import partial

from workers import Response

from flarekit.errors import HTTPError
from flarekit.http.request_context import RequestContext
from flarekit.metrics import observation
from flarekit.otlp import SIGNALS, DecodeError, Signal
from flarekit.otlp.signals import INVALID_ARGUMENT, UNAUTHENTICATED, UNAVAILABLE, status_json, status_protobuf
from telemetry_ingest.auth import Scope
from telemetry_ingest.body import parse_json, read_body
from telemetry_ingest.config import MAX_BODY_BYTES
from telemetry_ingest.context import authorize, config_of, now, session_of
from telemetry_ingest.events import encode_json
from telemetry_ingest.ids import random_id
from telemetry_ingest.ingest import store_items
from telemetry_ingest.otlp_events import otlp_items

PROTOBUF_TYPES = frozenset({"application/x-protobuf", "application/protobuf"})
JSON_TYPES = frozenset({"application/json"})
RETRY_AFTER_SECONDS = "2"
MAX_REASONS_IN_MESSAGE = 5

_GRPC_CODE = {
    400: INVALID_ARGUMENT,
    401: UNAUTHENTICATED,
    413: INVALID_ARGUMENT,
    415: INVALID_ARGUMENT,
    503: UNAVAILABLE,
}


def _reply(protobuf: bool, status: int, payload: bytes | dict, headers: dict[str, str] | None = None) -> Response:
    merged = {"content-type": "application/x-protobuf" if protobuf else "application/json"}
    if headers:
        merged.update(headers)
    body = payload if isinstance(payload, bytes) else encode_json(payload)
    return Response(body, status=status, headers=merged)


def _failure(protobuf: bool, error: HTTPError) -> Response:
    code = _GRPC_CODE.get(error.status, UNAVAILABLE if error.status >= 500 else INVALID_ARGUMENT)
    payload = status_protobuf(code, error.message) if protobuf else status_json(code, error.message)
    return _reply(protobuf, error.status, payload, error.headers)


def _rejection_message(signal: Signal, rejected: list) -> str:
    reasons = "; ".join(f"item {r.index}: {r.reason}" for r in sorted(rejected)[:MAX_REASONS_IN_MESSAGE])
    more = "" if len(rejected) <= MAX_REASONS_IN_MESSAGE else f"; and {len(rejected) - MAX_REASONS_IN_MESSAGE} more"
    return f"{len(rejected)} of the {signal.name} items were rejected: {reasons}{more}"


async def export(rc: RequestContext, signal: Signal) -> Response:
    headers = rc.headers
    content_type = (headers.get("content-type") or "").partition(";")[0].strip().lower()
    protobuf = content_type in PROTOBUF_TYPES
    try:
        if not protobuf and content_type not in JSON_TYPES:
            raise HTTPError(
                415, f"Content-Type must be application/x-protobuf or application/json, got {content_type or 'none'!r}"
            )
        config = config_of(rc)
        authorize(rc, config, Scope.INGEST)
        body = await read_body(
            rc.request, headers.get("content-encoding"), headers.get("content-length"), MAX_BODY_BYTES
        )
        try:
            decoded = signal.decode_protobuf(body) if protobuf else signal.decode_json(parse_json(body))
        except DecodeError as error:
            raise HTTPError(400, f"Not a valid OTLP {signal.name} export request: {error}") from None
        received_at = now()
        request_id = random_id(nbytes=5)
        # Spans carry their own ids; other items get ids from the request bytes, so a retried export
        # (the same bytes) names its items the same and queries show them once.
        id_prefix = "" if signal.name == "traces" else hashlib.sha256(body).hexdigest()[:24]
        items, rejected = otlp_items(signal, decoded, received_at, id_prefix, protobuf)
        outcome = await store_items(
            session_of(rc, config),
            items,
            rejected,
            batch_id=f"otlp_{request_id}",
            request_id=request_id,
            given=len(items) + len(rejected),
            received_at=received_at,
        )
        observation.current().set(events_accepted=outcome.accepted, events_rejected=outcome.rejected)  # metrics
        if outcome.storage_failures:
            raise HTTPError(
                503,
                f"Storage is unavailable; {outcome.rejected - len(rejected)} items were not stored. Retry the export.",
                headers={"retry-after": RETRY_AFTER_SECONDS},
            )
    except HTTPError as error:
        return _failure(protobuf, error)
    if not rejected:
        payload: bytes | dict = signal.response_protobuf() if protobuf else signal.response_json()
    else:
        message = _rejection_message(signal, rejected)
        payload = (
            signal.response_protobuf(len(rejected), message)
            if protobuf
            else signal.response_json(len(rejected), message)
        )
    return _reply(protobuf, 200, payload)


ROUTES = tuple(("POST", signal.path, partial(export, signal=signal)) for signal in SIGNALS.values())
