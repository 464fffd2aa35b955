"""What the reports need from one event.

At ingest, `classify` only says whether an event is an error and whether it is a request record
(cheap checks; the chunk header lists their positions). Reports read those events and extract:

- An error: its type, and its message with numbers and ids masked, hashed into a fingerprint that
  groups occurrences of the same error (`/api/telemetry/errors`).
- A request record: provider, model, route, ..., error flag, latency and usage
  (`/api/telemetry/metrics/summary`), from the AI proxy's `ai.request` events and from spans.

Extractors are chosen by event type from a registry; unknown types yield nothing, except that any
type named `error`, `exception` or ending in `.error` / `.exception` counts as an error.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, NamedTuple

MAX_MESSAGE_CHARS = 300
ERROR_SEVERITY_NUMBER = 17  # OTLP SeverityNumber ERROR and above
SPAN_STATUS_ERROR = 2
SPAN_KIND_SERVER = 2
FLAREKIT_SDK = "flarekit"  # `telemetry.sdk.name` of the spans flarekit.tracing exports

# Request record columns (the order is the chunk header's layout; append, never reorder).
REQUEST_COLUMNS = (
    "provider",
    "model",
    "route",
    "deployment",
    "key",
    "error",
    "latency_ms",
    "ttfb_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "cache",
)

_MASKS = (
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<id>"),
    (re.compile(r"\b(?:0x)?(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"), "<id>"),  # hex ids (with a digit)
    (re.compile(r"\b[A-Za-z]{1,12}_(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{6,}\b"), "<id>"),  # prefixed ids: req_3k9x2a
    (re.compile(r"(?<![A-Za-z0-9])\d+(?:[.:]\d+)*"), "<n>"),  # numbers, not digits inside words (v2)
)


def mask(message: str) -> str:
    """A message with ids and numbers replaced, so occurrences of one error read the same."""
    text = message[:MAX_MESSAGE_CHARS]
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def fingerprint(error_type: str, message: str) -> tuple[str, str]:
    """(fingerprint, masked message) for an error."""
    masked = mask(message)
    digest = hashlib.sha1(f"{error_type}\n{masked}".encode(), usedforsecurity=False).hexdigest()[:16]
    return digest, masked


def _number(value: Any) -> float | int | None:
    return value if type(value) in (int, float) else None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _first(mapping: dict, *names: str) -> Any:
    for name in names:
        value = mapping.get(name)
        if value not in (None, ""):
            return value
    return None


# -- ai.request ----------------------------------------------------------------------------------


def _ai_request_failed(data: dict) -> bool:
    if data.get("error_type"):
        return True
    status = data.get("status")
    if type(status) is int:
        return status >= 400
    return isinstance(status, str) and status.lower() in ("error", "failed", "failure")


def _ai_request_error(data: dict) -> tuple[str, str] | None:
    error_type = _text(data.get("error_type")) or f"status_{data.get('status')}"
    message = _text(_first(data, "error_message", "error", "message")) or (
        f"{data.get('provider')} {data.get('model_alias') or data.get('model')} failed with {data.get('status')}"
    )
    return error_type, message


def _ai_request_record(data: dict) -> list:
    return [
        _text(data.get("provider")),
        _text(_first(data, "model_alias", "model")),
        _text(data.get("route")),
        _text(data.get("deployment")),
        _text(_first(data, "key_name", "key")),
        1 if _ai_request_failed(data) else 0,
        _number(data.get("latency_ms")),
        _number(data.get("ttfb_ms")),
        _number(data.get("input_tokens")),
        _number(data.get("output_tokens")),
        _number(data.get("cost_usd")),
        _text(data.get("cache")),
    ]


# -- OpenTelemetry spans and logs ----------------------------------------------------------------


def _span_error(data: dict) -> tuple[str, str] | None:
    status = data.get("status") or {}
    attributes = data.get("attributes") or {}
    exception = next((e.get("attributes") or {} for e in data.get("events") or () if e.get("name") == "exception"), {})
    error_type = _text(_first(exception, "exception.type") or _first(attributes, "exception.type", "error.type"))
    message = _text(
        status.get("message") or _first(exception, "exception.message") or attributes.get("exception.message")
    )
    return error_type or str(data.get("name") or "span"), message or ""


def _span_record(data: dict) -> list | None:
    resource = data.get("resource") or {}
    if not _span_is_request(data) or requests_recorded_elsewhere(resource):
        return None  # internal spans, or our own Workers' spans, would count one request several times
    attributes = data.get("attributes") or {}
    http_status = attributes.get("http.response.status_code")
    failed = (data.get("status") or {}).get("code") == SPAN_STATUS_ERROR or (
        type(http_status) is int and http_status >= 500
    )
    return [
        _text(_first(attributes, "gen_ai.provider.name", "gen_ai.system") or resource.get("service.name")),
        _text(_first(attributes, "gen_ai.request.model", "gen_ai.response.model")),
        _text(attributes.get("http.route") or data.get("name")),
        None,
        None,
        1 if failed else 0,
        _number(data.get("duration_ms")),
        None,
        _number(attributes.get("gen_ai.usage.input_tokens")),
        _number(attributes.get("gen_ai.usage.output_tokens")),
        None,
        None,
    ]


def _log_error(data: dict) -> tuple[str, str] | None:
    attributes = data.get("attributes") or {}
    error_type = _text(attributes.get("exception.type")) or _text(data.get("severity_text")) or "log"
    body = data.get("body")
    message = _text(attributes.get("exception.message")) or (body if isinstance(body, str) else _text(body)) or ""
    return error_type, message


def _generic_error(data: dict) -> tuple[str, str]:
    exception = data.get("exception") if isinstance(data.get("exception"), dict) else {}
    error_type = _text(_first(data, "type", "error_type", "name") or exception.get("type")) or "error"
    message = _text(_first(data, "message", "error", "error_message") or exception.get("message")) or ""
    return error_type, message


def _span_failed(data: dict) -> bool:
    return (data.get("status") or {}).get("code") == SPAN_STATUS_ERROR


def _log_failed(data: dict) -> bool:
    severity = data.get("severity_number")
    return type(severity) is int and severity >= ERROR_SEVERITY_NUMBER


def requests_recorded_elsewhere(resource: dict) -> bool:
    """Spans of Flarekit's own Workers: their requests are counted by their request records (the AI
    proxy's `ai.request` events; the MetricsAggregator), so their spans must not count them again."""
    return resource.get("telemetry.sdk.name") == FLAREKIT_SDK


