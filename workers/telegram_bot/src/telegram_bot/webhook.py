"""`POST /telegram/webhook`: check the secret, hand the update to its chat's object, answer 200 at once.

Telegram retries any non-2xx answer (for up to a day) and waits for a slow one, so the model call
never happens here: the update is stored in the chat's Durable Object (which also recognises a
redelivered `update_id`), the answer is worked out after the response (`waitUntil`), and anything
the bot does not handle (malformed JSON, edits, channel posts, callbacks) is acknowledged with 200.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from workers import Response

from flarekit.errors import HTTPError
from flarekit.tracing.propagation import inject_current
from telegram_bot.config import BotConfig, config_for
from telegram_bot.updates import chat_id_of, parse_message, update_id_of

log = logging.getLogger("telegram_bot.webhook")

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name, not a secret


def _ok() -> Response:
    return Response("", status=200)


def check_secret(config: BotConfig, given: str | None) -> None:
    """Raise 401 unless the header matches TELEGRAM_WEBHOOK_SECRET (constant time); fail closed in production."""
    expected = config.webhook_secret
    if not expected:
        if config.production:
            raise HTTPError(
                503, "TELEGRAM_WEBHOOK_SECRET is not set; refusing webhook calls.", "not_configured", "server_error"
            )
        return  # a local run without a secret
    if not hmac.compare_digest((given or "").encode(), expected.encode()):
        raise HTTPError(
            401, "Wrong or missing X-Telegram-Bot-Api-Secret-Token.", "unauthorized", "authentication_error"
        )


def wanted(config: BotConfig, update: dict[str, Any]) -> bool:
    """Whether the update could need an answer (cheap triage; the chat's object decides for sure)."""
    incoming = parse_message(update)
    if incoming is None:
        return False
    # Without a configured username the chat object asks Telegram for it before deciding.
    if not incoming.private and config.bot_username:
        return incoming.addressed_to(config.bot_id, config.bot_username)
    return True


async def _work(stub: Any) -> None:
    await stub.drain()


async def telegram_webhook(rc: Any) -> Response:
    config = config_for(rc.env)
    # One header read straight from the JS Headers: cheaper than building the whole mapping.
    check_secret(config, rc.request.js_object.headers.get(SECRET_HEADER))
    raw = await rc.request.text()
    try:
        update = json.loads(raw)
    except ValueError:
        log.warning("webhook: ignoring a body that is not JSON (%d bytes)", len(raw))
        return _ok()
    if not isinstance(update, dict):
        log.warning("webhook: ignoring JSON that is not an Update object")
        return _ok()
    chat_id = chat_id_of(update)
    update_id = update_id_of(update)
    if chat_id is None or update_id is None or not wanted(config, update):
        return _ok()
    namespace = rc.env.CHATS
    stub = namespace.get(namespace.idFromName(str(chat_id)))
    # Stored before we answer: if the chat's object cannot take it, Telegram gets a 5xx and redelivers.
    # The body goes as the text it came in: a string crosses RPC far cheaper than a nested dict.
    # The trace goes along, so the answer worked out later is part of this request's trace.
    traceparent = inject_current({}).get("traceparent")
    if await stub.accept(chat_id, update_id, raw, traceparent):
        rc.ctx.waitUntil(_work(stub))
    return _ok()
