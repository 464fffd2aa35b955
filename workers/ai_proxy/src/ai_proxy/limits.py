"""Per-key limits and budgets, through flarekit's RateLimiter and UsageLedger Durable Objects.

Before a request: one RateLimiter RPC takes 1 request and the estimated prompt tokens from every
limit of the key (exact across isolates; a refusal is a 429 with Retry-After and the OpenAI-style
headers), and, when the key has a budget, one UsageLedger RPC checks today's and this month's
spend. After the response: the token estimate is corrected with the real usage and the spend is
recorded, both in `waitUntil`.
"""

from __future__ import annotations

from ai_proxy.proxy_call import ProxyCall
from flarekit.llm.tokens import Usage
from flarekit.usage import UsageEntry


def _has_tokens(call: ProxyCall) -> bool:
    return any(limit.unit == "tokens" for limit in call.principal.policy.limits)


async def check_limits(call: ProxyCall, prompt_tokens: int) -> None:
    """Take this request from the key's limits, or raise the 429 (503 when failing closed)."""
    limiter = call.gateway.limiter
    limits = call.principal.policy.limits
    if limiter is None or not limits:
        return
    cost = {"requests": 1, "tokens": prompt_tokens} if _has_tokens(call) else {"requests": 1}
    decision = await limiter.hit(call.subject, limits, cost)
    call.response_headers.update(decision.headers)
    call.record.ratelimit_mode = decision.mode
    if not decision.allowed:
        raise decision.http_error()


def charge_tokens(call: ProxyCall, estimated: int, usage: Usage) -> None:
    """Correct the token estimate taken before the call with what the provider reported."""
    limiter = call.gateway.limiter
    if limiter is None or not call.principal.policy.limits or not _has_tokens(call):
        return
    difference = usage.total_tokens - estimated
    if difference == 0:
        return
    subject, limits = call.subject, call.principal.policy.limits
    call.after.append(lambda: limiter.charge(subject, limits, {"tokens": difference}))


async def check_budget(call: ProxyCall) -> None:
    """Refuse with 429 `budget_exceeded` (never retried) when the key has spent its budget."""
    usage = call.gateway.usage
    budget = call.principal.policy.budget
    if usage is None or budget.unlimited:
        return
    check = await usage.check(call.subject, budget)
    if check.exceeded:
        error = check.http_error()
        error.headers = {**error.headers, "x-should-retry": "false"}
        raise error


def record_spend(call: ProxyCall, model: str, usage: Usage, cost: float) -> None:
    """Add this request's tokens and cost to the key's ledger (after the response)."""
    ledger = call.gateway.usage
    if ledger is None:
        return
    subject = call.subject
    entry = UsageEntry(model, usage.prompt_tokens, usage.completion_tokens, cost)
    call.after.append(lambda: ledger.record(subject, entry))
