"""Telegram Updates as the bot sees them: which chat an update belongs to, and what a message says.

Pure functions over the Update JSON (https://core.telegram.org/bots/api#update). Anything the bot
does not handle (edits, channel posts, callbacks, stickers, malformed shapes) parses to None or to
an `Incoming` without text, never to an exception: Telegram retries an update for a day when a
webhook fails, so bad input must be acknowledged and dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?$", re.DOTALL)
# Update kinds whose payload is a Message carrying the chat.
_MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post", "business_message")
PHOTO_NOTE = "(The user attached a photo, which you cannot see.)"


@dataclass(frozen=True)
class Incoming:
    """A message the bot may answer: who wrote what where, and how it addressed the bot."""

    update_id: int
    chat_id: int
    chat_type: str
    user_id: int
    message_id: int
    text: str
    command: str | None = None
    command_target: str | None = None
    argument: str = ""
    mentions: tuple[str, ...] = ()
    mentioned_ids: tuple[int, ...] = ()
    reply_to_user_id: int | None = None
    has_photo: bool = False
    has_media: bool = False

    @property
    def private(self) -> bool:
        return self.chat_type == "private"

    def addressed_to(self, bot_id: int, bot_username: str) -> bool:
        """Whether a group message is for this bot: a command for it, a mention, or a reply to it."""
        if self.private:
            return True
        if self.command is not None:
            return self.command_target is None or self.command_target == bot_username
        if bot_username and bot_username in self.mentions:
            return True
        return bot_id in self.mentioned_ids or (self.reply_to_user_id is not None and self.reply_to_user_id == bot_id)

    def prompt(self, bot_username: str) -> str:
        """The text to send to the model: the bot's own @mention removed, a note for an unseen photo."""
        text = _without_mention(self.text, bot_username) if bot_username else self.text
        if text and self.has_photo:
            text = f"{PHOTO_NOTE}\n{text}".strip()
        return text


def _without_mention(text: str, username: str) -> str:
    """`text` without `@username` (any case), leaving longer names such as `@username_fan` alone."""
    needle = "@" + username
    lower = text.lower()
    out: list[str] = []
    start = 0
    while (found := lower.find(needle, start)) >= 0:
        end = found + len(needle)
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            out.append(text[start:end])
        else:
            out.append(text[start:found])
        start = end
    out.append(text[start:])
    return "".join(out).replace("  ", " ").strip()


def update_id_of(update: Any) -> int | None:
    value = update.get("update_id") if isinstance(update, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def chat_id_of(update: dict[str, Any]) -> int | None:
    """The chat an update belongs to (so one chat's updates go to one place), or None."""
    for kind in _MESSAGE_KINDS:
        message = update.get(kind)
        if isinstance(message, dict):
            return _chat_id(message)
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("message"), dict):
        return _chat_id(query["message"])
    return None


def _chat_id(message: dict[str, Any]) -> int | None:
    chat = message.get("chat")
    value = chat.get("id") if isinstance(chat, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _entity_text(text: str, entity: dict[str, Any]) -> str:
    # Entity offsets and lengths count UTF-16 code units.
    encoded = text.encode("utf-16-le")
    offset, length = int(entity.get("offset", 0)), int(entity.get("length", 0))
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="ignore")


def _mentions(text: str, entities: Any) -> tuple[tuple[str, ...], tuple[int, ...]]:
    names: list[str] = []
    ids: list[int] = []
    for entity in entities if isinstance(entities, list) else ():
        if not isinstance(entity, dict):
            continue
        if entity.get("type") == "mention":
            names.append(_entity_text(text, entity).lstrip("@").lower())
        elif entity.get("type") == "text_mention" and isinstance(entity.get("user"), dict):
            user_id = entity["user"].get("id")
            if isinstance(user_id, int):
                ids.append(user_id)
    return tuple(names), tuple(ids)


def parse_message(update: dict[str, Any]) -> Incoming | None:
    """The new message of an update (`message` only: edits, channel posts and callbacks are not answered)."""
    update_id = update_id_of(update)
    message = update.get("message")
    if update_id is None or not isinstance(message, dict):
        return None
    chat = message.get("chat")
    sender = message.get("from")
    chat_id = _chat_id(message)
    if chat_id is None or not isinstance(chat, dict) or not isinstance(sender, dict):
        return None
    user_id = sender.get("id")
    if not isinstance(user_id, int) or sender.get("is_bot"):
        return None
    text = message.get("text")
    entities = message.get("entities")
    if not isinstance(text, str):
        text = message.get("caption") if isinstance(message.get("caption"), str) else ""
        entities = message.get("caption_entities")
    mentions, mentioned_ids = _mentions(text, entities)
    reply = message.get("reply_to_message")
    reply_from = reply.get("from") if isinstance(reply, dict) else None
    reply_to_user_id = reply_from.get("id") if isinstance(reply_from, dict) else None
    command = target = None
    argument = ""
    matched = _COMMAND.match(text.strip())
    if matched:
        command = matched.group(1).lower()
        target = matched.group(2).lower() if matched.group(2) else None
        argument = (matched.group(3) or "").strip()
    message_id = message.get("message_id")
    media = any(key in message for key in ("photo", "sticker", "voice", "audio", "video", "document", "animation"))
    return Incoming(
        update_id=update_id,
        chat_id=chat_id,
        chat_type=str(chat.get("type") or "private"),
        user_id=user_id,
        message_id=message_id if isinstance(message_id, int) else 0,
        text=text.strip(),
        command=command,
        command_target=target,
        argument=argument,
        mentions=mentions,
        mentioned_ids=mentioned_ids,
        reply_to_user_id=reply_to_user_id if isinstance(reply_to_user_id, int) else None,
        has_photo="photo" in message,
        has_media=media,
    )
