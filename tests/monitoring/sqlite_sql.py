"""A sqlite3 stand-in for a Durable Object's `ctx.storage.sql`, for store tests on CPython."""

from __future__ import annotations

import sqlite3
from typing import Any


class Cursor:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows

    def toArray(self) -> list[dict[str, Any]]:
        return self._rows

    def one(self) -> dict[str, Any]:
        if len(self._rows) != 1:
            raise RuntimeError(f"Expected exactly one result from SQL query, but got {len(self._rows)}.")
        return self._rows[0]


class SqliteSql:
    """`exec(query, *params)` over an in-memory database, rows as dicts, as `storage.sql` returns."""

    PARAMS_LIMIT = 100  # Durable Object SQL refuses more bound parameters than this

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:", isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.statements = 0

    def exec(self, query: str, *params: Any) -> Cursor:
        if len(params) > self.PARAMS_LIMIT:
            raise RuntimeError(f"too many SQL variables ({len(params)})")
        self.statements += 1
        rows = self.db.execute(query, params).fetchall()
        return Cursor([dict(row) for row in rows])
