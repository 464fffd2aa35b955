"""Who is calling: an API key from `Authorization: Bearer` or `x-api-key`, checked in constant time.

Static keys (`PROXY_API_KEYS`) are compared by sha256 digest with `hmac.compare_digest`, against
every configured key (no early exit). Virtual keys are found by their digest in KV. In production
with no key configured at all the proxy refuses everything (503): an open proxy spends someone's
money. In development with no key configured, requests are let through as `anonymous`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from ai_proxy.gateway_config import KeyPolicy, key_policy
from ai_proxy.settings import Settings
from ai_proxy.virtual_keys import VirtualKeys
from flarekit.errors import ConfigurationError, HTTPError


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: its key id (for limits, cache and spend), name and permissions."""

    key_id: str
    name: str
    kind: str
    policy: KeyPolicy
    models: frozenset[str] | None = None

    def may_use(self, *names: str) -> bool:
        return self.models is None or any(n in self.models for n in names)


def presented_key(headers: Any) -> str | None:
    """The key a request carries (`Authorization: Bearer <key>` or `x-api-key: <key>`)."""
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    key = headers.get("x-api-key")
    return key.strip() if key else None


def unauthorized(message: str) -> HTTPError:
    return HTTPError(401, message, "invalid_api_key", "invalid_request_error", headers={"www-authenticate": "Bearer"})


def closed() -> HTTPError:
    return HTTPError(
        503,
        "This AI proxy has no API key configured and runs in production, so it refuses every request. "
        "Set the PROXY_API_KEYS secret (or ADMIN_TOKEN and create virtual keys), or set ENVIRONMENT=development.",
        "no_api_keys_configured",
        "server_error",
    )


async def authenticate(settings: Settings, keys: VirtualKeys | None, headers: Any) -> Principal:
    """The caller, or an HTTPError (401 unknown key, 503 production without keys)."""
    if not settings.keys_configured:
        if settings.production:
            raise closed()
        return Principal("anonymous", "anonymous", "anonymous", settings.gateway.key_policy)
    key = presented_key(headers)
    if not key:
        raise unauthorized("You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.")
    digest = hashlib.sha256(key.encode()).digest()
    found = None
    for static in settings.static_keys:
        if hmac.compare_digest(static.digest, digest) and found is None:
            found = static
    if found is not None:
        return Principal(found.key_id, found.name, "static", settings.gateway.key_policy)
    if keys is not None:
        record = await keys.lookup(key)
        if record is not None:
            try:
                policy = key_policy({"limits": record.get("limits"), "budgets": record.get("budgets")}, "key")
            except ConfigurationError:
                policy = settings.gateway.key_policy
            if not policy.limits:
                policy = KeyPolicy(settings.gateway.key_policy.limits, policy.budget)
            models = record.get("models")
            return Principal(record["id"], record["name"], "virtual", policy, frozenset(models) if models else None)
    raise unauthorized("Incorrect API key provided.")
