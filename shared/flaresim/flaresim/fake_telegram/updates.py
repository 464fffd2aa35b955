"""Update JSON as Telegram POSTs it to a webhook (shapes from https://core.telegram.org/bots/api#update).

`UpdateFactory` numbers updates and messages the way Telegram does (increasing `update_id`,
per-chat `message_id`) so tests and the sandbox build real payloads in one line each.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,64})?")
_MENTION = re.compile(r"@[A-Za-z0-9_]{3,64}")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def entities_for(text: str) -> list[dict[str, Any]]:
    """The `bot_command` and `mention` entities Telegram's clients attach to `text`."""
    entities = []
    command = _COMMAND.match(text)
    if command:
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16(command.group(0))})
    for mention in _MENTION.finditer(text):
        if command and mention.start() < command.end():
            continue
        entities.append(
            {"type": "mention", "offset": _utf16(text[: mention.start()]), "length": _utf16(mention.group(0))}
        )
    return entities


class UpdateFactory:
    """Builds Updates; `user` and `chat` default to one private chat with one person."""

    def __init__(self, *, first_update_id: int = 10_000, date: int = 1_790_000_000) -> None:
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)
        self.date = date

    @staticmethod
    def user(user_id: int = 1111111, first_name: str = "Ada", username: str | None = "ada") -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}
        if username:
            user["username"] = username
        return user

    @staticmethod
    def private_chat(user: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return chat

    @staticmethod
    def group_chat(chat_id: int = -1001234567890, title: str = "Team") -> dict[str, Any]:
        return {"id": chat_id, "type": "supergroup", "title": title}

    def message(
        self,
        text: str | None,
        *,
        user: dict[str, Any] | None = None,
        chat: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A Message object (not yet wrapped in an Update)."""
        user = user or self.user()
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": chat or self.private_chat(user),
            "date": self.date,
        }
        if text is not None:
            message["text"] = text
            entities = entities_for(text)
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(extra)
        return message

    def update(self, kind: str, payload: dict[str, Any], update_id: int | None = None) -> dict[str, Any]:
        """Wrap a payload as an Update of `kind` (`message`, `edited_message`, `channel_post`, ...)."""
        return {"update_id": update_id if update_id is not None else next(self._update_ids), kind: payload}

    def text(self, text: str, **kwargs: Any) -> dict[str, Any]:
        """An Update with a text message (a command if it starts with `/`)."""
        return self.update("message", self.message(text, **kwargs))

    def edited(self, text: str, **kwargs: Any) -> dict[str, Any]:
        message = self.message(text, **kwargs)
        message["edit_date"] = self.date + 5
        return self.update("edited_message", message)

    def photo(self, caption: str | None = None, **kwargs: Any) -> dict[str, Any]:
        sizes = [
            {"file_id": "AgACAgQAAx0CZ", "file_unique_id": "AQADb", "width": 90, "height": 67, "file_size": 1234},
            {"file_id": "AgACAgQAAx0CY", "file_unique_id": "AQADc", "width": 1280, "height": 960, "file_size": 98765},
        ]
        extra: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            extra["caption"] = caption
        return self.update("message", self.message(None, **extra, **kwargs))

    def sticker(self, **kwargs: Any) -> dict[str, Any]:
        sticker = {
            "file_id": "CAACAgIAAxkBAAE",
            "file_unique_id": "AgADsw",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self.update("message", self.message(None, sticker=sticker, **kwargs))

    def channel_post(self, text: str, chat_id: int = -1009876543210) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "sender_chat": {"id": chat_id, "type": "channel", "title": "News"},
            "chat": {"id": chat_id, "type": "channel", "title": "News"},
            "date": self.date,
            "text": text,
        }
        return self.update("channel_post", message)

    def callback_query(self, data: str = "again", **kwargs: Any) -> dict[str, Any]:
        user = kwargs.pop("user", None) or self.user()
        query = {
            "id": "4382bfdwdsb323b2d9",
            "from": user,
            "chat_instance": "-1234567890",
            "data": data,
            "message": self.message("earlier answer", user=user, **kwargs),
        }
        return self.update("callback_query", query)

    def bot_message(self, bot: dict[str, Any], chat: dict[str, Any], text: str) -> dict[str, Any]:
        """A message the bot sent earlier (what `reply_to_message` points at when a user replies to it)."""
        return {"message_id": next(self._message_ids), "from": bot, "chat": chat, "date": self.date, "text": text}
