"""The chat's outbound queue: Bot API calls stored in the chat's Durable Object, delivered in order.

A message is written here before any attempt, so nothing is lost when an attempt fails or the
object is evicted; an alarm brings delivery back at the time the head of the queue is due. The head
blocks the rest, so a chat's messages arrive in the order they were queued even across a 429.

Per message: a 429 waits `retry_after` and does not count as a try (flood control is Telegram
asking us to slow down, up to MAX_FLOOD_WAITS times); 5xx and network errors are retried with
backoff, 3 tries in all; a 400 for the HTML is resent at once as plain text; any other refusal,
or a message out of tries, is logged and counted as failed and removed so the chat is not stuck.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from telegram_bot.bot_api import BotApi, BotApiError, EntityError, NotModified, RetryAfter, Transient

log = logging.getLogger("telegram_bot.outbox")

MAX_TRIES = 3
MAX_FLOOD_WAITS = 10
BACKOFF_MS = (1_000, 4_000)  # before the second and the third try
SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    method TEXT NOT NULL,
    params TEXT NOT NULL,
    plain TEXT,
    tries INTEGER NOT NULL DEFAULT 0,
    flood_waits INTEGER NOT NULL DEFAULT 0,
    due_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Outgoing:
    """One Bot API call to make, and the plain-text variant to fall back to if its HTML is refused."""

    method: str
    params: Mapping[str, Any]
    plain: Mapping[str, Any] | None = None


def bump(sql: Any, name: str, by: int = 1) -> None:
    """Add to a delivery counter (delivered, failed, plain_fallbacks, flood_waits, retries)."""
    sql.exec(
        "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
        name,
        by,
    )


def counters(sql: Any) -> dict[str, int]:
    return {row["name"]: int(row["value"]) for row in sql.exec("SELECT name, value FROM counters").toArray()}


def _dump(params: Mapping[str, Any] | None) -> str | None:
    return None if params is None else json.dumps(dict(params), separators=(",", ":"), ensure_ascii=False)


def enqueue(sql: Any, items: list[Outgoing], now_ms: int) -> None:
    """Queue calls after everything already queued for this chat."""
    for item in items:
        sql.exec(
            "INSERT INTO outbox (method, params, plain, due_ms) VALUES (?, ?, ?, ?)",
            item.method,
            _dump(item.params),
            _dump(item.plain),
            now_ms,
        )


def pending(sql: Any) -> int:
    return int(sql.exec("SELECT COUNT(*) AS n FROM outbox").one()["n"])


def _head(sql: Any) -> Any:
    rows = sql.exec(
        "SELECT seq, method, params, plain, tries, flood_waits, due_ms FROM outbox ORDER BY seq LIMIT 1"
    ).toArray()
    return rows[0] if rows else None


def _drop(sql: Any, row: Any, reason: str) -> None:
    sql.exec("DELETE FROM outbox WHERE seq = ?", row["seq"])
    bump(sql, "failed")
    log.error("telegram delivery failed for good: %s (%s)", row["method"], reason)


async def deliver(sql: Any, api: BotApi, now_ms: Callable[[], int]) -> int | None:
    """Send what is due, in order; returns when the head is next due (ms), or None when the queue is empty."""
    while True:
        row = _head(sql)
        if row is None:
            return None
        now = now_ms()
        if int(row["due_ms"]) > now:
            return int(row["due_ms"])
        seq = row["seq"]
        try:
            await api.call(row["method"], json.loads(row["params"]))
        except NotModified:
            pass  # the message already shows this text
        except RetryAfter as error:
            if int(row["flood_waits"]) >= MAX_FLOOD_WAITS:
                _drop(sql, row, f"still flood-limited after {MAX_FLOOD_WAITS} waits")
                continue
            due = now + int(error.retry_after * 1000)
            sql.exec("UPDATE outbox SET flood_waits = flood_waits + 1, due_ms = ? WHERE seq = ?", due, seq)
            bump(sql, "flood_waits")
            log.warning("telegram flood control: waiting %ss before %s", error.retry_after, row["method"])
            return due
        except Transient as error:
            tries = int(row["tries"]) + 1
            if tries >= MAX_TRIES:
                _drop(sql, row, f"{tries} tries, last: {error}")
                continue
            due = now + BACKOFF_MS[tries - 1]
            sql.exec("UPDATE outbox SET tries = ?, due_ms = ? WHERE seq = ?", tries, due, seq)
            bump(sql, "retries")
            log.warning("telegram call failed (%s), try %d of %d in %d ms", error, tries, MAX_TRIES, due - now)
            return due
        except EntityError as error:
            if row["plain"] is None:
                _drop(sql, row, str(error))
                continue
            sql.exec("UPDATE outbox SET params = plain, plain = NULL WHERE seq = ?", seq)
            bump(sql, "plain_fallbacks")
            log.warning("telegram refused the HTML (%s); sending plain text", error.description)
            continue
        except BotApiError as error:
            _drop(sql, row, str(error))
            continue
        sql.exec("DELETE FROM outbox WHERE seq = ?", seq)
        bump(sql, "delivered")
