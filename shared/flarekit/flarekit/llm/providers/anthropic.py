"""Anthropic's Messages API behind the OpenAI interface (translation in `anthropic_format`)."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from flarekit.llm.anthropic_format import API_VERSION, AnthropicStreamTranslator, from_anthropic, to_anthropic
from flarekit.llm.calls import CallContext, ChatResult, FinalBatch, StreamItem, StreamState, open_stream
from flarekit.llm.deployments import Deployment
from flarekit.llm.errors import malformed_error, status_error
from flarekit.llm.openai_format import dumps
from flarekit.llm.sse import SSEEvent
from flarekit.llm.transport import error_from_response, post, read_body, sse_batches

DEFAULT_BASE_URL = "https://api.anthropic.com"


def _headers(deployment: Deployment) -> dict[str, str]:
    provider = deployment.provider
    headers = {
        "content-type": "application/json",
        "accept": "application/json",
        "anthropic-version": provider.api_version or API_VERSION,
    }
    if provider.api_key:
        headers["x-api-key"] = str(provider.api_key)
    headers.update(provider.headers)
    return headers


async def chat(cx: CallContext, deployment: Deployment, body: dict[str, Any], stream: bool, left: float):
    """One chat completion at an Anthropic deployment, answered in OpenAI's format."""
    request = to_anthropic(
        {**body, "stream": stream}, deployment.model, version=deployment.provider.api_version or API_VERSION
    )
    base = (deployment.provider.base_url or DEFAULT_BASE_URL).rstrip("/")
    url = base.removesuffix("/v1") + "/v1/messages"  # accept the base URL with or without /v1
    response = await post(url, _headers(deployment), dumps(request), min(cx.timeouts.connect, left))
    if response.status != 200:
        raise await error_from_response(response, url, deployment.provider.name, min(cx.timeouts.first_byte, left))
    if not stream:
        raw = await read_body(response, min(cx.timeouts.first_byte, left), url)
        try:
            message = json.loads(raw)
        except ValueError:
            raise malformed_error("Anthropic's answer is not JSON") from None
        if not isinstance(message, dict) or message.get("type") != "message":
            raise malformed_error("Anthropic's answer is not a message")
        return ChatResult(from_anthropic(message, cx.created))
    state = StreamState()
    translator = AnthropicStreamTranslator(cx.created, cx.include_usage)
    events = sse_batches(response.body, url, min(cx.timeouts.first_byte, left), cx.timeouts.first_byte)
    return await open_stream(_chunks(events, translator, state), state, cx.timeouts, left)


async def _chunks(
    batches: AsyncGenerator[list[SSEEvent], None], translator: AnthropicStreamTranslator, state: StreamState
) -> AsyncIterator[list[StreamItem]]:
    async for events in batches:
        items: list[StreamItem] = []
        for event in events:
            if not event.data:
                continue
            try:
                data = json.loads(event.data)
            except ValueError:
                raise malformed_error("Anthropic sent an event that is not JSON") from None
            if not isinstance(data, dict):
                raise malformed_error("Anthropic sent an event that is not a JSON object")
            items.extend(StreamItem(chunk) for chunk in translator.feed(data))
            if translator.finished:
                state.usage = translator.usage
                yield FinalBatch(items)
                await batches.aclose()
                return
        if items:
            yield items
    raise malformed_error("Anthropic's stream ended without message_stop")


async def embeddings(_cx: CallContext, deployment: Deployment, _body: dict[str, Any], _left: float):
    raise status_error(400, f"provider {deployment.provider.name!r} (anthropic) has no embeddings API", param="model")
