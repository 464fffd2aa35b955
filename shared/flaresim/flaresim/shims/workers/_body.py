"""Header and body plumbing shared by the simulated Request and Response."""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from typing import Any

import js
from pyodide.ffi import JsException, JsProxy

# JS types workerd accepts as a Response body (the SDK's RESPONSE_ACCEPTED_TYPES).
RESPONSE_ACCEPTED_TYPES = {
    "Blob",
    "ArrayBuffer",
    "TypedArray",
    "DataView",
    "Uint8Array",
    "Uint8ClampedArray",
    "Int8Array",
    "Uint16Array",
    "Int16Array",
    "Uint32Array",
    "Int32Array",
    "Float16Array",
    "Float32Array",
    "Float64Array",
    "BigInt64Array",
    "BigUint64Array",
    "FormData",
    "ReadableStream",
    "URLSearchParams",
    "Response",
}


class HTTPMessageMapping(http.client.HTTPMessage, Mapping):
    """What `request.headers` is in production: an HTTPMessage that is also a Mapping."""


class BodyUsedError(OSError):
    """Raised when a body is read twice (Pyodide's `BodyUsedError`)."""


def js_name(value: Any) -> str | None:
    """The JS constructor name of a simulated JS value, or None for a Python value."""
    if isinstance(value, JsProxy):
        return value.constructor.name
    return None


def normalize_headers(headers: Any) -> list[tuple[str, str]]:
    """Headers given as a dict, a list of pairs or a js.Headers, as lower-cased pairs."""
    if headers is None:
        return []
    if isinstance(headers, dict):
        return [(str(k).lower(), str(v)) for k, v in headers.items()]
    if isinstance(headers, list):
        return [(str(k).lower(), str(v)) for k, v in headers]
    if isinstance(headers, js.Headers):
        return list(headers)
    if isinstance(headers, http.client.HTTPMessage):
        return [(k.lower(), v) for k, v in headers.items()]
    raise TypeError("Received unexpected type for headers argument")


def to_http_message(pairs: list[tuple[str, str]]) -> HTTPMessageMapping:
    """Build the header mapping the SDK returns (repeated names kept apart, values stripped)."""
    message = HTTPMessageMapping()
    for key, value in pairs:
        message.add_header(key, value.strip())
    return message


def body_to_internal(body: Any) -> bytes | js.ReadableStream | None:
    """Turn a body argument into bytes or a stream, refusing what workerd refuses."""
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, bytes):
        return body
    if isinstance(body, js.ReadableStream):
        return body
    if isinstance(body, js.Uint8Array):
        return body.to_bytes()
    name = js_name(body)
    if name == "FormData":
        raise TypeError("FormData bodies are not simulated by flaresim")
    raise TypeError(f"Unsupported type in Response: {name or type(body).__name__}")


def check_status(status: int) -> None:
    if not (200 <= status <= 599 or status == 101):
        raise JsException(
            f"Failed to construct 'Response': The status provided ({status}) is outside the range [200, 599].",
            "RangeError",
        )
