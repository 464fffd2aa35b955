"""The chat object's own tables: received updates (queue and duplicate memory) and small settings.

Telegram redelivers an update until it gets a 2xx, and may deliver one chat's updates over several
connections at once. Each update is stored once by `update_id` (a repeat is recognised and
dropped) and processed in `update_id` order. Processed ids are remembered for `REMEMBER_MS` (two
days: Telegram gives up on an update after one) and at most `REMEMBER_COUNT` of them.
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
    done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS updates_done ON updates (done, update_id);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def record(sql: Any, update_id: int, body: str, now_ms: int) -> bool:
    """Store an update (its JSON text) for processing; False if this `update_id` was seen before."""
    inserted = sql.exec(
        "INSERT INTO updates (update_id, body, received_ms) VALUES (?, ?, ?) "
        "ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
        update_id,
        body,
        now_ms,
    ).toArray()
    return len(inserted) > 0


def next_pending(sql: Any) -> tuple[int, dict[str, Any]] | None:
    """The oldest unprocessed update, or None."""
    rows = sql.exec("SELECT update_id, body FROM updates WHERE done = 0 ORDER BY update_id LIMIT 1").toArray()
    if not rows:
        return None
    return int(rows[0]["update_id"]), json.loads(rows[0]["body"])


def count_pending(sql: Any) -> int:
    return int(sql.exec("SELECT COUNT(*) AS n FROM updates WHERE done = 0").one()["n"])


def mark_done(sql: Any, update_id: int, now_ms: int) -> None:
    """Keep only the id of a processed update (for duplicates), and forget old ones."""
    sql.exec("UPDATE updates SET done = 1, body = NULL WHERE update_id = ?", update_id)
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
