"""Per-key limits and budgets, through flarekit's RateLimiter and UsageLedger Durable Objects.

Before a request: one RateLimiter RPC takes 1 request and the estimated prompt tokens from every
limit of the key (exact across isolates; a refusal is a 429 with Retry-After and the OpenAI-style
headers), and, when the key has a budget, one UsageLedger RPC checks today's and this month's
spend. After the response: the token estimate is corrected with the real usage and the spend is
recorded, both in `waitUntil` and summed per isolate between writes (`deferred_writes`).
"""

from __future__ import annotations

import asyncio

from ai_proxy.proxy_call import ProxyCall
from flarekit.llm.tokens import Usage
from flarekit.tracing.current import tracer


async def check_limits(call: ProxyCall, prompt_tokens: int) -> None:
    """Take this request from the key's limits, or raise the 429 (503 when failing closed)."""
    limiter = call.gateway.limiter
    limits = call.principal.policy.limits
    if limiter is None or not limits:
        return
    cost = {"requests": 1, "tokens": prompt_tokens} if call.principal.policy.tokens_limited else {"requests": 1}
    decision = await limiter.hit(call.subject, limits, cost)
    call.response_headers.update(decision.headers)
    call.record.ratelimit_mode = decision.mode
    if not decision.allowed:
        raise decision.http_error()


async def check_access(call: ProxyCall, prompt_tokens: int) -> None:
    """The key's limits and budget, checked concurrently when both apply (two independent objects)."""
    policy = call.principal.policy
    limited = call.gateway.limiter is not None and bool(policy.limits)
    budgeted = call.gateway.usage is not None and not policy.budget.unlimited
    if not limited and not budgeted:
        return
    with tracer().start_as_current_span("limit check") as span:
        if not budgeted:
            await check_limits(call, prompt_tokens)
        elif not limited:
            await check_budget(call)
        else:
            await asyncio.gather(check_limits(call, prompt_tokens), check_budget(call))
        if span.is_recording():
            span.set_attribute("flarekit.ratelimit.mode", call.record.ratelimit_mode or "none")
            if call.budget is not None:
                span.set_attribute("flarekit.budget.status", call.budget.status)


def charge_tokens(call: ProxyCall, estimated: int, usage: Usage) -> None:
    """Correct the token estimate taken before the call with what the provider reported."""
    policy = call.principal.policy
    if call.gateway.limiter is None or not policy.tokens_limited:
        return
    difference = usage.total_tokens - estimated
    if difference:
        call.gateway.deferred.charge(call.subject, policy.limits, difference)


async def check_budget(call: ProxyCall) -> None:
    """Refuse with 429 `budget_exceeded` (never retried) when the key has spent its budget."""
    usage = call.gateway.usage
    budget = call.principal.policy.budget
    if usage is None or budget.unlimited:
        return
    check = await usage.check(call.subject, budget)
    call.budget = check
    if check.exceeded:
        error = check.http_error()
        error.headers = {**error.headers, "x-should-retry": "false"}
        raise error


def record_spend(call: ProxyCall, model: str, usage: Usage, cost: float) -> None:
    """Add this request's tokens and cost to the key's ledger (written after the response, in batches)."""
    if call.gateway.usage is not None:
        call.gateway.deferred.record(call.subject, model, usage.prompt_tokens, usage.completion_tokens, cost)
