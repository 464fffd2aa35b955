"""`workers.Request`, simulated: the same properties and methods as the SDK's wrapper.

Construction follows workerd's `new Request(...)` (checked against its binary): the method is
upper-cased, a GET or HEAD request may not have a body, a string body gets
`content-type: text/plain;charset=UTF-8` unless one is given, and a URL without a scheme is refused
("Invalid URL: ..."). These raise `JsException`, as the SDK does not translate them.
"""

from __future__ import annotations

import json
from http import HTTPMethod
from typing import Any
from urllib.parse import urlsplit

import js
from pyodide.ffi import JsException, jsnull

from ._body import (
    TEXT_PLAIN,
    body_to_internal,
    has_header,
    normalize_headers,
    read_body,
    stream_state,
    tee_body,
    to_http_message,
)

_REDIRECT_MODES = ("follow", "manual", "error")


class Request:
    """An incoming or outgoing HTTP request (mirrors the SDK's `workers.Request`)."""

    _url: str
    _method: str
    _redirect: str
    _headers: list[tuple[str, str]]
    _body: bytes | js.ReadableStream | None
    _cf: Any

    def __init__(self, input: Any, **options: Any) -> None:  # noqa: A002 - SDK's name
        if isinstance(input, Request):
            url, method, redirect = input._url, input._method, input._redirect
            headers = list(input._headers)
            body: bytes | js.ReadableStream | None = input._body
            cf = input._cf
        else:
            url, method, redirect, headers, body, cf = str(input), "GET", "follow", [], None, None
        if "method" in options:
            value = options["method"]
            method = (value.value if isinstance(value, HTTPMethod) else str(value)).upper()
        if "headers" in options:
            headers = normalize_headers(options["headers"])
        if options.get("body") is not None:
            given = options["body"]
            body = body_to_internal(given, "Request")
            if isinstance(given, str) and not has_header(headers, "content-type"):
                headers.append(("content-type", TEXT_PLAIN))  # as JS labels a string body
        if "redirect" in options:
            redirect = str(options["redirect"])
            if redirect not in _REDIRECT_MODES:
                raise JsException(f"Invalid redirect value, must be one of {_REDIRECT_MODES}.", "TypeError")
        if "cf" in options:
            cf = options["cf"]
        if body is not None and method in ("GET", "HEAD"):
            raise JsException("Request with a GET or HEAD method cannot have a body.", "TypeError")
        if not urlsplit(url).scheme:
            raise JsException(f"Invalid URL: {url}", "TypeError")
        self._url = url
        self._method = method
        self._headers = headers
        self._body = body
        self._cf = cf
        self._redirect = redirect
        self._body_used = False

    def __repr__(self) -> str:
        return f"Request(method={self._method!r}, url={self._url!r})"

    @property
    def js_object(self) -> Request:
        return self

    @property
    def url(self) -> str:
        return self._url

    @property
    def method(self) -> HTTPMethod:
        return HTTPMethod[self._method]

    @property
    def headers(self):
        """A new HTTPMessage mapping on every access, as in production: read it once per request."""
        return to_http_message(self._headers)

    @property
    def body(self) -> Any:
        # Production hands back the raw JS body: a ReadableStream, or JS null (not None).
        if self._body is None:
            return jsnull
        if isinstance(self._body, bytes):
            self._body = js.ReadableStream.from_bytes(self._body)
        return self._body

    @property
    def body_used(self) -> bool:
        return self._body_used or stream_state(self._body)[0]

    @property
    def cf(self) -> Any:
        return self._cf

    @property
    def redirect(self) -> str:
        return self._redirect

    async def _consume(self) -> bytes:
        if self.body_used:
            raise OSError("Body already used")  # the SDK's own check, a plain OSError
        self._body_used = True
        return await read_body(self._body)

    async def bytes(self) -> bytes:
        return await self._consume()

    async def text(self) -> str:
        return (await self._consume()).decode("utf-8", errors="replace")

    async def json(self, **kwargs: Any) -> Any:
        return json.loads(await self.text(), **kwargs)

    async def buffer(self) -> js.ArrayBuffer:
        return js.ArrayBuffer(await self._consume())

    def clone(self) -> Request:
        if self.body_used:
            raise OSError("Body already used")
        copy = Request(self)
        copy._body = tee_body(self)
        return copy
