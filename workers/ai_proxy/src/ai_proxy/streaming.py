"""Streaming chat answers as server-sent events, exactly as the `openai` SDK reads them.

Only `data:` lines and `:` comments are written (llm-wire-formats.md §0 fact 2). The response is
returned once the upstream's first chunk has been validated, so anything that fails before that
fails over; after it, nothing is retried: an upstream failure becomes a `data: {"error": ...}`
event (the SDK raises `APIError`) and the stream ends. A cache hit is replayed as a stream; a
miss is assembled while it streams and stored once complete. The request's cost goes out as a
comment before `[DONE]` (`: x-flarekit-cost-usd=...`), since headers are gone by then.
"""

from __future__ import annotations

import json
from typing import Any

import js
from pyodide.ffi import to_js
from workers import Response

from ai_proxy import interceptors
from ai_proxy.model_spans import ModelCallSpans
from ai_proxy.observing import capture_content, first_byte, observe
from ai_proxy.proxy_call import ProxyCall, after_response, answer
from flarekit.cache import HIT, STATUS_HEADER, CacheDecision
from flarekit.llm.calls import ChatStream, FinalBatch
from flarekit.llm.errors import ProviderError
from flarekit.llm.openai_format import StreamAssembler, dumps, error_body, replay_chunks
from flarekit.llm.prices import cost_usd
from flarekit.llm.sse import DONE
from flarekit.llm.tokens import CHARS_PER_TOKEN, Usage

SSE_HEADERS = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}


def _event(payload: bytes) -> Any:
    return to_js(b"data: " + payload + b"\n\n")


def _trailer(cost: float) -> bytes:
    from ai_proxy.chat import COST_HEADER

    return f": {COST_HEADER}={cost:.8f}\n\n".encode() + DONE


async def stream_chat(
    call: ProxyCall,
    deployments: Any,
    decision: CacheDecision,
    key: str,
    estimate: int,
    include_usage: bool,
    on_complete: Any,
) -> Any:
    """Answer a `stream: true` request (from the cache, or from a provider)."""
    from ai_proxy.chat import account, note_outcome

    gateway = call.gateway
    if decision.lookup and gateway.cache is not None:
        found = await gateway.cache.get(key)
        if found is not None:
            return await _replay(call, found[0].body, include_usage, estimate, on_complete)
    spans = ModelCallSpans("chat", call.body, True, capture_content(call.env))
    outcome = await gateway.call(
        call.env, deployments, call.body, stream=True, include_usage=include_usage, spans=spans
    )
    note_outcome(call, outcome, deployments)
    status = decision.miss_status
    call.record.cache = status
    call.response_headers[STATUS_HEADER] = status
    call.record.ttfb_ms = round(call.elapsed_ms(), 3)
    first_byte(call)
    call.record.status = 200
    pipe = js.TransformStream.new()
    writer = pipe.writable.getWriter()

    async def pump() -> None:
        stream: ChatStream = outcome.value
        assembler = StreamAssembler() if (decision.store or on_complete or interceptors.on_response) else None
        characters = 0
        finish_reason: str | None = None
        complete = False
        settled: tuple[Any, Usage, float] | None = None

        def settle() -> tuple[Any, Usage, float]:
            """The completion (when assembled), usage (reported or estimated) and cost of the stream."""
            completion, usage = None, stream.usage
            if assembler is not None:
                completion = assembler.result()
                usage = usage or assembler.usage
            if usage is None:
                text = characters
                if completion is not None and completion["choices"]:
                    text = len(completion["choices"][0]["message"].get("content") or "")
                usage = Usage(estimate, (text + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN, estimated=True)
            return completion, usage, cost_usd(outcome.deployment.price, usage)

        try:
            async for batch in stream:
                payload = []
                for item in batch:
                    data = item.data
                    choices = data.get("choices")
                    if choices:
                        choice = choices[0]
                        if assembler is None:
                            content = choice.get("delta", {}).get("content")
                            if content:
                                characters += len(content)
                        if choice.get("finish_reason"):
                            finish_reason = choice["finish_reason"]
                    if assembler is not None:
                        assembler.add(data)
                    payload.append(b"data: " + (item.raw or dumps(data)) + b"\n\n")
                if isinstance(batch, FinalBatch):
                    # Nothing follows: the cost comment and [DONE] go in the same write.
                    settled = settle()
                    payload.append(_trailer(settled[2]))
                await writer.write(to_js(b"".join(payload)))
            complete = True
            if settled is None:
                settled = settle()
                await writer.write(to_js(_trailer(settled[2])))
        except ProviderError as error:
            call.record.error_type = error.kind
            call.record.error_message = error.message
            body = error_body(error.message, error.error_type, None, error.code or "upstream_error")
            await _quietly(writer.write(_event(dumps(body))))
        except Exception as error:  # the client went away (a write failed) or the stream broke
            call.record.error_type = "client_disconnected" if "closed" in str(error) else type(error).__name__
            call.record.error_message = str(error)[:200]
            await _quietly(stream.aclose())
        completion, usage, cost = settled if settled is not None else settle()
        reasons = [finish_reason] if finish_reason else ()
        spans.stream_ended(usage, reasons, call.record.error_type, call.record.error_message)
        account(call, outcome.deployment.model, usage, cost, estimate)
        await _quietly(writer.close())
        if complete and completion is not None:
            if interceptors.on_response:
                await _quietly(interceptors.run_response(call, completion))
            if on_complete is not None:
                await _quietly(on_complete(completion, usage, cost))
            if decision.store and gateway.cache is not None:
                metadata = {"usage": [usage.prompt_tokens, usage.completion_tokens, 0, usage.estimated]}
                await _quietly(gateway.cache.put(key, dumps(completion).decode(), decision.ttl, metadata))
        call.finished = True
        call.record.latency_ms = round(call.elapsed_ms(), 3)
        observe(call)
        if held:
            call.obs.release()  # the request's metrics record and server span end with the stream
        gateway.telemetry.add(call.record)
        if call.after or not gateway.flushing:
            await after_response(call)

    async def pump_then_release() -> None:
        try:
            await pump()
        finally:
            if held:
                call.obs.release()  # also when the bookkeeping above failed

    held = call.obs.hold()
    call.ctx.waitUntil(pump_then_release())
    return Response(pipe.readable, status=200, headers={**SSE_HEADERS, **call.response_headers})


async def _replay(call: ProxyCall, text: str, include_usage: bool, estimate: int, on_complete: Any) -> Any:
    from ai_proxy.chat import COST_HEADER, charge_tokens
    from ai_proxy.proxy_call import finish

    completion = json.loads(text)
    chunks = replay_chunks(completion, include_usage)
    payload = b"".join(b"data: " + dumps(c) + b"\n\n" for c in chunks)
    payload += f": {COST_HEADER}=0\n\n".encode() + DONE
    call.record.cache = HIT
    call.response_headers[STATUS_HEADER] = HIT
    call.response_headers[COST_HEADER] = "0"
    charge_tokens(call, estimate, Usage())
    if on_complete is not None:
        await on_complete(completion, Usage(), 0.0)
    call.response_headers["cache-control"] = SSE_HEADERS["cache-control"]
    response = answer(call, payload, content_type=SSE_HEADERS["content-type"])
    finish(call)
    return response


async def _quietly(awaitable: Any) -> None:
    """Await something whose failure must not stop the stream's bookkeeping (it is logged)."""
    try:
        await awaitable
    except Exception as error:
        import logging

        logging.getLogger("ai_proxy").warning("stream bookkeeping step failed: %s: %s", type(error).__name__, error)
