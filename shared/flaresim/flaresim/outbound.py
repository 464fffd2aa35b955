"""Outbound `fetch`: real HTTP from the Worker, with hooks that tests use.

- `route(host, target)` sends requests for a host (say `api.openai.com`) to a local server
  (`http://127.0.0.1:9999`), so a Worker's configured URLs need not change in tests.
- `recorded` keeps the last requests made (bounded), so a test can assert what was sent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import js
from pyodide.ffi import JsException

# Headers aiohttp computes itself; forwarding the Worker's copy would duplicate them.
_HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection"}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


class Outbound:
    """The network as a Worker sees it."""

    def __init__(self, *, record: int = 0) -> None:
        self._routes: dict[str, str] = {}
        self._session: aiohttp.ClientSession | None = None
        self.recorded: deque[RecordedRequest] = deque(maxlen=record or None)
        self._record = record > 0

    def route(self, host: str, target: str) -> None:
        """Send requests for `host` (optionally `host:port`) to `target` (`http://127.0.0.1:9999`)."""
        self._routes[host.lower()] = target.rstrip("/")

    def _rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        target = self._routes.get(parts.netloc.lower()) or self._routes.get((parts.hostname or "").lower())
        if target is None:
            return url
        base = urlsplit(target)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
                auto_decompress=True,
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    async def fetch(self, request: Any) -> Any:
        """Perform a `workers.Request` over HTTP and return a streaming `workers.Response`."""
        from pyodide.http import AbortError
        from workers import Response

        body = request._body
        if isinstance(body, js.ReadableStream):
            body = await body.read_all()
        url = self._rewrite(request.url)
        headers = [(k, v) for k, v in request._headers if k not in _HOP_BY_HOP]
        if self._record:
            self.recorded.append(RecordedRequest(request._method, request.url, dict(request._headers), body or b""))
        try:
            upstream = await self._client().request(
                request._method, url, headers=headers, data=body, allow_redirects=request.redirect != "manual"
            )
        except (aiohttp.ClientError, OSError) as error:
            # pyodide.http.pyfetch turns a failed JS fetch into AbortError, an OSError.
            raise AbortError(f"Network connection lost. ({type(error).__name__}: {error})") from None
        if request.redirect == "error" and upstream.history:
            upstream.release()
            raise AbortError("Fetch failed: the response redirected and redirect mode is 'error'.")
        pairs = _response_headers(upstream)
        if request._method == "HEAD" or upstream.status in (204, 304):
            upstream.release()
            response = Response._build(upstream.status, pairs, None, upstream.reason or "", request.url)
        else:
            stream = js.ReadableStream(_stream(upstream))
            response = Response._build(upstream.status, pairs, stream, upstream.reason or "", request.url)
        response._redirected = bool(upstream.history)
        return response

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _response_headers(upstream: aiohttp.ClientResponse) -> list[tuple[str, str]]:
    """The upstream's headers as a Worker sees them: aiohttp has already decoded a compressed body,
    so its Content-Encoding and Content-Length no longer describe what the Worker reads."""
    decoded = "content-encoding" in upstream.headers
    return [
        (k.lower(), v)
        for k, v in upstream.headers.items()
        if k.lower() != "content-encoding" and not (decoded and k.lower() == "content-length")
    ]


async def _stream(upstream: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    try:
        async for data in upstream.content.iter_any():
            yield data
    except (aiohttp.ClientError, OSError) as error:
        # Reading a JS body stream that breaks rejects with a JS error, not an OSError.
        raise JsException(f"Network connection lost. ({error})") from None
    finally:
        upstream.release()
