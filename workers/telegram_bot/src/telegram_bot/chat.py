"""One chat as the code handling its updates sees it: settings, bindings, and the ways to answer."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flarekit.conversation.client import conversation_stub
from flarekit.ratelimit import Limit, RateLimitClient, per_day, per_minute
from flarekit.usage import UsageClient
from telegram_bot import outbox, replies, session_store
from telegram_bot.bot_api import BotApi, BotApiError
from telegram_bot.config import BotConfig

log = logging.getLogger("telegram_bot.chat")

MESSAGES_PER_MINUTE = "messages_per_minute"
TOKENS_PER_DAY = "tokens_per_day"


@functools.cache
def chat_limits(messages_per_minute: int, tokens_per_day: int) -> tuple[Limit, ...]:
    """The per-chat limits (a 0 setting means that limit is off)."""
    limits = []
    if messages_per_minute:
        limits.append(per_minute(MESSAGES_PER_MINUTE, messages_per_minute, unit="messages"))
    if tokens_per_day:
        limits.append(per_day(TOKENS_PER_DAY, tokens_per_day, unit="tokens"))
    return tuple(limits)


_CLIENTS: dict[tuple[type, int], tuple[Any, Any]] = {}


def client_for(kind: type, namespace: Any) -> Any:
    """One client per isolate and namespace binding (RateLimitClient keeps its degraded-mode state)."""
    key = (kind, id(namespace))
    cached = _CLIENTS.get(key)
    if cached is None or cached[0] is not namespace:
        cached = (namespace, kind(namespace))
        _CLIENTS[key] = cached
    return cached[1]


@dataclass(frozen=True)
class Turn:
    """One update being handled: where answers go, and the trace it belongs to."""

    private: bool
    reply_to: int | None
    traceparent: str


@dataclass
class Chat:
    """Everything needed to handle one chat's updates; built by the chat's Durable Object."""

    chat_id: int
    config: BotConfig
    env: Any
    sql: Any
    api: BotApi
    clock: Callable[[], float]

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    @property
    def subject(self) -> str:
        """The name of this chat's RateLimiter and Conversation objects."""
        return f"chat:{self.chat_id}"

    @property
    def limits(self) -> tuple[Limit, ...]:
        return chat_limits(self.config.messages_per_minute, self.config.tokens_per_day)

    @property
    def limiter(self) -> RateLimitClient:
        return client_for(RateLimitClient, self.env.RATE_LIMITER)

    @property
    def usage(self) -> UsageClient:
        return client_for(UsageClient, self.env.USAGE)

    def conversation(self) -> Any:
        return conversation_stub(self.env.CONVERSATIONS, self.subject)

    def send(self, items: list[outbox.Outgoing]) -> None:
        """Queue messages for delivery (the chat object delivers them after handling the update)."""
        outbox.enqueue(self.sql, items, self.now_ms())

    def say(self, markdown: str, *, reply_to: int | None = None) -> None:
        self.send(replies.notice(self.chat_id, markdown, reply_to=reply_to))

    async def typing(self) -> None:
        """Show "typing…" (best effort: a failure only loses the indicator)."""
        try:
            await self.api.call("sendChatAction", {"chat_id": self.chat_id, "action": "typing"})
        except BotApiError as error:
            log.info("typing indicator not shown in chat %s: %s", self.chat_id, error)

    async def bot_username(self) -> str:
        """The bot's @username (lower case, no @): from the config, else asked once with getMe and kept."""
        if self.config.bot_username:
            return self.config.bot_username
        known = session_store.get_setting(self.sql, "bot_username")
        if known:
            return str(known)
        try:
            me = await self.api.call("getMe")
        except BotApiError as error:
            log.warning("getMe failed, group mentions cannot be recognised yet: %s", error)
            return ""
        username = str((me or {}).get("username") or "").lower()
        if username:
            session_store.set_setting(self.sql, "bot_username", username)
        return username
