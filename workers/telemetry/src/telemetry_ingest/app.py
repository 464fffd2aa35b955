"""The telemetry Worker's routes and request handling.

Each route module exports `ROUTES`, a tuple of (method, path template, handler); add a module to
ROUTE_TABLES to serve more (metrics, stats, a dashboard). Around every route: CORS for the
configured origins, JSON errors, 503 + Retry-After when storage fails, 500 naming a bad setting.
"""

from __future__ import annotations

from functools import cache

from workers import Response

from flarekit.errors import ConfigurationError, HTTPError, StorageError
from flarekit.http.dispatch import dispatch
from flarekit.http.responses import health_response, json_response
from flarekit.http.router import Router
from flarekit.metrics.request_observer import Observer
from telemetry_ingest import WORKER_NAME, __version__, routes_ingest, routes_install, routes_otlp, routes_query
from telemetry_ingest.config import config_from_env
from telemetry_ingest.context import error_body
from telemetry_ingest.cors import cors_headers, preflight
from telemetry_monitoring import routes as monitoring_routes
from telemetry_monitoring.sink import LocalSink

# Monitoring of this Worker's own requests (docs/observability.md): counted straight into its
# MetricsAggregator (LocalSink: no service binding to cross); spans only to an OTLP endpoint, when
# one is configured (its `TELEMETRY` is the KV namespace, not a binding to itself).
OBSERVER = Observer(WORKER_NAME, __version__, sink=LocalSink)


async def health(rc):
    return health_response(WORKER_NAME, __version__)


ROUTE_TABLES = (
    (("GET", "/health", health),),
    routes_ingest.ROUTES,
    routes_query.ROUTES,
    routes_otlp.ROUTES,
    routes_install.ROUTES,
    monitoring_routes.ROUTES,  # /metrics, /api/stats, /dashboard (docs/observability.md)
)


@cache
def router() -> Router:
    """Built once per isolate, on first use (not in a lifespan hook, which runs per request)."""
    routes = Router()
    for table in ROUTE_TABLES:
        for method, template, handler in table:
            routes.add(method, template, handler)
    return routes


def render_error(error: HTTPError) -> Response:
    return json_response(error_body(error), error.status, error.headers)


def _method(request) -> str:
    method = request.method
    return str(getattr(method, "value", method))


async def _routed(request, env, ctx) -> Response:
    try:
        return await dispatch(router(), request, env, ctx, render_error)
    except StorageError as error:
        return render_error(
            HTTPError(
                503,
                f"Storage is unavailable, try again: {error}",
                code="storage_unavailable",
                type="server_error",
                headers={"retry-after": "1"},
            )
        )
    except ConfigurationError as error:
        return render_error(HTTPError(500, str(error), code="configuration_error", type="server_error"))


async def handle(request, env, ctx) -> Response:
    """Answer one request, observed (server span, metrics record after the response)."""
    return await OBSERVER.serve(request, env, ctx, lambda: answer_request(request, env, ctx))


async def answer_request(request, env, ctx) -> Response:
    try:
        config = config_from_env(env)
    except ConfigurationError as error:
        return render_error(HTTPError(500, str(error), code="configuration_error", type="server_error"))
    if not config.cors_origins:
        return await _routed(request, env, ctx)
    origin = request.headers.get("origin")
    if _method(request) == "OPTIONS":
        return preflight(config, origin)
    response = await _routed(request, env, ctx)
    extra = cors_headers(config, origin)
    if not extra:
        return response
    headers = dict(response.headers.items())
    headers.update(extra)
    return Response(response.body, status=response.status, headers=headers)
