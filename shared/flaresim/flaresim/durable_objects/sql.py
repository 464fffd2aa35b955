"""`ctx.storage.sql`: `exec(query, *bindings)` and its cursor, with workerd's rules and messages.

- Several statements may be given in one string; only the last may have bindings and the cursor
  reads the last one (earlier ones run at once).
- Rows are `JsDict`s; numbers come back as JS numbers do (whole numbers as int), BLOBs as
  `memoryview`; `raw()` gives lists.
- `one()` fails unless there is exactly one row; `BEGIN`/`SAVEPOINT` are refused (use
  `transactionSync`); more than 100 bindings or a statement over 100 KB fail as in production.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flaresim.durable_objects.database import MAX_STATEMENT_BYTES, sql_error
from flaresim.durable_objects.values import js_error, sql_binding, sql_result
from flaresim.rpc_values import JsDict

if TYPE_CHECKING:
    from flaresim.durable_objects.storage import DurableObjectStorage

_SPLIT_CACHE_SIZE = 256
_split_cache: OrderedDict[str, tuple[str, ...]] = OrderedDict()

NOT_SQLITE_BACKED = (
    "This Durable Object is not backed by SQLite storage, so the SQL API is not available. "
    "SQL can be enabled on a new Durable Object class by using the `new_sqlite_classes` "
    "instead of `new_classes` under `[[migrations]]` in your wrangler.toml, but an "
    "already-deployed class cannot be converted to SQLite (except by deleting the existing "
    "data)."
)
ONE_BUT_NONE = "Expected exactly one result from SQL query, but got no results."
ONE_BUT_MANY = "Expected exactly one result from SQL query, but got multiple results."
MULTI_WITH_BINDINGS = (
    "When executing multiple SQL statements in a single call, only the last statement can have parameters."
)


def split_statements(query: str) -> tuple[str, ...]:
    """The statements of `query` in order (a string without `;` is one statement)."""
    if ";" not in query:
        return (query,)
    cached = _split_cache.get(query)
    if cached is not None:
        _split_cache.move_to_end(query)
        return cached
    statements: list[str] = []
    start = 0
    position = query.find(";")
    while position != -1:
        candidate = query[start : position + 1]
        # A `;` inside a string, a comment or a trigger body does not end the statement.
        if sqlite3.complete_statement(candidate):
            if candidate.strip(" \t\r\n\f\v;"):
                statements.append(candidate)
            start = position + 1
        position = query.find(";", position + 1)
    tail = query[start:]
    if tail.strip() or not statements:
        statements.append(tail)
    result = tuple(statements)
    _split_cache[query] = result
    if len(_split_cache) > _SPLIT_CACHE_SIZE:
        _split_cache.popitem(last=False)
    return result


class SqlCursor:
    """A `SqlStorageCursor`: iterate it, or `toArray()`, `one()`, `raw()`, `next()`."""

    def __init__(self, cursor: sqlite3.Cursor, is_select: bool) -> None:
        self._cursor = cursor
        description = cursor.description
        self.columnNames: list[str] = [column[0] for column in description] if description else []
        self._rows_read = 0
        written = cursor.rowcount if not description and cursor.rowcount > 0 else 0
        self._rows_written = written
        # UPDATE and DELETE read the rows they change; flaresim cannot see SQLite's own counters.
        self._rows_read_base = written if not is_select else 0
        self._done = not description

    @property
    def rowsRead(self) -> int:  # noqa: N802 - JS name
        return self._rows_read_base + self._rows_read

    @property
    def rowsWritten(self) -> int:  # noqa: N802 - JS name
        return self._rows_written

    def _next_values(self) -> list[Any] | None:
        if self._done:
            return None
        try:
            row = self._cursor.fetchone()
        except sqlite3.Error as error:
            self._done = True
            raise sql_error(error) from None
        if row is None:
            self._done = True
            return None
        self._rows_read += 1
        return [sql_result(value) for value in row]

    def _next_row(self) -> JsDict | None:
        values = self._next_values()
        if values is None:
            return None
        return JsDict(zip(self.columnNames, values, strict=True))

    def __iter__(self) -> Iterator[JsDict]:
        while (row := self._next_row()) is not None:
            yield row

    def next(self) -> JsDict:
        row = self._next_row()
        return JsDict(done=row is None, value=row)

    def toArray(self) -> list[JsDict]:  # noqa: N802 - JS name
        return list(self)

    def one(self) -> JsDict:
        row = self._next_row()
        if row is None:
            raise js_error(ONE_BUT_NONE)
        if self._next_values() is not None:
            self._done = True
            raise js_error(ONE_BUT_MANY)
        return row

    def raw(self) -> RawCursor:
        return RawCursor(self)


class RawCursor:
    """`cursor.raw()`: the same rows as lists of values."""

    def __init__(self, cursor: SqlCursor) -> None:
        self._cursor = cursor
        self.columnNames = cursor.columnNames

    def __iter__(self) -> Iterator[list[Any]]:
        while (values := self._cursor._next_values()) is not None:
            yield values

    def next(self) -> JsDict:
        values = self._cursor._next_values()
        return JsDict(done=values is None, value=values)

    def toArray(self) -> list[list[Any]]:  # noqa: N802 - JS name
        return list(self)


class SqlStorage:
    """`ctx.storage.sql` of a SQLite-backed Durable Object."""

    def __init__(self, storage: DurableObjectStorage) -> None:
        self._storage = storage

    def exec(self, query: str, *bindings: Any) -> SqlCursor:
        storage = self._storage
        if not storage.sqlite_backed:
            raise js_error(NOT_SQLITE_BACKED)
        if not isinstance(query, str):
            raise js_error(
                "Failed to execute 'exec' on 'SqlStorage': parameter 1 is not of type 'string'.", "TypeError"
            )
        if len(query) * 4 > MAX_STATEMENT_BYTES and len(query.encode()) > MAX_STATEMENT_BYTES:
            raise js_error("statement too long: SQLITE_TOOBIG")
        database = storage.database
        statements = split_statements(query)
        for statement in statements[:-1]:
            try:
                database.user_execute(statement).close()
            except Exception as error:
                if getattr(error, "message", "").startswith("Wrong number of parameter bindings"):
                    raise js_error(MULTI_WITH_BINDINGS) from None
                raise
        last = statements[-1]
        parameters = [sql_binding(value) for value in bindings]
        cursor = database.user_execute(last, parameters)
        return SqlCursor(cursor, is_select=bool(cursor.description))

    @property
    def databaseSize(self) -> int:  # noqa: N802 - JS name
        if not self._storage.sqlite_backed:
            raise js_error(NOT_SQLITE_BACKED)
        return self._storage.database.size_bytes()
