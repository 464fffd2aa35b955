"""Spans by the OpenTelemetry semantic conventions: HTTP server and client spans, the GenAI client span.

HTTP (stable conventions): name `{method} {http.route}` (just `{method}` without a route), kind
SERVER; a 5xx sets status ERROR and `error.type` to the status code, a 4xx leaves status unset.
GenAI (development status, v1.37+ names: `gen_ai.provider.name`, not `gen_ai.system`): name
`{gen_ai.operation.name} {gen_ai.request.model}`, kind CLIENT; prompt and completion text only when
capture is on (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT), as the conventions require.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY"})


def http_server_attributes(method: str, url: str, user_agent: str | None = None) -> dict[str, Any]:
    """The attributes of a server span known when the request arrives."""
    parts = urlsplit(url)
    known = method.upper() if method.upper() in KNOWN_METHODS else "_OTHER"
    attributes: dict[str, Any] = {
        "http.request.method": known,
        "url.path": parts.path or "/",
        "url.scheme": parts.scheme or "https",
    }
    if known == "_OTHER":
        attributes["http.request.method_original"] = method
    if parts.query:
        attributes["url.query"] = parts.query
    if parts.hostname:
        attributes["server.address"] = parts.hostname
    if parts.port:
        attributes["server.port"] = parts.port
    if user_agent:
        attributes["user_agent.original"] = user_agent
    return attributes


def start_http_server_span(
    tracer: Tracer, method: str, url: str, parent: Context | None, user_agent: str | None = None
) -> Span:
    """Start the SERVER span of one request (child of the caller's `traceparent` when there is one)."""
    attributes = http_server_attributes(method, url, user_agent)
    return tracer.start_span(attributes["http.request.method"], parent, SpanKind.SERVER, attributes)


def end_http_server_span(
    span: Span, status: int, route: str | None = None, error_type: str | None = None, end_time: int | None = None
) -> None:
    """Set what the response tells (status, route, error) and end the span."""
    if span.is_recording():
        span.set_attribute("http.response.status_code", status)
        if route:
            span.set_attribute("http.route", route)
            method = span.attributes.get("http.request.method", "")  # type: ignore[attr-defined]
            span.update_name(f"{method} {route}" if method != "_OTHER" else f"HTTP {route}")
        if error_type or status >= 500:
            span.set_attribute("error.type", error_type or str(status))
        if status >= 500:
            span.set_status(StatusCode.ERROR)
    span.end(end_time)


def start_http_client_span(tracer: Tracer, method: str, url: str, template: str | None = None) -> Span:
    """Start the CLIENT span of an outgoing HTTP call (name `{method} {url.template}`, or `{method}`)."""
    parts = urlsplit(url)
    known = method.upper() if method.upper() in KNOWN_METHODS else "_OTHER"
    attributes: dict[str, Any] = {"http.request.method": known, "url.full": url.split("?", 1)[0]}
    if parts.hostname:
        attributes["server.address"] = parts.hostname
    if parts.port:
        attributes["server.port"] = parts.port
    if template:
        attributes["url.template"] = template
    name = f"{known if known != '_OTHER' else 'HTTP'} {template}" if template else known
    return tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)


def end_http_client_span(span: Span, status: int | None = None, error_type: str | None = None) -> None:
    """Record the answer's status (or why there was none) and end the span; a 4xx or 5xx is an error."""
    if span.is_recording():
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        if error_type or (status is not None and status >= 400):
            span.set_attribute("error.type", error_type or str(status))
            span.set_status(StatusCode.ERROR)
    span.end()


def start_genai_span(
    tracer: Tracer,
    *,
    operation: str,
    provider: str,
    request_model: str,
    server_address: str | None = None,
    stream: bool = False,
    max_tokens: int | None = None,
    temperature: float | None = None,
    input_messages: Sequence[Any] | None = None,
    capture_content: bool = False,
) -> Span:
    """Start the CLIENT span of one logical model call (retries included)."""
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": request_model,
    }
    if stream:
        attributes["gen_ai.request.stream"] = True
    if server_address:
        attributes["server.address"] = server_address
    if max_tokens is not None:
        attributes["gen_ai.request.max_tokens"] = max_tokens
    if temperature is not None:
        attributes["gen_ai.request.temperature"] = float(temperature)
    if capture_content and input_messages is not None:
        attributes["gen_ai.input.messages"] = json.dumps(list(input_messages), separators=(",", ":"))
    return tracer.start_span(f"{operation} {request_model}", kind=SpanKind.CLIENT, attributes=attributes)


def end_genai_span(
    span: Span,
    *,
    response_model: str | None = None,
    response_id: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    finish_reasons: Sequence[str] | None = None,
    time_to_first_chunk_s: float | None = None,
    error_type: str | None = None,
    output_messages: Sequence[Any] | None = None,
    capture_content: bool = False,
    error_message: str | None = None,
) -> None:
    """Record what the model answered (usage, finish reasons, first-chunk time) and end the span.

    A failure sets `error.type` and status ERROR, described by `error_message` when given.
    """
    if span.is_recording():
        values: dict[str, Any] = {
            "gen_ai.response.model": response_model,
            "gen_ai.response.id": response_id,
            "gen_ai.usage.input_tokens": input_tokens,
            "gen_ai.usage.output_tokens": output_tokens,
            "gen_ai.response.time_to_first_chunk": time_to_first_chunk_s,
        }
        span.set_attributes({k: v for k, v in values.items() if v is not None})
        if finish_reasons:
            span.set_attribute("gen_ai.response.finish_reasons", list(finish_reasons))
        if capture_content and output_messages is not None:
            span.set_attribute("gen_ai.output.messages", json.dumps(list(output_messages), separators=(",", ":")))
        if error_type:
            span.set_attribute("error.type", error_type)
            span.set_status(StatusCode.ERROR, error_message[:300] if error_message else None)
    span.end()
