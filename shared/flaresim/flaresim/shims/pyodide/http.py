"""The subset of `pyodide.http` (Pyodide 0.28) that Workers code meets: its errors and `pyfetch`.

`workers.FetchResponse` subclasses `FetchResponse` here, as the SDK's subclasses Pyodide's, so
`isinstance` checks and `except BodyUsedError` behave as in production.
"""

from __future__ import annotations

from typing import Any

from pyodide.ffi import JsException


class HttpStatusError(OSError):
    """Raised by `raise_for_status()` for a 4xx or 5xx status."""

    def __init__(self, status: int, status_text: str, url: str) -> None:
        self.status = status
        self.status_text = status_text
        self.url = url
        if 400 <= status < 500:
            super().__init__(f"{status} Client Error: {status_text} for url: {url}")
        elif 500 <= status < 600:
            super().__init__(f"{status} Server Error: {status_text} for url: {url}")
        else:
            super().__init__(f"{status} Invalid error code not between 400 and 599: {status_text} for url: {url}")


class BodyUsedError(OSError):
    """A response body read a second time."""

    def __init__(self, *_args: Any) -> None:
        super().__init__("Response body is already used")


class AbortError(OSError):
    """A fetch that failed or was aborted (`pyfetch` turns a JS fetch error into this)."""

    def __init__(self, reason: Any) -> None:
        super().__init__(reason.message if isinstance(reason, JsException) else str(reason))


class FetchResponse:
    """Base class of `workers.FetchResponse` (the body-reading API lives there)."""


async def pyfetch(url: str, /, **kwargs: Any) -> Any:
    """Fetch `url`; returns a `workers.Response` (a `FetchResponse`)."""
    from workers import fetch

    return await fetch(url, **kwargs)


__all__ = ["AbortError", "BodyUsedError", "FetchResponse", "HttpStatusError", "pyfetch"]
