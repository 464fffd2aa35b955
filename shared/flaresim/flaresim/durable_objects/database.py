"""One Durable Object's SQLite database, set up with workerd's limits and access rules.

Each object owns one file (`<state>/do/<script>/<class>/<id>.sqlite3`, or memory without a state
dir) and one connection kept open while the object is known, so storage calls cost one prepared
statement each. Key-value data lives in `_cf_KV` and the alarm in `_cf_METADATA`, the tables
workerd uses; user SQL may not touch names starting with `_cf_`, may not open transactions and
may only run a short list of pragmas, as in production.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flaresim.durable_objects.values import js_error

# workerd's limits (`SqliteDatabase::setupSecurity`); row and string size per the platform docs.
MAX_ROW_BYTES = 2 * 1024 * 1024
MAX_STATEMENT_BYTES = 100_000
MAX_BOUND_PARAMETERS = 100
MAX_COLUMNS = 100

_RESERVED_PREFIX = "_cf_"
_ALARM_KEY = 1
_RETRY_KEY = 1001  # flaresim's own row: how many times the pending alarm has been retried

TRANSACTION_REFUSED = (
    "To execute a transaction, please use the state.storage.transaction() or "
    "state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT "
    "statements. The JavaScript API is safer because it will automatically roll back on "
    "exceptions, and because it interacts correctly with Durable Objects' automatic atomic "
    "write coalescing."
)

_ALLOWED_PRAGMAS = {
    "data_version": "none",
    "page_size": "none",
    "case_sensitive_like": "bool",
    "foreign_keys": "bool",
    "defer_foreign_keys": "bool",
    "ignore_check_constraints": "bool",
    "legacy_alter_table": "bool",
    "recursive_triggers": "bool",
    "reverse_unordered_selects": "bool",
    "foreign_key_check": "name?",
    "foreign_key_list": "name",
    "index_info": "name",
    "index_list": "name",
    "index_xinfo": "name",
    "quick_check": "any",
    "optimize": "any",
    "table_list": "any",
    "table_info": "name",
    "table_xinfo": "name",
}
_BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0"})
_TEMP_ACTIONS = frozenset(
    {
        sqlite3.SQLITE_CREATE_TEMP_TABLE,
        sqlite3.SQLITE_DROP_TEMP_TABLE,
        sqlite3.SQLITE_CREATE_TEMP_INDEX,
        sqlite3.SQLITE_DROP_TEMP_INDEX,
        sqlite3.SQLITE_CREATE_TEMP_TRIGGER,
        sqlite3.SQLITE_DROP_TEMP_TRIGGER,
        sqlite3.SQLITE_CREATE_TEMP_VIEW,
        sqlite3.SQLITE_DROP_TEMP_VIEW,
        sqlite3.SQLITE_ATTACH,
        sqlite3.SQLITE_DETACH,
    }
)
_NAMED_ACTIONS = frozenset(
    {
        sqlite3.SQLITE_CREATE_TABLE,
        sqlite3.SQLITE_DELETE,
        sqlite3.SQLITE_DROP_TABLE,
        sqlite3.SQLITE_INSERT,
        sqlite3.SQLITE_CREATE_VIEW,
        sqlite3.SQLITE_DROP_VIEW,
        sqlite3.SQLITE_REINDEX,
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_UPDATE,
        sqlite3.SQLITE_ALTER_TABLE,
    }
)
_VIRTUAL_TABLE_MODULES = frozenset({"fts5", "fts5vocab", "rtree", "rtree_i32"})


def _allowed_name(name: str | None) -> bool:
    return name is None or not name.startswith(_RESERVED_PREFIX)


def _allowed_pragma(name: str, argument: str | None) -> bool:
    signature = _ALLOWED_PRAGMAS.get(name.lower())
    if signature is None:
        return False
    if signature == "none":
        return argument is None
    if signature == "bool":
        return argument is None or argument.strip("'\"").lower() in _BOOLEAN_WORDS
    if signature == "name":
        return argument is not None and _allowed_name(argument)
    return _allowed_name(argument)


def sql_error(error: sqlite3.Error) -> Exception:
    """A SQLite failure worded as workerd words it: `<sqlite message>: SQLITE_<CODE>`."""
    code = getattr(error, "sqlite_errorname", None)
    text = str(error)
    if isinstance(error, sqlite3.ProgrammingError) and text.startswith("Incorrect number of bindings"):
        return js_error("Wrong number of parameter bindings for SQL query.")
    if text == "query string is too large":
        return js_error("statement too long: SQLITE_TOOBIG")
    return js_error(f"{text}: {code}" if code else text)


class ObjectDatabase:
    """The SQLite database of one Durable Object, with trusted (internal) and user access."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.transaction_depth = 0
        self.refused_transaction = False
        self._trusted = False
        self._open()

    def _open(self) -> None:
        if self.path is None:
            connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, cached_statements=256
            )
            connection.execute("PRAGMA journal_mode=WAL")
            # A development runtime can lose the last commits on a power cut; skipping fsync per
            # statement keeps storage calls cheap.
            connection.execute("PRAGMA synchronous=NORMAL")
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_ROW_BYTES)
        connection.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_STATEMENT_BYTES)
        connection.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, MAX_COLUMNS)
        connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, MAX_BOUND_PARAMETERS)
        connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        connection.setlimit(sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, 10)
        connection.set_authorizer(self._authorize)
        self.connection = connection
        tables = {row[0] for row in self.run("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self._kv_ready = "_cf_KV" in tables
        self._metadata_ready = "_cf_METADATA" in tables

    def close(self) -> None:
        self.connection.close()

    # -- access control ----------------------------------------------------------------------

    def _authorize(self, action: int, arg1: str | None, arg2: str | None, database: str | None, _trigger: Any) -> int:
        if self._trusted:
            return sqlite3.SQLITE_OK
        allowed = self._user_may(action, arg1, arg2, database)
        return sqlite3.SQLITE_OK if allowed else sqlite3.SQLITE_DENY

    def _user_may(self, action: int, arg1: str | None, arg2: str | None, database: str | None) -> bool:
        if database not in (None, "main"):
            return False
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            self.refused_transaction = True
            return False
        if action in _NAMED_ACTIONS:
            return _allowed_name(arg1) and (action != sqlite3.SQLITE_ALTER_TABLE or _allowed_name(arg2))
        if action in (sqlite3.SQLITE_CREATE_INDEX, sqlite3.SQLITE_DROP_INDEX):
            return _allowed_name(arg1) and _allowed_name(arg2)
        if action in (sqlite3.SQLITE_CREATE_TRIGGER, sqlite3.SQLITE_DROP_TRIGGER):
            return _allowed_name(arg1) and _allowed_name(arg2)
        if action == sqlite3.SQLITE_PRAGMA:
            return _allowed_pragma(arg1 or "", arg2)
        if action in (sqlite3.SQLITE_CREATE_VTABLE, sqlite3.SQLITE_DROP_VTABLE):
            return (arg2 or "").lower() in _VIRTUAL_TABLE_MODULES and _allowed_name(arg1)
        return action not in _TEMP_ACTIONS

    def run(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        """Run flaresim's own statement (allowed to touch `_cf_` tables)."""
        self._trusted = True
        try:
            return self.connection.execute(sql, parameters)
        finally:
            self._trusted = False

    def user_execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        """Run one statement of user SQL under production's access rules."""
        self.refused_transaction = False
        try:
            return self.connection.execute(sql, parameters)
        except sqlite3.Error as error:
            if self.refused_transaction:
                raise js_error(TRANSACTION_REFUSED) from None
            raise sql_error(error) from None

    # -- key-value table -----------------------------------------------------------------------

    def _ensure_kv(self) -> None:
        if not self._kv_ready:
            self.run("CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID")
            self._kv_ready = True

    def kv_get(self, key: str) -> bytes | None:
        if not self._kv_ready:
            return None
        row = self.run("SELECT value FROM _cf_KV WHERE key = ?", (key,)).fetchone()
        return row[0] if row is not None else None

    def kv_put(self, key: str, blob: bytes) -> None:
        if len(blob) + len(key.encode()) > MAX_ROW_BYTES:
            raise js_error("string or blob too big: SQLITE_TOOBIG")
        self._ensure_kv()
        try:
            self.run("INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)", (key, blob))
        except sqlite3.DataError as error:
            raise sql_error(error) from None

    def kv_delete(self, key: str) -> bool:
        if not self._kv_ready:
            return False
        return self.run("DELETE FROM _cf_KV WHERE key = ?", (key,)).rowcount > 0

    def kv_list(
        self, start: str | None, end: str | None, reverse: bool, limit: int | None
    ) -> Iterator[tuple[str, bytes]]:
        if not self._kv_ready:
            return iter(())
        clauses: list[str] = []
        parameters: list[Any] = []
        if start is not None:
            clauses.append("key >= ?")
            parameters.append(start)
        if end is not None:
            clauses.append("key < ?")
            parameters.append(end)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "DESC" if reverse else "ASC"
        tail = " LIMIT ?" if limit is not None else ""
        if limit is not None:
            parameters.append(limit)
        return iter(self.run(f"SELECT key, value FROM _cf_KV{where} ORDER BY key {order}{tail}", parameters))

    def kv_count(self) -> int:
        if not self._kv_ready:
            return 0
        return self.run("SELECT count(*) FROM _cf_KV").fetchone()[0]

    # -- metadata (alarm) ----------------------------------------------------------------------

    def _ensure_metadata(self) -> None:
        if not self._metadata_ready:
            self.run("CREATE TABLE IF NOT EXISTS _cf_METADATA (key INTEGER PRIMARY KEY, value BLOB)")
            self._metadata_ready = True

    def get_alarm(self) -> tuple[int, int] | None:
        """The stored alarm time (epoch ms) and its retry count, if an alarm is set."""
        if not self._metadata_ready:
            return None
        rows = dict(self.run("SELECT key, value FROM _cf_METADATA WHERE key IN (?, ?)", (_ALARM_KEY, _RETRY_KEY)))
        if _ALARM_KEY not in rows:
            return None
        return int(rows[_ALARM_KEY]), int(rows.get(_RETRY_KEY, 0))

    def set_alarm(self, when_ms: int | None, retry: int = 0) -> None:
        if when_ms is None:
            if self._metadata_ready:
                self.run("DELETE FROM _cf_METADATA WHERE key IN (?, ?)", (_ALARM_KEY, _RETRY_KEY))
            return
        self._ensure_metadata()
        self.run(
            "INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES (?, ?), (?, ?)",
            (_ALARM_KEY, when_ms, _RETRY_KEY, retry),
        )

    # -- whole database ------------------------------------------------------------------------

    def begin_savepoint(self, name: str) -> str:
        label = f"{name}_{self.transaction_depth}"
        self.run(f"SAVEPOINT {label}")
        self.transaction_depth += 1
        return label

    def end_savepoint(self, label: str, *, commit: bool) -> None:
        self.transaction_depth -= 1
        if not commit:
            self.run(f"ROLLBACK TO {label}")
        self.run(f"RELEASE {label}")

    @contextmanager
    def savepoint(self, name: str) -> Iterator[None]:
        """Run the block in a savepoint: released on success, rolled back if it raises."""
        label = self.begin_savepoint(name)
        try:
            yield
        except BaseException:
            self.end_savepoint(label, commit=False)
            raise
        self.end_savepoint(label, commit=True)

    def delete_all(self) -> None:
        """Wipe the whole database: KV data, SQL tables and the alarm (compat >= 2026-02-24)."""
        if self.transaction_depth:
            raise js_error("Cannot call deleteAll() within a transaction")
        self.connection.close()
        if self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        self._open()

    def size_bytes(self) -> int:
        pages = self.run("SELECT (SELECT * FROM pragma_page_count) - (SELECT * FROM pragma_freelist_count)")
        page_size = self.run("PRAGMA page_size").fetchone()[0]
        return pages.fetchone()[0] * page_size


def read_persisted_alarm(path: Path) -> tuple[int, int] | None:
    """The alarm stored in an object's database file, without keeping the file open."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        has_table = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_cf_METADATA'"
        ).fetchone()
        if not has_table:
            return None
        rows = dict(
            connection.execute("SELECT key, value FROM _cf_METADATA WHERE key IN (?, ?)", (_ALARM_KEY, _RETRY_KEY))
        )
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    if _ALARM_KEY not in rows:
        return None
    return int(rows[_ALARM_KEY]), int(rows.get(_RETRY_KEY, 0))
