"""CORS for browser apps calling the proxy directly (configured under `cors`).

Only listed origins get `Access-Control-Allow-Origin` (the origin itself, or `*` when `*` is
listed and credentials are off); credentials are never combined with a wildcard. Preflights are
answered here, before authentication, as browsers send them without the API key.
"""

from __future__ import annotations

from ai_proxy.gateway_config import CorsPolicy

ALLOW_METHODS = "GET, POST, DELETE, OPTIONS"
DEFAULT_ALLOW_HEADERS = "authorization, content-type, x-api-key, cache-control, x-flarekit-cache-ttl"
EXPOSE_HEADERS = (
    "x-request-id, x-flarekit-cache, x-flarekit-cost-usd, x-flarekit-model, x-flarekit-deployment, retry-after, "
    "x-ratelimit-limit-requests, x-ratelimit-remaining-requests, x-ratelimit-reset-requests, "
    "x-ratelimit-limit-tokens, x-ratelimit-remaining-tokens, x-ratelimit-reset-tokens"
)


def cors_headers(policy: CorsPolicy, origin: str | None) -> dict[str, str]:
    """Headers for an actual response to `origin` (empty when the origin is not allowed)."""
    if not origin or not policy.allowed_origins or not policy.allows(origin):
        return {}
    wildcard = "*" in policy.allowed_origins and not policy.allow_credentials
    headers = {
        "access-control-allow-origin": "*" if wildcard else origin,
        "access-control-expose-headers": EXPOSE_HEADERS,
    }
    if not wildcard:
        headers["vary"] = "Origin"
    if policy.allow_credentials:
        headers["access-control-allow-credentials"] = "true"
    return headers


def preflight_headers(policy: CorsPolicy, origin: str | None, requested_headers: str | None) -> dict[str, str] | None:
    """Headers for a preflight answer, or None when the origin is not allowed."""
    headers = cors_headers(policy, origin)
    if not headers:
        return None
    headers.pop("access-control-expose-headers", None)
    headers["access-control-allow-methods"] = ALLOW_METHODS
    headers["access-control-allow-headers"] = requested_headers or DEFAULT_ALLOW_HEADERS
    headers["access-control-max-age"] = str(policy.max_age)
    headers["vary"] = "Origin, Access-Control-Request-Headers"
    return headers
