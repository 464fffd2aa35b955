"""The ChatSession Durable Object: one per Telegram chat, so one chat's updates are handled in order.

The webhook hands each update to its chat's object (`accept`: stored once per `update_id`, so a
redelivery is recognised) and then asks it to work (`drain`, in the webhook's `waitUntil`). One
drain runs at a time per object; it handles stored updates oldest first and delivers the outbox
after each, so answers leave in the order their questions came. While a drain waits on the model,
updates that arrive are stored and picked up by the same drain. An alarm brings the object back
when a delayed delivery (429, backoff) is due or when work was left unfinished.

Each update is handled inside a span of the trace its webhook request started (the traceparent is
stored with the update), so the proxy call it makes belongs to that trace.

RPC (positional arguments, JSON-like values):
    accept(chat_id, update_id, body, traceparent?) -> bool   False for a redelivered update_id
    drain()                   -> {"processed": n}
    stats()                   -> {"pending_updates", "outbox", "counters": {...}}
"""

from __future__ import annotations

import logging
from typing import Any

from workers import DurableObject

from flarekit import clock
from telegram_bot import outbox, session_store, texts
from telegram_bot.bot_api import BotApi
from telegram_bot.chat import Chat
from telegram_bot.config import config_for
from telegram_bot.handling import handle_update
from telegram_bot.observing import OBSERVER

log = logging.getLogger("telegram_bot.chat_session")

# If a drain is cut short (eviction, a crash), the alarm resumes stored work this much later.
RESUME_AFTER_MS = 30_000


class ChatSession(DurableObject):
    """One chat's update queue, duplicate memory, outbox and small settings."""

    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self._sql = ctx.storage.sql
        self._sql.exec(session_store.SCHEMA)
        session_store.migrate(self._sql)
        self._sql.exec(outbox.SCHEMA)
        self._busy = False
        self._api: BotApi | None = None
        # Kept in memory so the webhook's hot path costs one SQL statement (both also live in storage).
        self._chat_id: int | None = session_store.get_setting(self._sql, "chat_id")
        self._alarm_set: bool | None = None  # unknown until asked

    def _remember_chat(self, chat_id: int) -> None:
        if self._chat_id is None:
            self._chat_id = int(chat_id)
            session_store.set_setting(self._sql, "chat_id", self._chat_id)

    def _chat(self) -> Chat | None:
        if self._chat_id is None:
            return None
        config = config_for(self.env)
        if self._api is None:
            self._api = BotApi(config.api_base, config.bot_token)
        return Chat(self._chat_id, config, self.env, self._sql, self._api, clock.now)

    async def accept(self, chat_id: int, update_id: int, body: str, traceparent: str | None = None) -> bool:
        """Store an update (its JSON text, the trace it came in) for handling; False for an update_id already received."""
        now = clock.now_ms()
        fresh = session_store.record(self._sql, update_id, body, now, traceparent)
        if fresh:
            self._remember_chat(chat_id)
            if self._alarm_set is None:
                self._alarm_set = await self.ctx.storage.getAlarm() is not None
            if not self._alarm_set:
                await self.ctx.storage.setAlarm(now + RESUME_AFTER_MS)
                self._alarm_set = True
        return fresh

    async def drain(self) -> dict[str, Any]:
        """Handle stored updates in order and deliver what is due; a second caller returns at once."""
        if self._busy:
            return {"processed": 0, "busy": True}
        chat = self._chat()
        if chat is None:
            return {"processed": 0}
        self._busy = True
        processed = 0
        try:
            while True:
                await outbox.deliver(self._sql, chat.api, chat.now_ms)
                item = session_store.next_pending(self._sql)
                if item is None:
                    break
                update_id, update, traceparent = item
                attributes = {"telegram.update_id": update_id}
                async with OBSERVER.continue_trace(self.env, self.ctx, "telegram update", traceparent, attributes):
                    await self._handle(chat, update_id, update)
                session_store.mark_done(self._sql, update_id, chat.now_ms())
                processed += 1
        finally:
            self._busy = False
            await self._schedule()
        return {"processed": processed}

    async def _handle(self, chat: Chat, update_id: int, update: dict[str, Any]) -> None:
        try:
            await handle_update(chat, update)
        except Exception:
            # One bad update must not block the chat: log it, count it, tell the user, move on.
            log.exception("handling update %s of chat %s failed", update_id, chat.chat_id)
            outbox.bump(self._sql, "handler_errors")
            chat.say(texts.INTERNAL_ERROR)

    async def _schedule(self) -> None:
        """Set the alarm for the next delayed delivery or unfinished work, or clear it."""
        due: list[int] = []
        if session_store.count_pending(self._sql):
            due.append(clock.now_ms() + RESUME_AFTER_MS)
        head = self._sql.exec("SELECT due_ms FROM outbox ORDER BY seq LIMIT 1").toArray()
        if head:
            due.append(int(head[0]["due_ms"]))  # the head blocks the rest, so its time is the one
        if due:
            await self.ctx.storage.setAlarm(min(due))
        else:
            await self.ctx.storage.deleteAlarm()
        self._alarm_set = bool(due)

    async def alarm(self, alarm_info: Any = None) -> None:
        self._alarm_set = False  # it is running now; drain() sets the next one if needed
        await self.drain()

    async def stats(self) -> dict[str, Any]:
        return {
            "pending_updates": session_store.count_pending(self._sql),
            "outbox": outbox.pending(self._sql),
            "counters": outbox.counters(self._sql),
        }
