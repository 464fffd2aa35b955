"""`workers.Response` and `FetchResponse`, simulated with the SDK's signatures and checks.

As in production, `resp.js_object` is a distinct "JS" object (`JsResponse`): `Response(js_resp)`
wraps it, a Python `workers.Response` passed as a body is refused, and both wrappers share one
underlying response (reading the body through one marks it used for the other). Status and body
checks raise workerd's errors (texts checked against its binary).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import js
from pyodide.ffi import JsException, JsProxy
from pyodide.http import BodyUsedError, HttpStatusError
from pyodide.http import FetchResponse as _PyodideFetchResponse

from ._body import (
    NULL_BODY_STATUSES,
    RESPONSE_ACCEPTED_TYPES,
    TEXT_PLAIN,
    body_to_internal,
    check_status,
    has_header,
    js_name,
    normalize_headers,
    read_body,
    stream_state,
    tee_body,
    to_http_message,
)

_REDIRECT_STATUSES = (301, 302, 303, 307, 308)

__all__ = ["BodyUsedError", "FetchResponse", "HttpStatusError", "JsResponse", "Response", "as_workers_response"]


class JsResponse(JsProxy):
    """The JavaScript Response behind a `workers.Response` (its `js_object`)."""

    _js_name = "Response"
    __slots__ = ("_response",)

    def __init__(self, response: FetchResponse) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response._status

    @property
    def headers(self) -> js.Headers:
        return js.Headers(self._response._headers)

    @property
    def body(self) -> Any:
        return self._response.body

    @property
    def bodyUsed(self) -> bool:  # noqa: N802 - JS name
        return self._response.body_used


class FetchResponse(_PyodideFetchResponse):
    """The response API shared by `workers.Response` and what `workers.fetch` returns."""

    _status: int
    _status_text: str
    _headers: list[tuple[str, str]]
    _body: bytes | js.ReadableStream | None
    _url: str
    _redirected: bool
    _web_socket: Any
    _body_used: bool
    _js: JsResponse | None

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
        return self._redirected

    @property
    def type(self) -> str:
        return "default"

    @property
    def body_used(self) -> bool:
        return self._body_used or stream_state(self._body)[0]

    @property
    def headers(self):
        """A new HTTPMessage mapping on every access, as in production: read it once."""
        return to_http_message(self._headers)

    @property
    def body(self) -> js.ReadableStream | None:
        if self._body is None:
            return None
        if isinstance(self._body, bytes):
            self._body = js.ReadableStream.from_bytes(self._body)
        return self._body

    @property
    def js_object(self) -> JsResponse:
        if self._js is None:
            self._js = JsResponse(self)
        return self._js

    @property
    def js_response(self) -> JsResponse:
        return self.js_object

    async def _consume(self) -> bytes:
        if self.body_used:
            raise BodyUsedError
        self._body_used = True
        return await read_body(self._body)

    async def bytes(self) -> bytes:
        return await self._consume()

    async def text(self) -> str:
        return (await self._consume()).decode("utf-8", errors="replace")

    async def buffer(self) -> js.ArrayBuffer:
        return js.ArrayBuffer(await self._consume())

    async def memoryview(self) -> memoryview:
        return memoryview(await self._consume())

    def raise_for_status(self) -> None:
        if 400 <= self._status < 600:
            raise HttpStatusError(self._status, self._status_text, self._url)

    def clone(self) -> Response:
        if self.body_used:
            raise BodyUsedError
        copy = Response._build(self._status, self._headers, tee_body(self), self._status_text, self._url)
        copy._redirected = self._redirected
        return copy

    def replace_body(self, body: Any) -> Response:
        return Response._build(self._status, self._headers, body_to_internal(body), self._status_text)

    @staticmethod
    def redirect(url: str, status: HTTPStatus | int = HTTPStatus.FOUND) -> Response:
        code = status.value if isinstance(status, HTTPStatus) else status
        if code not in _REDIRECT_STATUSES:
            # The SDK turns JS RangeErrors into ValueError here (`_to_python_exception`).
            raise ValueError(f"{code} is not a redirect status code. It must be one of: 301, 302, 303, 307, or 308.")
        return Response._build(code, [("location", url)], None)

    @staticmethod
    def from_json(
        data: Any,
        status: HTTPStatus | int = HTTPStatus.OK,
        status_text: str = "",
        headers: Any = None,
    ) -> Response:
        pairs = normalize_headers(headers) if headers else []
        if not has_header(pairs, "content-type"):
            pairs.append(("content-type", "application/json"))
        code = (status.value if isinstance(status, HTTPStatus) else status) or 200
        try:
            check_status(code)
        except JsException as error:
            raise ValueError(error.message) from None  # from_json converts JS RangeErrors
        return Response._build(code, pairs, json.dumps(data).encode(), status_text)

    def json(self, *args: Any, **kwargs: Any):
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
        if isinstance(body, JsResponse):
            if status is not None or status_text or headers is not None:
                raise ValueError("Expected no options when constructing Response from a js.Response")
            # A second Python wrapper around the same JS object: share its state, as production does.
            self.__dict__ = body._response.__dict__
            return
        code = 200 if not status else (status.value if isinstance(status, HTTPStatus) else int(status))
        pairs = normalize_headers(headers) if headers else []
        if isinstance(body, str) and not has_header(pairs, "content-type"):
            pairs.append(("content-type", TEXT_PLAIN))  # JS's Response constructor labels string bodies
        self._init(code, pairs, body_to_internal(body), status_text, web_socket)

    def _init(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes | js.ReadableStream | None,
        status_text: str = "",
        web_socket: Any = None,
    ) -> None:
        check_status(status, web_socket)
        # workerd still allows an empty body with these statuses (with a warning).
        if status in NULL_BODY_STATUSES and body:
            raise JsException("Response with null body status (101, 204, 205, or 304) cannot have a body.", "TypeError")
        self._status = status
        self._status_text = status_text
        self._headers = headers
        self._body = body
        self._url = ""
        self._redirected = False
        self._web_socket = web_socket
        self._body_used = False
        self._js = None

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


def as_workers_response(value: Any) -> FetchResponse | None:
    """What workerd accepts back from `fetch()`: a `workers.Response` or a raw JS Response."""
    if isinstance(value, FetchResponse):
        return value
    if isinstance(value, JsResponse):
        return value._response
    return None
