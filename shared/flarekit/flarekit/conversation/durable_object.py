"""The Conversation Durable Object: one conversation's settings and messages, in SQL.

One object per conversation id (`idFromName("conv:<id>")` for the proxy's conversations,
`idFromName("chat:<chat-id>")` for the bot). A conversation idle longer than its `idle_ttl`
starts fresh: the next call finds its messages gone, and an alarm deletes them even if no call
comes (`on_idle` "clear" keeps the settings, "delete" removes everything).

RPC (positional arguments only; JSON-like values):
    create(settings)           -> info      (re)start: settings replaced, messages cleared
    configure(settings)        -> info      update some settings, keep messages; creates if missing
    info()                     -> info | None
    append(messages)           -> info      add messages (creates the conversation if missing)
    history(budget_tokens)     -> {"messages", "tokens", "dropped", "expired", "settings"}
    transcript(limit)          -> info with "messages": [...with seq, tokens, estimated, cost_usd,
                                  created_at] and "total" (the message count)
    pop_reply()                -> {"removed": n}   drop the answer after the last user message (/retry)
    reset()                    -> info      clear messages, keep settings
    delete()                   -> {"deleted": bool}
    stats()                    -> info (with "exists": False when never created)
settings: {"system_prompt", "model", "metadata", "idle_ttl" (seconds or None), "on_idle"}.
A message: {"role", "content", "name"?, "tool_calls"?, "tool_call_id"?, "tokens"?, "cost_usd"?};
without "tokens" its tokens are estimated (and flagged so).
info: {"exists", "settings", "messages", "tokens", "tokens_estimated", "cost_usd", "created_at",
"last_active"} with times in epoch seconds.
"""

from __future__ import annotations

from typing import Any

from workers import DurableObject

from flarekit import clock
from flarekit.conversation import store
from flarekit.conversation.history import trim_newest_first
from flarekit.tokens import estimate_message_tokens

_UNREAD = object()


