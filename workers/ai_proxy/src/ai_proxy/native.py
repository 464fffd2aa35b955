"""`POST /ai/run/{model}`: Workers AI's native input and output, answered like Cloudflare's REST API.

    {"result": <the model's own output>, "success": true, "errors": [], "messages": []}
    {"result": null, "success": false, "errors": [{"code": 5007, "message": "..."}], "messages": []}

A streaming request (`"stream": true`) gets the binding's event stream passed straight through.
Keys, limits and budgets apply as on the OpenAI routes; the cache does not.
"""

from __future__ import annotations

import re
from typing import Any

from workers import Response

from ai_proxy.chat import COST_HEADER, format_cost
from ai_proxy.gateway_config import WORKERS_AI
from ai_proxy.limits import charge_tokens, check_access, record_spend
from ai_proxy.proxy_call import ProxyCall, admit, answer, finish, intercept
from ai_proxy.streaming import SSE_HEADERS
from flarekit.errors import HTTPError
from flarekit.llm.calls import CallContext
from flarekit.llm.deployments import Deployment, ProviderSpec
from flarekit.llm.errors import ProviderError
from flarekit.llm.prices import cost_usd, default_price
from flarekit.llm.providers.workers_ai import run
from flarekit.llm.tokens import Usage, estimate_input_tokens, estimate_prompt_tokens, usage_from_openai

_PROVIDER = ProviderSpec(WORKERS_AI, WORKERS_AI)
_CODE = re.compile(r"Workers AI (\d{4})")


def _estimate(inputs: dict[str, Any]) -> int:
    if isinstance(inputs.get("messages"), list):
        return estimate_prompt_tokens(inputs["messages"])
    return estimate_input_tokens(inputs.get("prompt") or inputs.get("text") or "")


async def run_model(call: ProxyCall, model: str) -> Any:
    await admit(call)
    await intercept(call)
    gateway = call.gateway
    inputs = call.body
    call.record.model = model
    call.record.provider = WORKERS_AI
    call.record.deployment = f"{WORKERS_AI}/{model}"
    if not call.principal.may_use(model):
        raise HTTPError(403, f"This key may not use the model `{model}`.", "model_not_allowed", "permission_error")
    estimate = _estimate(inputs)
    await check_access(call, estimate)
    deployment = Deployment(model, _PROVIDER, model, price=default_price(model))
    cx = CallContext(call.env, gateway.config.timeouts, 0)
    try:
        result = await run(cx, deployment, inputs, gateway.config.timeouts.total)
    except ProviderError as error:
        found = _CODE.search(error.message)
        envelope = {
            "result": None,
            "success": False,
            "errors": [{"code": int(found.group(1)) if found else 3040, "message": error.message}],
            "messages": [],
        }
        call.record.error_type = error.code or error.kind
        call.record.error_message = error.message
        response = answer(call, envelope, error.status)
        finish(call)
        return response
    if inputs.get("stream") is True and hasattr(result, "__aiter__"):
        usage = Usage(estimate, 0, estimated=True)
        call.record.stream = True
        record_spend(call, model, usage, cost_usd(deployment.price, usage))
        call.record.status = 200
        finish(call)
        return Response(result, status=200, headers={**SSE_HEADERS, **call.response_headers})
    usage = usage_from_openai(result.get("usage") if isinstance(result, dict) else None) or Usage(
        estimate, 0, estimated=True
    )
    cost = cost_usd(deployment.price, usage)
    call.record.input_tokens, call.record.output_tokens = usage.prompt_tokens, usage.completion_tokens
    call.record.cost_usd = cost
    charge_tokens(call, estimate, usage)
    record_spend(call, model, usage, cost)
    call.response_headers[COST_HEADER] = format_cost(cost)
    response = answer(call, {"result": result, "success": True, "errors": [], "messages": []})
    finish(call)
    return response
