"""Who may read metrics and the dashboard: holders of TELEMETRY_QUERY_TOKEN.

Scripts and Prometheus send `Authorization: Bearer <token>`. Browsers log in once through a form
that sets an HttpOnly, SameSite=Strict cookie; the cookie holds an HMAC of the token (never the token
itself), so it stops working when the token is rotated. No token configured: refused in production
(503, fail closed), open in development, as the telemetry query API does (`telemetry_ingest.auth`).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flarekit.errors import HTTPError

TOKEN_VARIABLE = "TELEMETRY_QUERY_TOKEN"  # noqa: S105 - the name of the variable, not a secret
COOKIE = "flarekit_dashboard"
SESSION_SECONDS = 12 * 3600
_SESSION_CONTEXT = b"flarekit dashboard session v1"


_DEVELOPMENT = frozenset({"development", "dev", "test"})


def _token(env: Any) -> str | None:
    token = getattr(env, TOKEN_VARIABLE, None)
    return token.strip() if isinstance(token, str) and token.strip() else None


def _production(env: Any) -> bool:
    environment = getattr(env, "ENVIRONMENT", None)
    return not (isinstance(environment, str) and environment.strip().lower() in _DEVELOPMENT)


def configured_token(env: Any) -> str:
    """The query token; a 503 when the Worker has none (fail closed)."""
    token = _token(env)
    if token is None:
        raise HTTPError(503, f"{TOKEN_VARIABLE} is not configured; metrics and the dashboard are disabled",
                        code="not_configured", type="server_error")  # fmt: skip
    return token


def session_value(token: str) -> str:
    """What the dashboard cookie holds for a token."""
    return hmac.new(token.encode(), _SESSION_CONTEXT, hashlib.sha256).hexdigest()


def _cookie(header: str | None, name: str) -> str | None:
    for part in (header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def has_dashboard_session(headers: Any, env: Any) -> bool:
    """Whether the request carries a valid dashboard cookie (for other query routes to accept it)."""
    token = _token(env)
    session = _cookie(headers.get("cookie"), COOKIE)
    return (
        token is not None
        and session is not None
        and hmac.compare_digest(session.encode(), session_value(token).encode())
    )


def is_authorized(headers: Any, env: Any) -> bool:
    """Whether the request carries the bearer token or a valid dashboard cookie (503 if production has no token)."""
    token = _token(env)
    if token is None:
        if _production(env):
            configured_token(env)  # raises the 503
        return True  # development without a token: open, by choice of whoever left it unset
    authorization = headers.get("authorization") or ""
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
        return True
    return has_dashboard_session(headers, env)


def require(headers: Any, env: Any) -> None:
    """Raise 401 unless the request is authorized."""
    if not is_authorized(headers, env):
        raise HTTPError(401, "a valid bearer token (TELEMETRY_QUERY_TOKEN) or dashboard login is required",
                        code="unauthorized", headers={"www-authenticate": 'Bearer realm="telemetry"'})  # fmt: skip


def token_matches(presented: str, env: Any) -> bool:
    """Constant-time check of a token typed into the login form."""
    return hmac.compare_digest(presented.strip().encode(), configured_token(env).encode())


def session_cookie(env: Any, secure: bool) -> str:
    """The Set-Cookie value of a fresh dashboard session."""
    attributes = f"Path=/; Max-Age={SESSION_SECONDS}; HttpOnly; SameSite=Strict"
    return f"{COOKIE}={session_value(configured_token(env))}; {attributes}{'; Secure' if secure else ''}"


def cleared_cookie() -> str:
    return f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
