"""The bot's side of the AI proxy: chat completions (streamed) and the model list, over the `PROXY` binding.

The bot speaks the OpenAI wire format to the proxy with its own key, so the proxy's limits, budgets
and telemetry apply to it. Each call is an HTTP client span of the update's trace and carries its
W3C `traceparent`, so one trace follows a Telegram message through the proxy to the provider
(outside a trace, the `traceparent` passed in is sent instead).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from pyodide.ffi import JsException

from flarekit.llm.sse import SSEParser
from flarekit.tracing.current import tracer
from flarekit.tracing.propagation import inject_current
from flarekit.tracing.semconv import end_http_client_span, start_http_client_span

# The service binding routes by binding, not host; the host only names the target in logs.
PROXY_ORIGIN = "https://ai-proxy"

OnText = Callable[[str], Awaitable[None]]


class ProxyError(Exception):
    """The proxy did not answer: `kind` is "timeout", "unavailable", "rate_limited" or "rejected"."""

    def __init__(self, kind: str, message: str, status: int = 0, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Answer:
    text: str
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str | None
    cost_usd: float | None


def new_traceparent() -> str:
    """A W3C traceparent for a fresh, sampled trace (drawn per update, never at import time)."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def _headers(key: str, traceparent: str | None, fresh: bool = False) -> dict[str, str]:
    headers = {
        "authorization": f"Bearer {key}",
        "content-type": "application/json",
        "user-agent": "flarekit-telegram-bot",
    }
    inject_current(headers)  # the call's client span, when the update is traced
    if traceparent and "traceparent" not in headers:
        headers["traceparent"] = traceparent
    if fresh:
        # The proxy caches identical requests; a regenerated answer must not be the cached one.
        headers["cache-control"] = "no-cache"
    return headers


async def _error_from(response: Any) -> ProxyError:
    try:
        body = json.loads(await response.text())
        message = str(body["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = f"HTTP {response.status}"
    retry = response.headers.get("retry-after")
    retry_after = float(retry) if retry and retry.replace(".", "", 1).isdigit() else None
    if response.status == 429:
        return ProxyError("rate_limited", message, 429, retry_after)
    if response.status >= 500:
        return ProxyError("unavailable", message, response.status, retry_after)
    return ProxyError("rejected", message, response.status)


async def _read_stream(response: Any, on_text: OnText | None) -> Answer:
    parser = SSEParser()
    parts: list[str] = []
    model = ""
    usage: dict[str, Any] = {}
    finish: str | None = None
    async for chunk in response.body:
        events = parser.feed(chunk.to_bytes())
        grew = False
        for event in events:
            if event.data == b"[DONE]":
                continue
            data = json.loads(event.data)
            if "error" in data:
                raise ProxyError("unavailable", str((data["error"] or {}).get("message") or "stream error"))
            model = data.get("model") or model
            usage = data.get("usage") or usage
            for choice in data.get("choices") or ():
                delta = choice.get("delta") or {}
                if delta.get("content"):
                    parts.append(delta["content"])
                    grew = True
                finish = choice.get("finish_reason") or finish
        if grew and on_text is not None:
            await on_text("".join(parts))
    cost = response.headers.get("x-flarekit-cost-usd")
    return Answer(
        "".join(parts),
        model,
        usage.get("prompt_tokens"),
        usage.get("completion_tokens"),
        finish,
        float(cost) if cost else None,
    )


async def complete(
    proxy: Any,
    key: str,
    request: dict[str, Any],
    *,
    timeout: float,
    traceparent: str | None = None,
    on_text: OnText | None = None,
    fresh: bool = False,
) -> Answer:
    """Ask the proxy for a chat completion, streamed; `on_text` sees the whole text so far as it grows.

    `fresh` asks the proxy not to answer from its cache (for /retry).
    """
    body = {**request, "stream": True, "stream_options": {"include_usage": True}}
    url = f"{PROXY_ORIGIN}/v1/chat/completions"
    span = start_http_client_span(tracer(), "POST", url, "/v1/chat/completions")
    status: int | None = None
    try:
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            async with asyncio.timeout(timeout):
                response = await proxy.fetch(
                    url,
                    method="POST",
                    headers=_headers(key, traceparent, fresh),
                    body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
                )
                status = response.status
                if status != 200:
                    raise await _error_from(response)
                answer = await _read_stream(response, on_text)
    except TimeoutError:
        end_http_client_span(span, status, "timeout")
        raise ProxyError("timeout", f"no complete answer within {timeout:g} s") from None
    except (OSError, JsException, ValueError) as error:
        end_http_client_span(span, status, type(error).__name__)
        raise ProxyError("unavailable", f"{type(error).__name__}: {error}") from None
    except ProxyError as error:
        end_http_client_span(span, status, error.kind)
        raise
    end_http_client_span(span, status)
    return answer


async def list_models(proxy: Any, key: str, *, timeout: float = 10.0, traceparent: str | None = None) -> list[str]:
    """The model ids the proxy offers this key (`GET /v1/models`)."""
    url = f"{PROXY_ORIGIN}/v1/models"
    span = start_http_client_span(tracer(), "GET", url, "/v1/models")
    status: int | None = None
    try:
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            async with asyncio.timeout(timeout):
                response = await proxy.fetch(url, method="GET", headers=_headers(key, traceparent))
                status = response.status
                if status != 200:
                    raise await _error_from(response)
                data = json.loads(await response.text())
    except TimeoutError:
        end_http_client_span(span, status, "timeout")
        raise ProxyError("timeout", "the model list did not arrive in time") from None
    except (OSError, JsException, ValueError) as error:
        end_http_client_span(span, status, type(error).__name__)
        raise ProxyError("unavailable", f"{type(error).__name__}: {error}") from None
    except ProxyError as error:
        end_http_client_span(span, status, error.kind)
        raise
    end_http_client_span(span, status)
    return [str(m["id"]) for m in data.get("data") or () if isinstance(m, dict) and m.get("id")]
