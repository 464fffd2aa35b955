"""`workers.Request`, simulated: the same properties and methods as the SDK's wrapper."""

from __future__ import annotations

import json
from http import HTTPMethod
from typing import Any
from urllib.parse import urlsplit

import js
from pyodide.ffi import jsnull

from ._body import (
    BodyUsedError,
    body_to_internal,
    normalize_headers,
    to_http_message,
)


class Request:
    """An incoming or outgoing HTTP request (mirrors the SDK's `workers.Request`)."""

    def __init__(self, input: Any, **options: Any) -> None:  # noqa: A002 - SDK's name
        if isinstance(input, Request):
            base = input
            url = base._url
            method = base._method
            headers = list(base._headers)
            body: bytes | js.ReadableStream | None = base._body
            cf = base._cf
        else:
            url, method, headers, body, cf = str(input), "GET", [], None, None
        if "method" in options:
            value = options["method"]
            method = (value.value if isinstance(value, HTTPMethod) else str(value)).upper()
        if "headers" in options:
            headers = normalize_headers(options["headers"])
        if "body" in options:
            body = body_to_internal(options["body"])
        if "cf" in options:
            cf = options["cf"]
        if body is not None and method in ("GET", "HEAD"):
            raise TypeError("Request with a GET or HEAD method cannot have a body.")
        if not urlsplit(url).scheme:
            raise TypeError(f"Failed to parse URL from {url}")
        self._url = url
        self._method = method
        self._headers = headers
        self._body = body
        self._cf = cf
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
        return self._body_used

    @property
    def cf(self) -> Any:
        return self._cf

    @property
    def redirect(self) -> str:
        return "follow"

    async def _consume(self) -> bytes:
        if self._body_used:
            raise BodyUsedError("Body already used")
        self._body_used = True
        body = self._body
        if body is None:
            return b""
        if isinstance(body, bytes):
            return body
        return await body.read_all()

    async def bytes(self) -> bytes:
        return await self._consume()

    async def text(self) -> str:
        return (await self._consume()).decode("utf-8", errors="replace")

    async def json(self, **kwargs: Any) -> Any:
        return json.loads(await self.text(), **kwargs)

    async def buffer(self) -> js.ArrayBuffer:
        return js.ArrayBuffer(await self._consume())

    def clone(self) -> Request:
        if self._body_used:
            raise BodyUsedError("Body already used")
        if isinstance(self._body, js.ReadableStream):
            raise NotImplementedError("flaresim cannot clone a streamed request body")
        return Request(self)
