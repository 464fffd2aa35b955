"""CORS for browser clients: which origins may call, and the preflight answer."""

from __future__ import annotations

from workers import Response

from telemetry_ingest.config import TelemetryConfig

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "authorization, content-type, content-encoding"
MAX_AGE_SECONDS = "86400"


def cors_headers(config: TelemetryConfig, origin: str | None) -> dict[str, str]:
    """The headers that let `origin` read the response; empty when it is not allowed."""
    if not origin or not config.cors_origins:
        return {}
    if "*" in config.cors_origins:
        return {"access-control-allow-origin": "*"}
    if origin.rstrip("/") in config.cors_origins:
        return {"access-control-allow-origin": origin, "vary": "Origin"}
    return {}


def preflight(config: TelemetryConfig, origin: str | None) -> Response:
    """The answer to an OPTIONS preflight (204; without CORS headers when the origin is not allowed)."""
    headers = cors_headers(config, origin)
    if headers:
        headers.update(
            {
                "access-control-allow-methods": ALLOWED_METHODS,
                "access-control-allow-headers": ALLOWED_HEADERS,
                "access-control-max-age": MAX_AGE_SECONDS,
            }
        )
    return Response(None, status=204, headers=headers)
