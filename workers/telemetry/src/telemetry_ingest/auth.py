"""Bearer-token checks: one token for writing telemetry, another for reading it."""

from __future__ import annotations

import hashlib
import hmac
from enum import Enum

from flarekit.errors import HTTPError
from telemetry_ingest.config import TelemetryConfig


class Scope(Enum):
    INGEST = "TELEMETRY_INGEST_TOKEN"
    QUERY = "TELEMETRY_QUERY_TOKEN"


_CHALLENGE = {"www-authenticate": 'Bearer realm="telemetry"'}


def check_bearer(config: TelemetryConfig, scope: Scope, authorization: str | None) -> None:
    """Raise 401 unless `authorization` carries the scope's token; 503 in production when none is set."""
    token = config.ingest_token if scope is Scope.INGEST else config.query_token
    if token is None:
        if config.production:
            # Fail closed: an unconfigured production Worker accepts nothing. 503 so exporters keep
            # their data and retry once the operator has set the secret.
            raise HTTPError(
                503,
                f"{scope.value} is not configured; this Worker refuses requests until it is",
                code="not_configured",
                type="server_error",
                headers={"retry-after": "60"},
            )
        return  # development without a token: open, by choice of whoever left it unset
    supplied = _bearer(authorization)
    if supplied is None:
        raise HTTPError(
            401, "Missing bearer token (Authorization: Bearer <token>)", code="unauthorized", headers=_CHALLENGE
        )
    # Constant time: compare digests of equal length whatever the supplied token's length.
    if not hmac.compare_digest(_digest(supplied), _digest(token.value)):
        raise HTTPError(401, "Invalid bearer token", code="unauthorized", headers=_CHALLENGE)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()
