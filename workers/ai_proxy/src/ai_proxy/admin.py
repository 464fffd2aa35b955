"""`/admin/keys`: create, list and revoke virtual keys, with `Authorization: Bearer <ADMIN_TOKEN>`.

POST   /admin/keys        {"name", "models"?: [aliases], "limits"?: {...}, "budgets"?: {...}}
                          -> 201 {"id", "key", "name", ...}   (the only time the key is shown)
GET    /admin/keys        -> {"object": "list", "data": [{"id", "name", "hint", ...}]}
DELETE /admin/keys/{id}   (or DELETE /admin/keys?id=...) -> {"id", "deleted": true}
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from ai_proxy.auth import presented_key
from ai_proxy.proxy_call import ProxyCall, answer, finish
from ai_proxy.request_body import read_json
from flarekit.errors import HTTPError


def _require_admin(call: ProxyCall) -> None:
    gateway = call.gateway
    token = gateway.settings.admin_token
    if not token or gateway.keys is None:
        raise HTTPError(
            503,
            "The admin API is disabled: set the ADMIN_TOKEN secret (and a KEYS or CACHE KV binding).",
            "admin_disabled",
        )
    presented = presented_key(call.headers) or ""
    if not hmac.compare_digest(hashlib.sha256(presented.encode()).digest(), hashlib.sha256(token.encode()).digest()):
        raise HTTPError(
            401, "A valid admin token is required.", "invalid_admin_token", headers={"www-authenticate": "Bearer"}
        )
    call.record.key_name = "admin"


async def create_key(call: ProxyCall) -> Any:
    _require_admin(call)
    body = await read_json(call.request, call.headers, call.gateway.config.request)
    created = await call.gateway.keys.create(body)
    response = answer(call, created, 201)
    finish(call)
    return response


async def list_keys(call: ProxyCall) -> Any:
    _require_admin(call)
    response = answer(call, {"object": "list", "data": await call.gateway.keys.list()})
    finish(call)
    return response


async def delete_key(call: ProxyCall, key_id: str | None = None) -> Any:
    _require_admin(call)
    if key_id is None:
        from urllib.parse import parse_qs, urlsplit

        key_id = (parse_qs(urlsplit(call.request.url).query).get("id") or [""])[0]
    if not key_id:
        raise HTTPError(400, "Name the key to revoke: DELETE /admin/keys/{id}.", "invalid_request", param="id")
    if not await call.gateway.keys.revoke(key_id):
        raise HTTPError(404, f"No key `{key_id}`.", "key_not_found", param="id")
    response = answer(call, {"id": key_id, "object": "key.deleted", "deleted": True})
    finish(call)
    return response
