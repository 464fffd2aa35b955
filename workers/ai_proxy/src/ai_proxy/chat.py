"""`POST /v1/chat/completions`: limits, budget, cache, routing with failover, and the answer.

The order matters: the key's limits and budget are checked before the cache (a cached answer is
still a request), the cache before any provider, and the request is routed only on a miss.
Non-streaming misses that are identical and concurrent share one upstream call (single-flight).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from ai_proxy import interceptors, streaming
from ai_proxy.limits import charge_tokens, check_access, record_spend
from ai_proxy.model_spans import ModelCallSpans
from ai_proxy.observing import capture_content, first_byte
from ai_proxy.proxy_call import ProxyCall, admit, answer, finish, intercept
from ai_proxy.request_body import check_chat
from flarekit.cache import BYPASS, HIT, STATUS_HEADER, TTL_HEADER, CacheDecision, Fill, chat_cache_key, decide
from flarekit.errors import HTTPError
from flarekit.llm.calls import ChatResult
from flarekit.llm.failover import Outcome
from flarekit.llm.openai_format import completion_text, dumps
from flarekit.llm.prices import cost_usd
from flarekit.llm.tokens import Usage, estimate_prompt_tokens, estimate_text_tokens

# Called with (completion, usage, cost) once an answer is complete (conversations store it).
OnComplete = Callable[[dict[str, Any], Usage, float], Awaitable[None]]
NO_CACHE = CacheDecision(False, False, 0, "disabled")
COST_HEADER = "x-flarekit-cost-usd"


def format_cost(cost: float) -> str:
    return f"{cost:.8f}".rstrip("0").rstrip(".") if cost else "0"


async def chat_completions(call: ProxyCall) -> Any:
    """The route handler."""
    await admit(call)
    return await complete_chat(call)


def usage_metadata(usage: Usage) -> list[Any]:
    return [usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens, usage.estimated]


def cache_decision(call: ProxyCall) -> CacheDecision:
    gateway = call.gateway
    if gateway.cache is None:
        return NO_CACHE
    headers = call.headers
    return decide(gateway.config.cache, call.body, headers.get("cache-control"), headers.get(TTL_HEADER))


def cache_key(call: ProxyCall, namespace: str = "chat") -> str:
    """The request's cache key: per key unless the cache is shared, per kind of request."""
    tenant = "shared" if call.gateway.config.shared_cache else call.principal.key_id
    return chat_cache_key(tenant, call.body, namespace)


def note_outcome(call: ProxyCall, outcome: Outcome[Any], deployments: Any) -> None:
    """Put the routing result in the record (deployment, attempts, breaker states)."""
    record = call.record
    deployment = outcome.deployment
    record.provider = deployment.provider.name
    record.deployment = deployment.id
    record.retries = outcome.retries
    if outcome.retries:
        record.attempts = [{"deployment": a.deployment, "error": a.error, "status": a.status} for a in outcome.attempts]
    record.circuit = call.gateway.health.snapshot(d.id for d in deployments)
    call.attempts = outcome.attempts
    call.response_headers["x-flarekit-deployment"] = deployment.id


def account(call: ProxyCall, model: str, usage: Usage, cost: float, estimate: int) -> None:
    """Tokens and cost into the record, the key's ledger and its token limit."""
    record = call.record
    record.input_tokens = usage.prompt_tokens
    record.output_tokens = usage.completion_tokens
    record.usage_estimated = usage.estimated
    record.cost_usd = cost
    charge_tokens(call, estimate, usage)
    record_spend(call, model, usage, cost)


async def complete_chat(call: ProxyCall, on_complete: OnComplete | None = None) -> Any:
    """Answer the chat request in `call.body` (already admitted)."""
    gateway = call.gateway
    await intercept(call)
    body = call.body
    messages = check_chat(body, gateway.config.request)
    requested = body["model"]
    alias, deployments = gateway.resolve(requested)
    call.deployments = deployments
    call.record.model = alias
    call.response_headers["x-flarekit-model"] = alias
    if not call.principal.may_use(requested, alias):
        raise HTTPError(403, f"This key may not use the model `{alias}`.", "model_not_allowed", "permission_error")
    stream = body.get("stream") is True
    call.record.stream = stream
    estimate = estimate_prompt_tokens(messages, body.get("tools"))
    await check_access(call, estimate)
    decision = cache_decision(call)
    key = cache_key(call) if decision.lookup or decision.store else ""
    if stream:
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        return await streaming.stream_chat(call, deployments, decision, key, estimate, include_usage, on_complete)

    routed: list[tuple[Outcome[Any], Usage, float]] = []

    async def compute() -> Fill:
        spans = ModelCallSpans("chat", body, False, capture_content(call.env))
        outcome = await gateway.call(call.env, deployments, body, stream=False, include_usage=False, spans=spans)
        call.record.ttfb_ms = round(call.elapsed_ms(), 3)  # the whole answer arrives at once
        first_byte(call)
        result: ChatResult = outcome.value
        usage = result.usage or Usage(estimate, estimate_text_tokens(completion_text(result.body)), estimated=True)
        cost = cost_usd(outcome.deployment.price, usage)
        routed.append((outcome, usage, cost))
        if interceptors.on_response:
            await interceptors.run_response(call, result.body)
            text = dumps(result.body).decode()
        else:
            text = (result.raw or dumps(result.body)).decode()
        metadata = {"usage": usage_metadata(usage), "deployment": outcome.deployment.id, "cost_usd": cost}
        return Fill(text, metadata)

    if key and gateway.cache is not None:
        cached = await gateway.cache.fetch(key, decision, compute, call.ctx.waitUntil)
        text, status = cached.body, cached.status
    else:
        text, status = (await compute()).body, BYPASS
    call.record.cache = status
    call.response_headers[STATUS_HEADER] = status
    cost = 0.0
    if routed:
        outcome, usage, cost = routed[0]
        note_outcome(call, outcome, deployments)
        account(call, outcome.deployment.model, usage, cost, estimate)
    elif status == HIT:
        # A hit is free; give the token estimate back to the key's token limit.
        charge_tokens(call, estimate, Usage())
    call.response_headers[COST_HEADER] = format_cost(cost)
    if on_complete is not None:
        completion = json.loads(text)
        await on_complete(completion, usage if routed else Usage(), cost)
    response = answer(call, text)
    finish(call)
    return response
