"""What the bot sends: an answer in Markdown becomes Bot API calls (HTML, with a plain-text twin)."""

from __future__ import annotations

from typing import Any

from flarekit.telegram import markdown_to_html, split_message
from telegram_bot.outbox import Outgoing

_NO_PREVIEW = {"is_disabled": True}


def _base(chat_id: int) -> dict[str, Any]:
    return {"chat_id": chat_id, "link_preview_options": _NO_PREVIEW}


def answer(chat_id: int, markdown: str, *, reply_to: int | None = None, edit: int | None = None) -> list[Outgoing]:
    """The calls that show `markdown` in a chat: split to Telegram's limit, each part HTML with a plain fallback.

    `edit` puts the first part into an existing message (the streaming placeholder); `reply_to`
    makes the first new message a reply (used in groups so the answer is tied to its question).
    """
    calls: list[Outgoing] = []
    for index, part in enumerate(split_message(markdown)):
        params = _base(chat_id)
        if index == 0 and edit is not None:
            method = "editMessageText"
            params["message_id"] = edit
        else:
            method = "sendMessage"
            if reply_to is not None and not calls:
                params["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
        calls.append(
            Outgoing(method, {**params, "text": markdown_to_html(part), "parse_mode": "HTML"}, {**params, "text": part})
        )
    return calls


def notice(chat_id: int, text: str, *, reply_to: int | None = None) -> list[Outgoing]:
    """A short message of the bot's own (help, errors, refusals), written in Markdown like answers."""
    return answer(chat_id, text, reply_to=reply_to)
