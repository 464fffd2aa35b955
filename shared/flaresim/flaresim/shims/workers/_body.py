"""Header and body plumbing shared by the simulated Request and Response.

Headers are kept as the lower-cased pairs a JS `Headers` holds (checked and trimmed as workerd
does); `.headers` hands out a fresh `http.client.HTTPMessage` built the way the SDK builds it with
`python_request_headers_preserve_commas` (on since compat 2026-02-17): Set-Cookie values first, one
by one, then every other name once, in sorted order, repeated values joined with ", ".
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from typing import Any

import js
from js import _sorted_combined
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
NULL_BODY_STATUSES = frozenset({101, 204, 205, 304})
TEXT_PLAIN = "text/plain;charset=UTF-8"


class HTTPMessageMapping(http.client.HTTPMessage, Mapping):  # type: ignore[misc]
    """What `request.headers` is in production: an HTTPMessage that is also a Mapping."""


def js_name(value: Any) -> str | None:
    """The JS constructor name of a simulated JS value, or None for a Python value."""
    if isinstance(value, JsProxy):
        return value.constructor.name
    return None


def normalize_headers(headers: Any) -> list[tuple[str, str]]:
    """Headers given as a dict, a list of pairs or a js.Headers (the SDK's `_to_js_headers`).

    Anything else, an `HTTPMessage` from another response's `.headers` included, is refused as in
    production: copy it with `dict(resp.headers)` or `list(resp.headers.items())`.
    """
    if headers is None:
        return []
    if isinstance(headers, list):
        return js.Headers.new(headers)._items
    if isinstance(headers, dict):
        return js.Headers.new(headers.items())._items
    if isinstance(headers, js.Headers):
        return list(headers._items)
    raise TypeError("Received unexpected type for headers argument")


def has_header(pairs: list[tuple[str, str]], name: str) -> bool:
    return any(key == name for key, _ in pairs)


def to_http_message(pairs: list[tuple[str, str]]) -> HTTPMessageMapping:
    """The header mapping the SDK returns (see the module docstring for the order)."""
    message = HTTPMessageMapping()
    for key, value in pairs:
        if key == "set-cookie":
            message.add_header("Set-Cookie", value)
    for key, value in _sorted_combined(pairs):
        if key != "set-cookie":
            message.add_header(key, value)
    return message


def body_to_internal(body: Any, owner: str = "Response") -> bytes | js.ReadableStream | None:
    """Turn a body argument into bytes or a stream, refusing what workerd refuses.

    (A Request body of another Python type reaches JS as a proxy and is sent as text like
    "[object Map]" in production; flaresim refuses it instead, to show the bug.)
    """
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
    raise TypeError(f"Unsupported type in {owner}: {name or type(body).__name__}")


def check_status(status: int, web_socket: Any = None) -> None:
    if status == 101 and web_socket is not None:
        return
    if not 200 <= status <= 599:
        raise JsException(
            "Responses may only be constructed with status codes in the range 200 to 599, inclusive.", "RangeError"
        )


def stream_state(body: Any) -> tuple[bool, bool]:
    """(disturbed, locked) of a body that is a stream; bytes and None are neither."""
    if isinstance(body, js.ReadableStream):
        return body.disturbed, body.locked
    return False, False


async def read_body(body: bytes | js.ReadableStream | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if body.locked:
        raise JsException("This ReadableStream is currently locked to a reader.", "TypeError")
    return await body.read_all()


def tee_body(owner: Any) -> bytes | js.ReadableStream | None:
    """A second copy of `owner._body` for `clone()`; a stream is split in two (JS `tee()`)."""
    body = owner._body
    if not isinstance(body, js.ReadableStream):
        return body
    if body.locked:
        raise JsException("This ReadableStream is currently locked to a reader.", "TypeError")
    mine, theirs = body.tee()
    owner._body = mine
    return theirs
