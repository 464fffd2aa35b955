"""`workers.Response` and `FetchResponse`, simulated with the SDK's signatures and checks."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import js
from pyodide.ffi import JsException

from ._body import (
    RESPONSE_ACCEPTED_TYPES,
    BodyUsedError,
    body_to_internal,
    check_status,
    js_name,
    normalize_headers,
    to_http_message,
)

_NULL_BODY_STATUSES = {101, 204, 205, 304}


class HttpStatusError(OSError):
    """Raised by `raise_for_status()` (Pyodide's `HttpStatusError`)."""

    def __init__(self, status: int, status_text: str, url: str) -> None:
        kind = "Client" if status < 500 else "Server"
        super().__init__(f"{status} {kind} Error: {status_text} for url: {url}")
        self.status = status


class FetchResponse:
    """The response API shared by `workers.Response` and what `workers.fetch` returns."""

    _status: int
    _status_text: str
    _headers: list[tuple[str, str]]
    _body: bytes | js.ReadableStream | None
    _url: str
    _web_socket: Any
    _body_used: bool

    @property
    def status(self) -> int:
        return self._status

    @property
    def ok(self) -> bool:
        return 200 <= self._status <= 299

    @property
    def status_text(self) -> str:
        return self._status_text

    @property
    def url(self) -> str:
        return self._url

    @property
    def redirected(self) -> bool:
        return False

    @property
    def type(self) -> str:
        return "default"

    @property
    def body_used(self) -> bool:
        return self._body_used

    @property
    def headers(self):
        return to_http_message(self._headers)

    @property
    def body(self) -> js.ReadableStream | None:
        if self._body is None:
            return None
        if isinstance(self._body, bytes):
            self._body = js.ReadableStream.from_bytes(self._body)
        return self._body

    @property
    def js_object(self) -> FetchResponse:
        return self

    @property
    def js_response(self) -> FetchResponse:
        return self

    async def _consume(self) -> bytes:
        if self._body_used:
            raise BodyUsedError("Response body is already used")
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

    async def buffer(self) -> js.ArrayBuffer:
        return js.ArrayBuffer(await self._consume())

    async def memoryview(self) -> memoryview:
        return memoryview(await self._consume())

    def raise_for_status(self) -> None:
        if self._status >= 400:
            raise HttpStatusError(self._status, self._status_text, self._url)

    def clone(self) -> Response:
        if self._body_used:
            raise BodyUsedError("Response body is already used")
        if isinstance(self._body, js.ReadableStream):
            raise NotImplementedError("flaresim cannot clone a streamed response body")
        return Response._build(self._status, self._headers, self._body, self._status_text)

    def replace_body(self, body: Any) -> Response:
        return Response._build(self._status, self._headers, body_to_internal(body), self._status_text)

    @staticmethod
    def redirect(url: str, status: HTTPStatus | int = HTTPStatus.FOUND) -> Response:
        code = status.value if isinstance(status, HTTPStatus) else status
        if code not in (301, 302, 303, 307, 308):
            raise JsException(f"Invalid status code {code}", "RangeError")
        return Response._build(code, [("location", url)], None)

    @staticmethod
    def from_json(
        data: Any,
        status: HTTPStatus | int = HTTPStatus.OK,
        status_text: str = "",
        headers: Any = None,
    ) -> Response:
        pairs = normalize_headers(headers) if headers else []
        if not any(k == "content-type" for k, _ in pairs):
            pairs.append(("content-type", "application/json"))
        code = status.value if isinstance(status, HTTPStatus) else status
        return Response._build(code, pairs, json.dumps(data).encode(), status_text)

    def json(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        # As in the SDK: on an instance this reads the body; called on the class with data it builds one.
        if isinstance(self, FetchResponse):
            return self._read_json(**kwargs)
        return Response.from_json(self, *args, **kwargs)

    async def _read_json(self, **kwargs: Any) -> Any:
        return json.loads(await self.text(), **kwargs)


class Response(FetchResponse):
    """An HTTP response (mirrors the SDK's `workers.Response`)."""

    def __init__(
        self,
        body: Any = None,
        status: HTTPStatus | int | None = None,
        status_text: str = "",
        headers: Any = None,
        web_socket: Any = None,
    ) -> None:
        name = js_name(body)
        if name:
            if name not in RESPONSE_ACCEPTED_TYPES:
                raise TypeError(f"Unsupported type in Response: {name}")
        elif body is not None and not isinstance(body, (str, bytes)):
            raise TypeError(f"Unsupported type in Response: {type(body).__name__}")
        if isinstance(body, FetchResponse):
            if status is not None or status_text or headers is not None:
                raise ValueError("Expected no options when constructing Response from a js.Response")
            self._init(body._status, body._headers, body._body, body._status_text, body._web_socket)
            return
        code = 200 if not status else (status.value if isinstance(status, HTTPStatus) else int(status))
        pairs = normalize_headers(headers) if headers else []
        if isinstance(body, str) and not any(k == "content-type" for k, _ in pairs):
            # JS's Response constructor labels string bodies this way.
            pairs.append(("content-type", "text/plain;charset=UTF-8"))
        self._init(code, pairs, body_to_internal(body), status_text, web_socket)

    def _init(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes | js.ReadableStream | None,
        status_text: str = "",
        web_socket: Any = None,
    ) -> None:
        check_status(status)
        if status in _NULL_BODY_STATUSES and body:
            raise JsException("Response with null body status cannot have body", "TypeError")
        if status == 101 and web_socket is None:
            raise JsException("Responses with status 101 must have a webSocket", "RangeError")
        self._status = status
        self._status_text = status_text
        self._headers = headers
        self._body = body
        self._url = ""
        self._web_socket = web_socket
        self._body_used = False

    @classmethod
    def _build(
        cls,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes | js.ReadableStream | None,
        status_text: str = "",
        url: str = "",
    ) -> Response:
        response = cls.__new__(cls)
        response._init(status, headers, body, status_text)
        response._url = url
        return response

    @property
    def web_socket(self) -> Any:
        return self._web_socket

    def __repr__(self) -> str:
        return f"Response(status={self._status})"
