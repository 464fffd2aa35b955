"""HTTP to providers through `workers.fetch`, with the gateway's timeouts and error classification.

`workers.fetch` resolves once response headers arrive, so the "connect" timeout bounds that wait.
A failed fetch raises OSError; a body stream that breaks mid-way raises a JsException: both become
a retryable `connection` ProviderError here. Each request carries the current span's W3C
`traceparent` (the attempt's GenAI span), so a provider that traces sees the same trace.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import urlsplit

from pyodide.ffi import JsException

from flarekit.llm.errors import (
    ProviderError,
    connection_error,
    malformed_error,
    parse_retry_after,
    status_error,
    timeout_error,
)
from flarekit.llm.sse import SSEError, SSEEvent, SSEParser
from flarekit.tracing.propagation import inject_current


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


async def post(url: str, headers: dict[str, str], body: bytes, timeout: float) -> Any:
    """POST and wait (at most `timeout` seconds) for the response headers (`headers` gains `traceparent`)."""
    from workers import fetch

    inject_current(headers)
    try:
        async with asyncio.timeout(timeout):
            return await fetch(url, method="POST", headers=headers, body=body)
    except TimeoutError:
        raise timeout_error(f"no response from {_host(url)} within {timeout:g}s") from None
    except (OSError, JsException) as error:
        raise connection_error(f"cannot reach {_host(url)}: {error}") from None


async def read_body(response: Any, timeout: float, url: str) -> bytes:
    """The whole response body, within `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            return await response.bytes()
    except TimeoutError:
        raise timeout_error(f"the response body from {_host(url)} did not complete within {timeout:g}s") from None
    except (OSError, JsException) as error:
        raise connection_error(f"the connection to {_host(url)} broke: {error}") from None


def _header_map(response: Any) -> dict[str, str]:
    headers = response.headers
    return {k.lower(): v for k, v in headers.items()}


async def error_from_response(response: Any, url: str, provider: str, timeout: float) -> ProviderError:
    """A ProviderError for an error status, with the provider's message, type, code and Retry-After."""
    headers = _header_map(response)
    try:
        text = (await read_body(response, timeout, url)).decode("utf-8", "replace")
    except ProviderError:
        text = ""
    message, error_type, code, param = f"{provider} answered {response.status}", None, None, None
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
        detail = parsed["error"]
        message = f"{provider}: {detail.get('message') or detail.get('type') or message}"
        error_type = detail.get("type") if isinstance(detail.get("type"), str) else None
        code = str(detail["code"]) if detail.get("code") is not None else None
        param = detail.get("param") if isinstance(detail.get("param"), str) else None
    elif text:
        message = f"{provider} answered {response.status}: {text[:200]}"
    error = status_error(
        response.status,
        message,
        retry_after=parse_retry_after(headers),
        error_type=error_type,
        code=code,
        param=param,
    )
    should_retry = headers.get("x-should-retry")
    if should_retry in ("true", "false"):
        error.retryable = should_retry == "true"
    return error


async def sse_batches(
    body: Any, url: str, first_timeout: float, idle_timeout: float
) -> AsyncGenerator[list[SSEEvent], None]:
    """The events of a streamed response body, as one list per network read, with a timeout on each read.

    Batches keep the per-event cost down when an upstream sends several events at once: the
    gateway forwards a batch as one write.
    """
    parser = SSEParser()
    chunks = body.__aiter__()
    timeout = first_timeout
    try:
        while True:
            try:
                async with asyncio.timeout(timeout):
                    chunk = await chunks.__anext__()
            except StopAsyncIteration:
                break
            except TimeoutError:
                raise timeout_error(f"{_host(url)} sent nothing for {timeout:g}s") from None
            except (OSError, JsException) as error:
                raise connection_error(f"the stream from {_host(url)} broke: {error}") from None
            timeout = idle_timeout
            try:
                events = parser.feed(chunk.to_bytes())
            except SSEError as error:
                raise malformed_error(str(error)) from None
            if events:
                yield events
        events = parser.close()
        if events:
            yield events
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
