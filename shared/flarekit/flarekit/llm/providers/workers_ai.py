"""Workers AI through the `AI` binding (`env.AI.run`): no key needed on Cloudflare.

The binding resolves once the answer (or, for a stream, its start) is there, so the first-byte
timeout bounds it. Failures arrive as a JS `InferenceUpstreamError` whose message starts with an
internal code; `workers_ai_format.inference_error` classifies it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from pyodide.ffi import JsException

from flarekit.llm.calls import CallContext, ChatResult, FinalBatch, StreamItem, StreamState, open_stream
from flarekit.llm.deployments import Deployment
from flarekit.llm.errors import malformed_error, status_error, timeout_error
from flarekit.llm.openai_format import embeddings_list
from flarekit.llm.sse import SSEEvent
from flarekit.llm.tokens import (
    CHARS_PER_TOKEN,
    Usage,
    estimate_input_tokens,
    estimate_prompt_tokens,
    estimate_text_tokens,
)
from flarekit.llm.transport import sse_batches
from flarekit.llm.workers_ai_format import (
    WorkersAIStreamTranslator,
    embedding_vectors,
    from_workers_ai,
    inference_error,
    to_embedding_inputs,
    to_workers_ai,
)

_DONE = b"[DONE]"


async def run(cx: CallContext, deployment: Deployment, inputs: dict[str, Any], left: float) -> Any:
    """`env.AI.run(model, inputs)` with the first-byte timeout and errors classified."""
    binding = getattr(cx.env, deployment.provider.binding, None)
    if binding is None:
        raise status_error(500, f"the Workers AI binding {deployment.provider.binding!r} is not configured")
    wait = min(cx.timeouts.first_byte, left)
    try:
        async with asyncio.timeout(wait):
            return await binding.run(deployment.model, inputs)
    except TimeoutError:
        raise timeout_error(f"Workers AI gave no answer within {wait:g}s") from None
    except JsException as error:
        raise inference_error(str(getattr(error, "message", "") or error)) from None


async def chat(cx: CallContext, deployment: Deployment, body: dict[str, Any], stream: bool, left: float):
    """One chat completion on Workers AI, answered in OpenAI's format."""
    inputs = to_workers_ai(body)
    inputs["stream"] = stream
    result = await run(cx, deployment, inputs, left)
    if not stream:
        try:
            completion = from_workers_ai(result, deployment.model, cx.created)
        except ValueError as error:
            raise malformed_error(f"Workers AI: {error}") from None
        if "usage" not in completion:
            prompt = estimate_prompt_tokens(body.get("messages"), body.get("tools"))
            text = ((completion.get("choices") or [{}])[0].get("message") or {}).get("content") or ""
            completion["usage"] = Usage(prompt, estimate_text_tokens(text), estimated=True).to_openai()
        return ChatResult(completion)
    if not hasattr(result, "__aiter__"):
        raise malformed_error("Workers AI returned no stream for a streaming request")
    state = StreamState()
    translator = WorkersAIStreamTranslator(deployment.model, cx.created, cx.include_usage)
    events = sse_batches(result, "Workers AI", min(cx.timeouts.first_byte, left), cx.timeouts.first_byte)
    prompt = estimate_prompt_tokens(body.get("messages"), body.get("tools"))
    return await open_stream(_chunks(events, translator, state, prompt), state, cx.timeouts, left)


async def _chunks(
    batches: AsyncGenerator[list[SSEEvent], None],
    translator: WorkersAIStreamTranslator,
    state: StreamState,
    prompt: int,
) -> AsyncIterator[list[StreamItem]]:
    characters = 0
    done = False
    items: list[StreamItem] = []
    async for events in batches:
        items = []
        for event in events:
            data = event.data
            if data[:6] == _DONE:
                done = True
                break
            if not data:
                continue
            try:
                parsed = json.loads(data)
            except ValueError:
                raise malformed_error("Workers AI sent an event that is not JSON") from None
            if not isinstance(parsed, dict):
                raise malformed_error("Workers AI sent an event that is not a JSON object")
            for item in translator.feed(parsed):
                content = item["choices"][0]["delta"].get("content") if item["choices"] else None
                if content:
                    characters += len(content)
                items.append(StreamItem(item))
        if done:
            await batches.aclose()
            break
        if items:
            yield items
    # Streams do not always report usage (§8): estimate what is missing, and say so.
    usage = translator.usage or Usage(prompt, (characters + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN, estimated=True)
    state.usage = usage
    yield FinalBatch((items if done else []) + [StreamItem(item) for item in translator.finish_chunks(usage)])


async def embeddings(cx: CallContext, deployment: Deployment, body: dict[str, Any], left: float):
    """Embeddings on Workers AI (`@cf/baai/bge-*`); returns (OpenAI response body, usage)."""
    result = await run(cx, deployment, to_embedding_inputs(body.get("input")), left)
    try:
        vectors = embedding_vectors(result)
    except ValueError as error:
        raise malformed_error(f"Workers AI: {error}") from None
    # Workers AI reports no usage for embeddings (§8).
    usage = Usage(estimate_input_tokens(body.get("input")), estimated=True)
    encoding = "base64" if body.get("encoding_format") == "base64" else "float"
    return embeddings_list(deployment.model, vectors, usage, encoding), usage
