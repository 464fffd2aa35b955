"""Routes of the Worker."""

from __future__ import annotations

from functools import cache

from flarekit.errors import HTTPError
from flarekit.http.dispatch import dispatch
from flarekit.http.responses import health_response, json_response
from flarekit.http.router import Router
from telegram_bot import WORKER_NAME, __version__
from telegram_bot.observing import OBSERVER
from telegram_bot.webhook import telegram_webhook


@cache
def router() -> Router:
    """Built once per isolate, on first use (not in a lifespan hook, which runs per request)."""
    routes = Router()
    routes.add("GET", "/health", health)
    routes.add("POST", "/telegram/webhook", telegram_webhook)
    return routes


async def health(rc):
    return health_response(WORKER_NAME, __version__)


def render_error(error: HTTPError):
    return json_response(
        {"ok": False, "error_code": error.status, "description": error.message}, error.status, error.headers
    )


async def handle(request, env, ctx):
    """Answer one request, observed (server span, metrics record after the response)."""
    return await OBSERVER.serve(request, env, ctx, lambda: dispatch(router(), request, env, ctx, render_error))
