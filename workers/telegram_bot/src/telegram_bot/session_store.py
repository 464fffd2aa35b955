"""The chat object's own tables: received updates (queue and duplicate memory) and small settings.

Telegram redelivers an update until it gets a 2xx, and may deliver one chat's updates over several
connections at once. Each update is stored once by `update_id` (a repeat is recognised and
dropped) and processed in `update_id` order. Processed ids are remembered for `REMEMBER_MS` (two
days: Telegram gives up on an update after one) and at most `REMEMBER_COUNT` of them. Each update
keeps the `traceparent` of the webhook request that delivered it, so handling it later continues
that trace.
"""

from __future__ import annotations

import json
from typing import Any

REMEMBER_MS = 2 * 86_400_000
REMEMBER_COUNT = 1000
SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    update_id INTEGER PRIMARY KEY,
    body TEXT,
    received_ms INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    traceparent TEXT
);
CREATE INDEX IF NOT EXISTS updates_done ON updates (done, update_id);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def migrate(sql: Any) -> None:
    """Bring a table made by an earlier version up to date (the `traceparent` column came later)."""
    columns = {row["name"] for row in sql.exec("PRAGMA table_info(updates)").toArray()}
    if "traceparent" not in columns:
        sql.exec("ALTER TABLE updates ADD COLUMN traceparent TEXT")


def record(sql: Any, update_id: int, body: str, now_ms: int, traceparent: str | None = None) -> bool:
    """Store an update (its JSON text) for processing; False if this `update_id` was seen before."""
    inserted = sql.exec(
        "INSERT INTO updates (update_id, body, received_ms, traceparent) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
        update_id,
        body,
        now_ms,
        traceparent,
    ).toArray()
    return len(inserted) > 0


def next_pending(sql: Any) -> tuple[int, dict[str, Any], str | None] | None:
    """The oldest unprocessed update (id, update, the traceparent it came with), or None."""
    rows = sql.exec(
        "SELECT update_id, body, traceparent FROM updates WHERE done = 0 ORDER BY update_id LIMIT 1"
    ).toArray()
    if not rows:
        return None
    row = rows[0]
    return int(row["update_id"]), json.loads(row["body"]), row["traceparent"]


def count_pending(sql: Any) -> int:
    return int(sql.exec("SELECT COUNT(*) AS n FROM updates WHERE done = 0").one()["n"])


def mark_done(sql: Any, update_id: int, now_ms: int) -> None:
    """Keep only the id of a processed update (for duplicates), and forget old ones."""
    sql.exec("UPDATE updates SET done = 1, body = NULL, traceparent = NULL WHERE update_id = ?", update_id)
    sql.exec("DELETE FROM updates WHERE done = 1 AND received_ms < ?", now_ms - REMEMBER_MS)
    sql.exec(
        "DELETE FROM updates WHERE done = 1 AND update_id <= "
        "(SELECT update_id FROM updates WHERE done = 1 ORDER BY update_id DESC LIMIT 1 OFFSET ?)",
        REMEMBER_COUNT,
    )


def get_setting(sql: Any, key: str) -> Any:
    rows = sql.exec("SELECT value FROM settings WHERE key = ?", key).toArray()
    return json.loads(rows[0]["value"]) if rows else None


def set_setting(sql: Any, key: str, value: Any) -> None:
    sql.exec(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        key,
        json.dumps(value, separators=(",", ":")),
    )
