"""The Conversation object's SQL: schema, rows and queries (synchronous `ctx.storage.sql` calls).

Settings are one row; messages one row each, in order of `seq`. Content that is not a string
(a list of content parts) is stored as JSON and flagged. `cum_tokens` is the running total of
tokens at each message (it only grows, like `seq`), so "the newest messages within N tokens" is an
index range, read without touching older rows. Costs are integers of nano-USD so sums
are exact. At most `MAX_MESSAGES` are kept; older ones are deleted and counted in `trimmed`.
The settings row also carries the message totals (count, tokens, estimated count, cost), added to
on each append and recounted after the rare deletions, so stats never scan the messages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flarekit.conversation.history import MESSAGE_FIELDS, ROLES
from flarekit.tokens import estimate_message_tokens

SCHEMA = """
CREATE TABLE IF NOT EXISTS conv_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1), system_prompt TEXT, model TEXT, metadata TEXT NOT NULL,
    idle_ttl INTEGER, on_idle TEXT NOT NULL, created_ms INTEGER NOT NULL, last_active_ms INTEGER NOT NULL,
    trimmed INTEGER NOT NULL DEFAULT 0, msg_count INTEGER NOT NULL DEFAULT 0, tokens_total INTEGER NOT NULL DEFAULT 0,
    estimated_count INTEGER NOT NULL DEFAULT 0, cost_total INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS conv_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, content TEXT, content_json INTEGER NOT NULL,
    extra TEXT, tokens INTEGER NOT NULL, estimated INTEGER NOT NULL, cost_nusd INTEGER NOT NULL,
    created_ms INTEGER NOT NULL, cum_tokens INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS conv_messages_cum ON conv_messages (cum_tokens);
"""
MAX_MESSAGES = 1000
# A Durable Object row holds at most 2 MB; leave room for the other columns.
MAX_CONTENT_BYTES = 1_000_000
MAX_METADATA_BYTES = 16_384
ON_IDLE = ("clear", "delete")
SETTING_DEFAULTS: dict[str, Any] = {
    "system_prompt": None,
    "model": None,
    "metadata": {},
    "idle_ttl": None,
    "on_idle": "clear",
}
NANO = 1_000_000_000

Sql = Any  # the SqlStorage binding: exec(query, *params) -> cursor with toArray()/one()


def merge_settings(existing: Mapping[str, Any] | None, updates: Mapping[str, Any]) -> dict[str, Any]:
    """Existing settings (or defaults) with `updates` applied; unknown or bad fields raise ValueError."""
    unknown = set(updates) - set(SETTING_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown conversation setting(s): {', '.join(sorted(unknown))}")
    merged = {k: (existing or SETTING_DEFAULTS).get(k, v) for k, v in SETTING_DEFAULTS.items()}
    merged.update(updates)
    ttl = merged["idle_ttl"]
    if ttl is not None and (not isinstance(ttl, (int, float)) or ttl <= 0):
        raise ValueError(f"idle_ttl must be a number of seconds > 0 or None, got {ttl!r}")
    if merged["on_idle"] not in ON_IDLE:
        raise ValueError(f"on_idle must be one of {ON_IDLE}, got {merged['on_idle']!r}")
    if merged["metadata"] is None:
        merged["metadata"] = {}
    if len(json.dumps(merged["metadata"])) > MAX_METADATA_BYTES:
        raise ValueError(f"conversation metadata is larger than {MAX_METADATA_BYTES} bytes")
    return merged


def read_settings(sql: Sql) -> dict[str, Any] | None:
    """The settings row as a dict (with its bookkeeping and totals columns), or None."""
    rows = sql.exec(
        "SELECT system_prompt, model, metadata, idle_ttl, on_idle, created_ms, last_active_ms, trimmed, msg_count, "
        "tokens_total, estimated_count, cost_total FROM conv_settings WHERE id = 1"
    ).toArray()
    if not rows:
        return None
    row = dict(rows[0])
    row["metadata"] = json.loads(row["metadata"])
    return row


def write_settings(sql: Sql, settings: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
    """Store settings (creating the row, or keeping its creation time), marking the conversation active."""
    sql.exec(
        "INSERT INTO conv_settings (id, system_prompt, model, metadata, idle_ttl, on_idle, created_ms, last_active_ms) "
        "VALUES (1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET system_prompt = excluded.system_prompt, "
        "model = excluded.model, metadata = excluded.metadata, idle_ttl = excluded.idle_ttl, "
        "on_idle = excluded.on_idle, last_active_ms = excluded.last_active_ms",
        settings["system_prompt"],
        settings["model"],
        json.dumps(settings["metadata"], separators=(",", ":")),
        None if settings["idle_ttl"] is None else int(settings["idle_ttl"]),
        settings["on_idle"],
        now_ms,
        now_ms,
    )
    return read_settings(sql) or {}


def public_settings(settings: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The settings as callers see them (no bookkeeping columns)."""
    if settings is None:
        return None
    return {k: settings[k] for k in SETTING_DEFAULTS}