def span_is_request(kind: object, attributes: dict) -> bool:
    """A server span, or a GenAI client span: one request each (internal spans are not)."""
    if kind == SPAN_KIND_SERVER:
        return True
    for key in attributes:
        if key.startswith("gen_ai."):
            return True
    return False


def _span_is_request(data: dict) -> bool:
    return span_is_request(data.get("kind"), data.get("attributes") or {})


class Extractor(NamedTuple):
    """How one event type shows an error and a request (what ingest checks, what reports read)."""

    failed: Callable[[dict], bool]
    error: Callable[[dict], tuple[str, str] | None]
    is_request: Callable[[dict], bool] | None = None
    request: Callable[[dict], list | None] | None = None


EXTRACTORS: dict[str, Extractor] = {
    "ai.request": Extractor(_ai_request_failed, _ai_request_error, lambda _data: True, _ai_request_record),
    "otel.span": Extractor(_span_failed, _span_error, _span_is_request, _span_record),
    "otel.log": Extractor(_log_failed, _log_error),
}
_GENERIC = Extractor(lambda _data: True, _generic_error)
_ERROR_TYPES = ("error", "exception")
_ERROR_SUFFIXES = (".error", ".exception")


def _extractor(event_type: str) -> Extractor | None:
    found = EXTRACTORS.get(event_type)
    if found is None and (event_type in _ERROR_TYPES or event_type.endswith(_ERROR_SUFFIXES)):
        return _GENERIC
    return found


def classify(event_type: str, data: dict) -> tuple[bool, bool]:
    """(is an error, is a request record): cheap checks done at ingest for the chunk's index."""
    extractor = _extractor(event_type)
    if extractor is None:
        return False, False
    is_request = extractor.is_request is not None and extractor.is_request(data)
    return extractor.failed(data), is_request


def error_of(event_type: str, data: dict) -> list | None:
    """`[fingerprint, type, masked message]` when the event is an error, else None."""
    extractor = _extractor(event_type)
    found = None if extractor is None or not extractor.failed(data) else extractor.error(data)
    if found is None:
        return None
    error_type, message = found
    digest, masked = fingerprint(error_type, message)
    return [digest, error_type[:MAX_MESSAGE_CHARS], masked]


def request_of(event_type: str, data: dict) -> list | None:
    """A request record (REQUEST_COLUMNS) when the event describes one request, else None."""
    extractor = _extractor(event_type)
    if extractor is None or extractor.request is None:
        return None
    return extractor.request(data)
