"""`POST /v1/embeddings`: routed like chat; base64 when the client asks (the openai SDK does by
default), floats otherwise (llm-wire-formats.md §3.1); cached like chat answers."""

from __future__ import annotations

from typing import Any

from ai_proxy.chat import COST_HEADER, cache_decision, cache_key, format_cost, note_outcome
from ai_proxy.errors import bad_request
from ai_proxy.gateway import EMBEDDINGS
from ai_proxy.limits import charge_tokens, check_access, record_spend
from ai_proxy.proxy_call import ProxyCall, admit, answer, finish, intercept
from flarekit.cache import BYPASS, STATUS_HEADER, Fill
from flarekit.errors import HTTPError
from flarekit.llm.openai_format import dumps
from flarekit.llm.prices import cost_usd
from flarekit.llm.tokens import estimate_input_tokens

MAX_INPUTS = 2048


def _check(body: dict[str, Any]) -> None:
    value = body.get("input")
    if isinstance(value, str):
        if not value:
            raise bad_request("'input' cannot be an empty string.", "input")
        return
    if not isinstance(value, list) or not value:
        raise bad_request("'input' must be a string or a non-empty array.", "input")
    if len(value) > MAX_INPUTS:
        raise bad_request(f"'input' may hold at most {MAX_INPUTS} items.", "input")
    if any(isinstance(v, str) and not v for v in value):
        raise bad_request("'input' cannot contain empty strings.", "input")
    encoding = body.get("encoding_format")
    if encoding not in (None, "float", "base64"):
        raise bad_request("'encoding_format' must be 'float' or 'base64'.", "encoding_format")


async def embeddings(call: ProxyCall) -> Any:
    await admit(call)
    await intercept(call)
    gateway = call.gateway
    body = call.body
    if not isinstance(body.get("model"), str):
        raise bad_request("you must provide a model parameter", "model", "missing_model")
    _check(body)
    alias, deployments = gateway.resolve(body["model"], EMBEDDINGS)
    call.deployments = deployments
    call.record.model = alias
    call.response_headers["x-flarekit-model"] = alias
    if not call.principal.may_use(body["model"], alias):
        raise HTTPError(403, f"This key may not use the model `{alias}`.", "model_not_allowed", "permission_error")
    estimate = estimate_input_tokens(body.get("input"))
    await check_access(call, estimate)
    decision = cache_decision(call)
    key = cache_key(call, "embeddings") if decision.lookup or decision.store else ""
    routed: list[Any] = []

    async def compute() -> Fill:
        outcome = await gateway.embed(call.env, deployments, body)
        result, usage = outcome.value
        routed.append((outcome, usage))
        return Fill(dumps(result).decode(), {"deployment": outcome.deployment.id})

    if key and gateway.cache is not None:
        cached = await gateway.cache.fetch(key, decision, compute, call.ctx.waitUntil)
        text, status = cached.body, cached.status
    else:
        text, status = (await compute()).body, BYPASS
    call.record.cache = status
    call.response_headers[STATUS_HEADER] = status
    cost = 0.0
    if routed:
        outcome, usage = routed[0]
        cost = cost_usd(outcome.deployment.price, usage)
        note_outcome(call, outcome, deployments)
        call.record.input_tokens = usage.prompt_tokens
        call.record.usage_estimated = usage.estimated
        call.record.cost_usd = cost
        charge_tokens(call, estimate, usage)
        record_spend(call, outcome.deployment.model, usage, cost)
    call.response_headers[COST_HEADER] = format_cost(cost)
    response = answer(call, text)
    finish(call)
    return response
