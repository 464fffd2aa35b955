"""`GET /v1/models` and `GET /v1/models/{id}`: the configured model aliases (those the key may use)."""

from __future__ import annotations

from typing import Any

from ai_proxy.errors import model_not_found
from ai_proxy.proxy_call import ProxyCall, admit, answer, finish

# Aliases have no creation date of their own; OpenAI requires `created`, so a fixed one is given.
CREATED = 1_767_225_600  # 2026-01-01


def _model(alias: str, owner: str) -> dict[str, Any]:
    return {"id": alias, "object": "model", "created": CREATED, "owned_by": owner}


async def list_models(call: ProxyCall) -> Any:
    await admit(call, json_body=False)
    config = call.gateway.config
    data = [
        _model(alias, deployments[0].provider.name)
        for alias, deployments in config.models.items()
        if call.principal.may_use(alias)
    ]
    response = answer(call, {"object": "list", "data": data})
    finish(call)
    return response


async def get_model(call: ProxyCall, model: str) -> Any:
    await admit(call, json_body=False)
    deployments = call.gateway.config.models.get(model)
    if deployments is None or not call.principal.may_use(model):
        raise model_not_found(model)
    response = answer(call, _model(model, deployments[0].provider.name))
    finish(call)
    return response
