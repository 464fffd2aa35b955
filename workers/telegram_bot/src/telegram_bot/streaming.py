"""Streaming an answer into a private chat by editing a placeholder message.

Telegram counts edits against the chat's flood limit and refuses an edit that changes nothing, so
edits are at most one per `interval` (1 s) and only when the rendered text changed. Intermediate
edits are best effort: a 429 pauses them for its `retry_after`, any other failure is counted and
skipped, and the final text always goes through the outbox (which retries).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flarekit.telegram import MESSAGE_LIMIT, markdown_to_html, split_message
from telegram_bot.bot_api import BotApi, BotApiError, RetryAfter

log = logging.getLogger("telegram_bot.streaming")

PLACEHOLDER = "…"
CURSOR = " ▌"


class StreamEditor:
    """Shows a growing answer in one message; `message_id` is None when the placeholder could not be sent."""

    def __init__(self, api: BotApi, chat_id: int, clock: Callable[[], float], interval: float = 1.0) -> None:
        self.api = api
        self.chat_id = chat_id
        self.clock = clock
        self.interval = interval
        self.message_id: int | None = None
        self.edits = 0
        self.skipped = 0
        self._last_at = 0.0
        self._last_html = ""
        self._paused_until = 0.0

    async def start(self) -> bool:
        """Send the placeholder; False (and no streaming) when Telegram does not take it."""
        try:
            sent = await self.api.call("sendMessage", {"chat_id": self.chat_id, "text": PLACEHOLDER})
        except BotApiError as error:
            log.warning("no streaming placeholder for chat %s: %s", self.chat_id, error)
            return False
        self.message_id = int(sent["message_id"]) if isinstance(sent, dict) and "message_id" in sent else None
        self._last_at = self.clock()
        self._last_html = PLACEHOLDER
        return self.message_id is not None

    async def update(self, markdown: str) -> None:
        """Show `markdown` so far, if a second has passed and the text changed."""
        now = self.clock()
        if self.message_id is None or now - self._last_at < self.interval or now < self._paused_until:
            return
        parts = split_message(markdown, MESSAGE_LIMIT - len(CURSOR))
        if not parts:
            return
        html = markdown_to_html(parts[0]) + CURSOR
        if html == self._last_html:
            return
        self._last_at = now
        try:
            await self.api.call(
                "editMessageText",
                {"chat_id": self.chat_id, "message_id": self.message_id, "text": html, "parse_mode": "HTML"},
            )
        except RetryAfter as error:
            self._paused_until = now + error.retry_after
            self.skipped += 1
            return
        except BotApiError as error:
            log.info("streaming edit skipped in chat %s: %s", self.chat_id, error)
            self.skipped += 1
            return
        self._last_html = html
        self.edits += 1
