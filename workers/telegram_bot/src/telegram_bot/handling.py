"""What the bot does with one update of a chat: decide whether to answer, then command or model."""

from __future__ import annotations

import logging
from typing import Any

from telegram_bot import answering, session_store, texts
from telegram_bot.chat import Chat, Turn
from telegram_bot.commands import COMMAND_HANDLERS
from telegram_bot.proxy_client import new_traceparent
from telegram_bot.updates import Incoming, parse_message

log = logging.getLogger("telegram_bot.handling")

# Users refused at most once each; past this many the chat stops remembering (and stops refusing).
MAX_REFUSALS_REMEMBERED = 500


def _refuse_once(chat: Chat, incoming: Incoming) -> None:
    refused = session_store.get_setting(chat.sql, "refused") or []
    if incoming.user_id in refused or len(refused) >= MAX_REFUSALS_REMEMBERED:
        return
    session_store.set_setting(chat.sql, "refused", [*refused, incoming.user_id])
    chat.say(
        texts.NOT_ALLOWED.format(user_id=incoming.user_id), reply_to=None if incoming.private else incoming.message_id
    )


async def handle_update(chat: Chat, update: dict[str, Any]) -> None:
    """Handle one update (already deduplicated and in order); anything unhandled is dropped quietly."""
    incoming = parse_message(update)
    if incoming is None:
        return  # edits, channel posts, callbacks, service messages: acknowledged, not answered
    username = "" if incoming.private else await chat.bot_username()
    if not incoming.addressed_to(chat.config.bot_id, username):
        return
    if not chat.config.is_allowed(incoming.user_id):
        _refuse_once(chat, incoming)
        return
    # The traceparent is for the proxy when tracing is off; with tracing on, each proxy call sends
    # its own client span's (a child of this update's span).
    turn = Turn(incoming.private, None if incoming.private else incoming.message_id, new_traceparent())
    if incoming.command is not None:
        handler = COMMAND_HANDLERS.get(incoming.command)
        if handler is None:
            if incoming.private:
                chat.say(texts.UNKNOWN_COMMAND.format(command=incoming.command[:32]))
            return
        await handler(chat, turn, incoming.argument)
        return
    prompt = incoming.prompt(username)
    if not prompt:
        if incoming.private and incoming.has_media:
            chat.say(texts.TEXT_ONLY)
        return
    await answering.reply_with_model(
        chat, prompt=prompt, private=turn.private, reply_to=turn.reply_to, traceparent=turn.traceparent
    )
