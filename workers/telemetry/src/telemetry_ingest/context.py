"""What every route needs from a request: the configuration, KV, the clock and JSON answers."""

from __future__ import annotations

from typing import Any

from workers import Response

from flarekit.clock import now_ms
from flarekit.errors import HTTPError
from flarekit.http.request_context import RequestContext
from telemetry_ingest.auth import Scope, check_bearer
from telemetry_ingest.config import TelemetryConfig, config_from_env
from telemetry_ingest.store import KVSession
from telemetry_monitoring.auth import has_dashboard_session

JSON_TYPE = "application/json"


def config_of(rc: RequestContext) -> TelemetryConfig:
    return config_from_env(rc.env)


def session_of(rc: RequestContext, config: TelemetryConfig) -> KVSession:
    """This request's KV access (binding `TELEMETRY`)."""
    kv = getattr(rc.env, "TELEMETRY", None)
    if kv is None:
        raise HTTPError(
            500,
            "The TELEMETRY KV namespace is not bound to this Worker",
            code="configuration_error",
            type="server_error",
        )
    return KVSession(kv, config.ttl_seconds, config.retry_delays)


def authorize(rc: RequestContext, config: TelemetryConfig, scope: Scope) -> None:
    if scope is Scope.QUERY and has_dashboard_session(rc.headers, rc.env):
        return  # a browser logged in to /dashboard: its cookie stands for the query token (telemetry_monitoring.auth)
    check_bearer(config, scope, rc.headers.get("authorization"))


def now() -> int:
    """Epoch milliseconds from the platform clock."""
    return now_ms()


def json_text(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response whose body is JSON text built by the caller."""
    merged = {"content-type": JSON_TYPE}
    if headers:
        merged.update(headers)
    return Response(text, status=status, headers=merged)


def error_body(error: HTTPError) -> dict[str, Any]:
    body: dict[str, Any] = {"message": error.message, "code": error.code, "type": error.type}
    if error.param:
        body["param"] = error.param
    return {"error": body}
