"""The proxy's routes, and the one place errors become answers (OpenAI's error shape).

Every request gets an id (`x-request-id`), CORS headers when its origin is allowed, a server span
and a metrics record (`observing.OBSERVER`), and one `ai.request` event sent to telemetry after the
response, whatever the outcome.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from workers import Response

from ai_proxy import (
    WORKER_NAME,
    __version__,
    admin,
    batch,
    chat,
    conversations,
    embeddings,
    interceptors,
    models,
    native,
)
from ai_proxy.cors import cors_headers, preflight_headers
from ai_proxy.errors import JSON_HEADERS, error_json, to_http_error
from ai_proxy.gateway import gateway
from ai_proxy.observing import OBSERVER
from ai_proxy.proxy_call import ProxyCall, answer, finish, new_call
from flarekit.errors import ConfigurationError, HTTPError
from flarekit.http.responses import health_response
from flarekit.http.router import MethodNotAllowed, NotFound, Router
from flarekit.llm.failover import FailoverError
from flarekit.metrics import observation

log = logging.getLogger("ai_proxy")


@cache
def router() -> Router:
    """Built once per isolate, on first use."""
    routes = Router()
    routes.add("POST", "/v1/chat/completions", chat.chat_completions)
    routes.add("POST", "/ai/v1/chat/completions", chat.chat_completions)
    routes.add("POST", "/v1/embeddings", embeddings.embeddings)
    routes.add("GET", "/v1/models", models.list_models)
    routes.add("GET", "/v1/models/{model:path}", models.get_model)
    routes.add("POST", "/ai/run/{model:path}", native.run_model)
    routes.add("POST", "/v1/batch", batch.batch)
    routes.add("POST", "/v1/conversations", conversations.create)
    routes.add("POST", "/v1/conversations/{conversation_id}/messages", conversations.add_message)
    routes.add("GET", "/v1/conversations/{conversation_id}/ws", _conversation_ws)
    routes.add("GET", "/v1/conversations/{conversation_id}", conversations.get)
    routes.add("DELETE", "/v1/conversations/{conversation_id}", conversations.delete)
    routes.add("POST", "/admin/keys", admin.create_key)
    routes.add("GET", "/admin/keys", admin.list_keys)
    routes.add("DELETE", "/admin/keys", admin.delete_key)
    routes.add("DELETE", "/admin/keys/{key_id}", admin.delete_key)
    return routes


async def _conversation_ws(call: ProxyCall, conversation_id: str) -> Any:
    from ai_proxy.conversation_ws import connect

    return await connect(call, conversation_id)


async def handle(request: Any, env: Any, ctx: Any) -> Any:
    """Answer one request, observed (server span, metrics record after the response)."""
    headers = request.headers  # built anew on each access in production: read once
    return await OBSERVER.serve(request, env, ctx, lambda: answer_request(request, env, ctx, headers), headers)


async def answer_request(request: Any, env: Any, ctx: Any, headers: Any = None) -> Any:
    """Answer one request."""
    path = urlsplit(request.url).path
    method = str(request.method)
    if path == "/health" and method in ("GET", "HEAD"):
        observation.current().set(route="/health")
        return health_response(WORKER_NAME, __version__)
    try:
        gw = gateway(env)
    except ConfigurationError as error:
        log.error("the gateway cannot start: %s", error)
        body = error_json(HTTPError(500, f"Gateway misconfigured: {error}", "configuration_error", "server_error"))
        return Response(body, status=500, headers=JSON_HEADERS)
    if headers is None:
        headers = request.headers
    cors = gw.config.cors
    origin = headers.get("origin") if cors.allowed_origins else None
    if method == "OPTIONS":
        allowed = preflight_headers(cors, origin, headers.get("access-control-request-headers"))
        return Response(None, status=204 if allowed else 403, headers=allowed or {})
    call = new_call(gw, request, env, ctx, headers, path, method)
    if origin:
        call.response_headers.update(cors_headers(cors, origin))
    try:
        found = router().match(method, path)
    except NotFound:
        return await fail(call, HTTPError(404, f"Unknown path {path}", "not_found", "invalid_request_error"))
    except MethodNotAllowed as error:
        allow = ", ".join(error.allowed)
        return await fail(
            call,
            HTTPError(
                405,
                f"{method} is not allowed on {path} (allowed: {allow})",
                "method_not_allowed",
                headers={"allow": allow},
            ),
        )
    call.record.route = found.template
    call.obs.set(route=found.template)
    try:
        return await found.handler(call, **found.params)
    except Exception as error:  # every failure is answered in OpenAI's shape, and recorded
        return await fail(call, error)


async def fail(call: ProxyCall, error: Exception) -> Any:
    """Answer with the error (after the `on_error` interceptors) and record it."""
    http = to_http_error(error)
    if http is None:
        log.exception("unexpected error in %s %s", call.record.method, call.route, exc_info=error)
        http = HTTPError(500, "The gateway failed unexpectedly; see its log.", "internal_error", "server_error")
    record = call.record
    if isinstance(error, FailoverError):
        call.attempts = error.attempts
        record.retries = max(0, len(error.attempts) - 1)
        record.attempts = [{"deployment": a.deployment, "error": a.error, "status": a.status} for a in error.attempts]
        record.deployment = error.deployment or None
    record.error_type = http.code or http.type
    record.error_message = http.message[:300]
    if interceptors.on_error:
        try:
            http = await interceptors.run_error(call, http)
        except Exception:
            log.exception("an on_error interceptor failed")
    call.response_headers.update(http.headers)
    response = answer(call, error_json(http), http.status)
    finish(call)
    return response
