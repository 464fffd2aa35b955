"""Any OpenAI-compatible API (OpenAI, Groq, Together, OpenRouter, Ollama, vLLM): the request goes
through as sent, with only `model` replaced; answers come back unchanged when already valid.

Streams always ask the upstream for usage (`stream_options.include_usage`) so every request can be
costed; the usage chunk is passed to the client only if it asked for it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from flarekit.llm.calls import CallContext, ChatResult, ChatStream, FinalBatch, StreamItem, StreamState, open_stream
from flarekit.llm.deployments import Deployment
from flarekit.llm.errors import malformed_error, stream_error
from flarekit.llm.openai_format import dumps
from flarekit.llm.sse import SSEEvent
from flarekit.llm.tokens import Usage, estimate_input_tokens, usage_from_openai
from flarekit.llm.transport import error_from_response, post, read_body, sse_batches

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_DONE = b"[DONE]"


def _headers(deployment: Deployment) -> dict[str, str]:
    provider = deployment.provider
    headers = {"content-type": "application/json", "accept": "application/json"}
    if provider.api_key:
        headers["authorization"] = f"Bearer {provider.api_key}"
    headers.update(provider.headers)
    return headers


def _url(deployment: Deployment, path: str) -> str:
    return (deployment.provider.base_url or DEFAULT_BASE_URL).rstrip("/") + path


def _parse_json(raw: bytes, what: str) -> dict[str, Any]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise malformed_error(f"the upstream's {what} is not JSON") from None
    if not isinstance(parsed, dict):
        raise malformed_error(f"the upstream's {what} is not a JSON object")
    return parsed


async def chat(cx: CallContext, deployment: Deployment, body: dict[str, Any], stream: bool, left: float):
    """One chat completion at an OpenAI-compatible deployment."""
    payload = dict(body)
    payload["model"] = deployment.model
    if stream:
        payload["stream"] = True
        payload["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
    url = _url(deployment, "/chat/completions")
    response = await post(url, _headers(deployment), dumps(payload), min(cx.timeouts.connect, left))
    if response.status != 200:
        raise await error_from_response(response, url, deployment.provider.name, min(cx.timeouts.first_byte, left))
    if not stream:
        raw = await read_body(response, min(cx.timeouts.first_byte, left), url)
        parsed = _parse_json(raw, "answer")
        if not isinstance(parsed.get("choices"), list):
            raise malformed_error("the upstream's answer has no choices")
        return ChatResult(parsed, raw)
    state = StreamState()
    events = sse_batches(response.body, url, min(cx.timeouts.first_byte, left), cx.timeouts.first_byte)
    return await open_stream(_chunks(events, state, cx.include_usage), state, cx.timeouts, left)


async def _chunks(
    batches: AsyncGenerator[list[SSEEvent], None], state: StreamState, client_usage: bool
) -> AsyncIterator[list[StreamItem]]:
    async for events in batches:
        items: list[StreamItem] = []
        for event in events:
            data = event.data
            if data[:6] == _DONE:
                yield FinalBatch(items)
                await batches.aclose()
                return
            if not data:
                continue
            try:
                parsed = json.loads(data)
            except ValueError:
                raise malformed_error("the upstream sent an event that is not JSON") from None
            if not isinstance(parsed, dict):
                raise malformed_error("the upstream sent an event that is not a JSON object")
            if parsed.get("error"):
                error = parsed["error"] if isinstance(parsed["error"], dict) else {"message": str(parsed["error"])}
                message = f"upstream: {error.get('message') or 'stream error'}"
                raise stream_error(message, str(error.get("type") or "api_error"))
            choices = parsed.get("choices")
            if not isinstance(choices, list):
                raise malformed_error("the upstream sent a chunk without choices")
            if parsed.get("usage"):
                state.usage = usage_from_openai(parsed["usage"])
                if not choices and not client_usage:
                    continue  # we asked for usage; the client did not
            items.append(StreamItem(parsed, data))
        if items:
            yield items
    # EOF without [DONE]: a clean end for the SDK, so it is one here too.


async def embeddings(cx: CallContext, deployment: Deployment, body: dict[str, Any], left: float):
    """Embeddings at an OpenAI-compatible deployment; returns (OpenAI response body, usage)."""
    payload = dict(body)
    payload["model"] = deployment.model
    url = _url(deployment, "/embeddings")
    response = await post(url, _headers(deployment), dumps(payload), min(cx.timeouts.connect, left))
    if response.status != 200:
        raise await error_from_response(response, url, deployment.provider.name, min(cx.timeouts.first_byte, left))
    parsed = _parse_json(await read_body(response, min(cx.timeouts.first_byte, left), url), "embeddings")
    if not isinstance(parsed.get("data"), list):
        raise malformed_error("the upstream's embeddings have no data")
    usage = usage_from_openai(parsed.get("usage")) or Usage(estimate_input_tokens(body.get("input")), estimated=True)
    return parsed, usage


__all__ = ["ChatStream", "chat", "embeddings"]