class Conversation(DurableObject):
    """One conversation; see the module docstring for the RPC methods."""

    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self._sql = ctx.storage.sql
        self._sql.exec(store.SCHEMA)
        self._alarm_ms: int | None = None
        self._alarm_known = False
        # The settings row mirrored in memory (this object is its only writer); reread after a write.
        self._settings_row: dict[str, Any] | object | None = _UNREAD

    # -- helpers -------------------------------------------------------------------------------

    def _settings(self) -> dict[str, Any] | None:
        if self._settings_row is _UNREAD:
            self._settings_row = store.read_settings(self._sql)
        return self._settings_row  # type: ignore[return-value]

    def _written(self) -> None:
        self._settings_row = _UNREAD

    def _expire_if_idle(self, now_ms: int) -> bool:
        """Clear (or delete) an idle conversation; True if it was idle."""
        settings = self._settings()
        if settings is None or not store.is_idle(settings, now_ms):
            return False
        if settings["on_idle"] == "delete":
            store.delete_all(self._sql)
        else:
            store.clear_messages(self._sql, now_ms)
        self._written()
        return True

    async def _ensure_alarm(self, settings: dict[str, Any]) -> None:
        due = store.idle_deadline_ms(settings)
        if due is None:
            return
        if not self._alarm_known:
            current = await self.ctx.storage.getAlarm()
            self._alarm_ms = None if current is None else int(current)
            self._alarm_known = True
        # An earlier alarm re-arms itself for the latest deadline when it runs, so one is enough.
        if self._alarm_ms is None:
            await self.ctx.storage.setAlarm(due)
            self._alarm_ms = due

    # -- RPC -----------------------------------------------------------------------------------

    async def create(self, settings: dict[str, Any] | None = None) -> dict[str, Any]:
        """Start the conversation afresh with `settings` (messages cleared)."""
        now_ms = clock.now_ms()
        store.delete_all(self._sql)
        self._settings_row = saved = store.write_settings(self._sql, store.merge_settings(None, settings or {}), now_ms)
        await self._ensure_alarm(saved)
        return store.info(saved)

    async def configure(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Update the given settings, keeping messages; creates the conversation if missing."""
        now_ms = clock.now_ms()
        self._expire_if_idle(now_ms)
        merged = store.merge_settings(self._settings(), settings or {})
        self._settings_row = saved = store.write_settings(self._sql, merged, now_ms)
        await self._ensure_alarm(saved)
        return store.info(saved)

    async def info(self) -> dict[str, Any] | None:
        """Settings and totals, or None if the conversation was never created (or was deleted)."""
        self._expire_if_idle(clock.now_ms())
        result = store.info(self._settings())
        return result if result["exists"] else None

    async def stats(self) -> dict[str, Any]:
        """Totals: messages, tokens (and whether estimated), cost; `exists` False if never created."""
        self._expire_if_idle(clock.now_ms())
        return store.info(self._settings())

    async def append(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """Add messages in order, atomically; the conversation is created with default settings if missing."""
        now_ms = clock.now_ms()
        self._expire_if_idle(now_ms)
        rows = [store.message_row(m) for m in messages]
        settings = self._settings()
        if settings is None:
            settings = store.write_settings(self._sql, store.merge_settings(None, {}), now_ms)
        store.insert_messages(self._sql, rows, now_ms, int(settings["msg_count"]))
        self._written()
        settings = self._settings() or settings  # re-read: insert_messages moved the counts
        await self._ensure_alarm(settings)
        return store.info(settings)

    async def history(self, budget_tokens: int | None = None) -> dict[str, Any]:
        """The messages to send next, system prompt first, trimmed oldest-first to `budget_tokens`."""
        now_ms = clock.now_ms()
        expired = self._expire_if_idle(now_ms)
        settings = self._settings()
        system = store.system_message(settings)
        system_tokens = estimate_message_tokens(system) if system else 0
        budget = None if budget_tokens is None else max(0, int(budget_tokens) - system_tokens)
        total = 0 if settings is None else int(settings["msg_count"])
        trimmed = trim_newest_first(store.newest_within(self._sql, budget), budget, total)
        messages = ([system] if system else []) + trimmed.messages
        return {
            "messages": messages,
            "tokens": trimmed.tokens + system_tokens,
            "dropped": trimmed.dropped,
            "expired": expired,
            "settings": store.public_settings(settings),
        }

    async def transcript(self, limit: int | None = None) -> dict[str, Any]:
        """Stored messages with their bookkeeping (seq, tokens, estimated, cost_usd, created_at), oldest first."""
        self._expire_if_idle(clock.now_ms())
        info = store.info(self._settings())
        return {**info, "total": info["messages"], "messages": store.transcript(self._sql, limit)}

    async def pop_reply(self) -> dict[str, Any]:
        """Remove the messages after the last user message (the answer to regenerate)."""
        self._expire_if_idle(clock.now_ms())
        removed = store.pop_after_last_user(self._sql)
        self._written()
        return {"removed": removed}

    async def reset(self) -> dict[str, Any]:
        """Clear the messages, keep the settings."""
        store.clear_messages(self._sql, clock.now_ms())
        self._written()
        return store.info(self._settings())

    async def delete(self) -> dict[str, Any]:
        """Delete everything this conversation stored (and its alarm)."""
        existed = self._settings() is not None
        store.delete_all(self._sql)
        self._written()
        await self.ctx.storage.deleteAlarm()
        self._alarm_ms, self._alarm_known = None, True
        return {"deleted": bool(existed)}

    async def alarm(self, alarm_info: Any = None) -> None:
        """Expire the conversation if it is idle; otherwise re-arm for its new deadline."""
        self._alarm_ms, self._alarm_known = None, True
        now_ms = clock.now_ms()
        if self._expire_if_idle(now_ms):
            return
        settings = self._settings()
        if settings is not None:
            await self._ensure_alarm(settings)