def system_message(settings: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The system prompt as the first chat message, if one is set."""
    if settings and settings.get("system_prompt"):
        return {"role": "system", "content": settings["system_prompt"]}
    return None


def is_idle(settings: Mapping[str, Any], now_ms: int) -> bool:
    """Whether the conversation has been inactive longer than its idle TTL."""
    deadline = idle_deadline_ms(settings)
    return deadline is not None and now_ms > deadline


def idle_deadline_ms(settings: Mapping[str, Any]) -> int | None:
    """When the conversation becomes idle (epoch ms), or None if it never expires."""
    ttl = settings.get("idle_ttl")
    return None if ttl is None else int(settings["last_active_ms"]) + int(ttl * 1000)


def message_row(message: Mapping[str, Any]) -> tuple[Any, ...]:
    """Validate one incoming message and build its row values (role, content, json flag, extra, tokens, estimated, cost)."""
    role = message.get("role")
    if role not in ROLES:
        raise ValueError(f"message role must be one of {sorted(ROLES)}, got {role!r}")
    content = message.get("content")
    if content is None or isinstance(content, str):
        stored, is_json = content, 0
    elif isinstance(content, list):
        stored, is_json = json.dumps(content, separators=(",", ":")), 1
    else:
        raise ValueError(f"message content must be a string, a list of parts or null, got {type(content).__name__}")
    if stored is not None and len(stored) > MAX_CONTENT_BYTES:
        raise ValueError(f"message content is larger than {MAX_CONTENT_BYTES} characters")
    extra = {k: message[k] for k in MESSAGE_FIELDS if message.get(k) is not None}
    chat_message = {"role": role, "content": content, **extra}
    tokens = message.get("tokens")
    estimated = tokens is None
    if estimated:
        tokens = estimate_message_tokens(chat_message)
    elif not isinstance(tokens, (int, float)) or isinstance(tokens, bool) or tokens < 0:
        raise ValueError(f"message tokens must be a number >= 0, got {tokens!r}")
    cost_nusd = round(float(message.get("cost_usd") or 0) * NANO)
    return (
        role,
        stored,
        is_json,
        json.dumps(extra, separators=(",", ":")) if extra else None,
        int(tokens),
        int(estimated),
        cost_nusd,
    )


def insert_messages(sql: Sql, rows: list[tuple[Any, ...]], now_ms: int, count_before: int) -> None:
    """Append rows, add them to the totals, mark the conversation active, keep at most MAX_MESSAGES."""
    for row in rows:
        sql.exec(
            "INSERT INTO conv_messages (role, content, content_json, extra, tokens, estimated, cost_nusd, created_ms, "
            "cum_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
            "COALESCE((SELECT cum_tokens FROM conv_messages ORDER BY seq DESC LIMIT 1), 0) + ?)",
            *row,
            now_ms,
            row[4],
        )
    sql.exec(
        "UPDATE conv_settings SET last_active_ms = ?, msg_count = msg_count + ?, tokens_total = tokens_total + ?, "
        "estimated_count = estimated_count + ?, cost_total = cost_total + ? WHERE id = 1",
        now_ms,
        len(rows),
        sum(row[4] for row in rows),
        sum(row[5] for row in rows),
        sum(row[6] for row in rows),
    )
    over = count_before + len(rows) - MAX_MESSAGES
    if over > 0:
        # Subtract just the oldest rows' figures, then delete them (no scan of the whole history).
        sql.exec(
            "UPDATE conv_settings SET (msg_count, tokens_total, estimated_count, cost_total, trimmed) = "
            "(SELECT msg_count - COUNT(*), tokens_total - COALESCE(SUM(tokens), 0), "
            "estimated_count - COALESCE(SUM(estimated), 0), cost_total - COALESCE(SUM(cost_nusd), 0), trimmed + COUNT(*) "
            "FROM (SELECT tokens, estimated, cost_nusd FROM conv_messages ORDER BY seq LIMIT ?)) WHERE id = 1",
            over,
        )
        sql.exec("DELETE FROM conv_messages WHERE seq IN (SELECT seq FROM conv_messages ORDER BY seq LIMIT ?)", over)


def recount(sql: Sql) -> None:
    """Recompute the totals from the messages (after deleting some)."""
    sql.exec(
        "UPDATE conv_settings SET (msg_count, tokens_total, estimated_count, cost_total) = "
        "(SELECT COUNT(*), COALESCE(SUM(tokens), 0), COALESCE(SUM(estimated), 0), COALESCE(SUM(cost_nusd), 0) "
        "FROM conv_messages) WHERE id = 1"
    )


def _chat_message(row: Mapping[str, Any]) -> dict[str, Any]:
    content = row["content"]
    message = {"role": row["role"], "content": json.loads(content) if row["content_json"] else content}
    if row["extra"]:
        message.update(json.loads(row["extra"]))
    return message


def newest_within(sql: Sql, budget: int | None) -> list[tuple[dict[str, Any], int]]:
    """`[(message, tokens)]` newest first: the newest messages whose tokens add up to at most `budget`
    (all if None).

    The budget becomes a range of `cum_tokens`, so only the rows that fit are read: every row that
    crosses the SQL API costs CPU in production, and a history may hold 1,000 messages.
    """
    if budget is None:
        rows = sql.exec(f"SELECT {_HISTORY_COLUMNS} FROM conv_messages ORDER BY seq DESC").toArray()
    else:
        rows = sql.exec(
            f"SELECT {_HISTORY_COLUMNS} FROM conv_messages WHERE cum_tokens > "
            "(SELECT cum_tokens FROM conv_messages ORDER BY seq DESC LIMIT 1) - ? ORDER BY seq DESC",
            int(budget),
        ).toArray()
    return [(_chat_message(row), int(row["tokens"])) for row in rows]


_HISTORY_COLUMNS = "role, content, content_json, extra, tokens"


def transcript(sql: Sql, limit: int | None) -> list[dict[str, Any]]:
    """The last `limit` messages (all if None), oldest first, with their bookkeeping."""
    rows = sql.exec(
        "SELECT seq, role, content, content_json, extra, tokens, estimated, cost_nusd, created_ms FROM conv_messages "
        "ORDER BY seq DESC LIMIT ?",
        -1 if limit is None else int(limit),
    ).toArray()
    out = []
    for row in reversed(rows):
        message = _chat_message(row)
        message.update(
            seq=int(row["seq"]),
            tokens=int(row["tokens"]),
            estimated=bool(row["estimated"]),
            cost_usd=int(row["cost_nusd"]) / NANO,
            created_at=int(row["created_ms"]) / 1000,
        )
        out.append(message)
    return out


def info(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Whether the conversation exists, its settings and its totals (all from the settings row)."""
    if settings is None:
        return {
            "exists": False,
            "settings": None,
            "messages": 0,
            "tokens": 0,
            "tokens_estimated": False,
            "cost_usd": 0.0,
            "created_at": None,
            "last_active": None,
            "trimmed": 0,
        }
    return {
        "exists": True,
        "settings": public_settings(settings),
        "messages": int(settings["msg_count"]),
        "tokens": int(settings["tokens_total"]),
        "tokens_estimated": int(settings["estimated_count"]) > 0,
        "cost_usd": int(settings["cost_total"]) / NANO,
        "created_at": settings["created_ms"] / 1000,
        "last_active": settings["last_active_ms"] / 1000,
        "trimmed": int(settings["trimmed"]),
    }


def clear_messages(sql: Sql, now_ms: int) -> None:
    """Delete all messages; the conversation (if any) counts as active from `now_ms`."""
    sql.exec("DELETE FROM conv_messages")
    sql.exec(
        "UPDATE conv_settings SET last_active_ms = ?, msg_count = 0, tokens_total = 0, estimated_count = 0, "
        "cost_total = 0 WHERE id = 1",
        now_ms,
    )


def delete_all(sql: Sql) -> None:
    """Delete the settings and every message."""
    sql.exec("DELETE FROM conv_messages")
    sql.exec("DELETE FROM conv_settings")


def pop_after_last_user(sql: Sql) -> int:
    """Delete the messages after the last user message; how many were deleted."""
    row = sql.exec(
        "SELECT COUNT(*) AS n FROM conv_messages WHERE seq > (SELECT COALESCE(MAX(seq), 0) FROM conv_messages WHERE role = 'user')"
    ).one()
    removed = int(row["n"])
    if removed:
        sql.exec(
            "DELETE FROM conv_messages WHERE seq > (SELECT COALESCE(MAX(seq), 0) FROM conv_messages WHERE role = 'user')"
        )
        recount(sql)
    return removed
