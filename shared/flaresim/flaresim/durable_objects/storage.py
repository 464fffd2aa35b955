"""`ctx.storage`: the async key-value API, `storage.kv`, `storage.sql`, transactions and alarms.

The async methods do their work when called and return an already-finished coroutine, as the
SDK's wrapper does around workerd's storage promises: storage never lets another event in, a
`put` that is not awaited still happens (Python then warns that a coroutine was never awaited),
and argument errors are raised at the call. Keyword arguments become one trailing options dict,
as Pyodide passes them to JavaScript, so `list(prefix="a")` and `list({"prefix": "a"})` agree.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from flaresim.durable_objects.database import ObjectDatabase
from flaresim.durable_objects.sql import NOT_SQLITE_BACKED, SqlStorage
from flaresim.durable_objects.values import decode_value, encode_value, epoch_ms, js_error, js_key
from flaresim.rpc_values import JsDict

# Limits of Durable Objects backed by the older key-value store (classes in `new_classes`).
LEGACY_MAX_KEY_BYTES = 2048
LEGACY_MAX_VALUE_BYTES = 128 * 1024
LEGACY_MAX_PAIRS = 128

PUT_SHAPES = (
    "put() may only be called with a single key-value pair and optional options as put(key, value, options) "
    "or with multiple key-value pairs and optional options as put(entries, options)"
)


class StorageOwner(Protocol):
    """What storage needs from the object it belongs to (the clock and the alarm schedule)."""

    alarm_running: bool
    alarm_reset: bool

    def now_ms(self) -> int: ...

    def alarm_changed(self, when_ms: int | None, retry: int = 0) -> None: ...

    def check_can_set_alarm(self) -> None: ...

    def blocking(self) -> AbstractContextManager[None]: ...


async def _resolved(value: Any) -> Any:
    return value


def _js_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    # Pyodide passes Python keyword arguments to a JS function as one trailing object.
    return [*args, kwargs] if kwargs else list(args)


def _options(args: list[Any], index: int) -> dict[str, Any]:
    options = args[index] if len(args) > index else None
    return options if isinstance(options, dict) else {}


def _after_prefix(prefix: str) -> str | None:
    """The first string after every string that starts with `prefix` (None: no such string)."""
    chars = list(prefix)
    while chars and ord(chars[-1]) == 0x10FFFF:
        chars.pop()
    if not chars:
        return None
    following = ord(chars[-1]) + 1
    chars[-1] = chr(0xE000 if 0xD800 <= following <= 0xDFFF else following)
    return "".join(chars)


def list_range(options: dict[str, Any]) -> tuple[str, str | None, bool, int | None] | None:
    """(start, end, reverse, limit) of a `list()` call, or None when the range is empty."""
    start = options.get("start")
    start_after = options.get("startAfter")
    if start is not None and start_after is not None:
        raise js_error("list() cannot be called with both start and startAfter values.", "TypeError")
    first = js_key(start) if start is not None else ""
    if start_after is not None:
        first = js_key(start_after) + "\0"
    end = js_key(options["end"]) if options.get("end") is not None else None
    limit = options.get("limit")
    if limit is not None:
        limit = int(limit)
        if limit <= 0:
            raise js_error("List limit must be positive.", "TypeError")
    prefix = options.get("prefix")
    if prefix:
        prefix = js_key(prefix)
        if first < prefix:
            first = prefix
        elif not first.startswith(prefix):
            return None
        after = _after_prefix(prefix)
        if after is not None and (end is None or not end.startswith(prefix)):
            if end is not None and end <= prefix:
                return None
            end = after
    if end is not None and end <= first:
        return None
    return first, end, bool(options.get("reverse")), limit


class DurableObjectStorage:
    """`ctx.storage` of one Durable Object."""

    def __init__(self, database: ObjectDatabase, owner: StorageOwner, *, sqlite_backed: bool) -> None:
        self.database = database
        self.sqlite_backed = sqlite_backed
        self._owner = owner
        self.sql = SqlStorage(self)
        self.kv = SyncKvStorage(self)

    def __repr__(self) -> str:
        return "<DurableObjectStorage>"

    # -- the work behind both APIs ------------------------------------------------------------------

    def _check_legacy(self, key: str, blob: bytes | None = None) -> None:
        if self.sqlite_backed:
            return
        size = len(key.encode())
        if size > LEGACY_MAX_KEY_BYTES:
            raise js_error(
                f"Keys cannot be larger than {LEGACY_MAX_KEY_BYTES} bytes. A key of size {size} was provided.",
                "RangeError",
            )
        if blob is not None and len(blob) > LEGACY_MAX_VALUE_BYTES + 34:
            raise js_error(
                f"Values cannot be larger than {LEGACY_MAX_VALUE_BYTES} bytes. A value of size {len(blob)} was provided.",
                "RangeError",
            )

    def _check_pairs(self, count: int) -> None:
        if not self.sqlite_backed and count > LEGACY_MAX_PAIRS:
            raise js_error(
                f"Maximum number of key value pairs is {LEGACY_MAX_PAIRS}. {count} pairs were provided.", "RangeError"
            )

    def get_one(self, key: Any) -> Any:
        key = js_key(key)
        self._check_legacy(key)
        blob = self.database.kv_get(key)
        return decode_value(blob) if blob is not None else None

    def get_many(self, keys: list[Any]) -> JsDict:
        names = sorted({js_key(key) for key in keys})
        self._check_pairs(len(keys))
        found = JsDict()
        for name in names:
            self._check_legacy(name)
            blob = self.database.kv_get(name)
            if blob is not None:
                found[name] = decode_value(blob)
        return found

    def put_one(self, key: Any, value: Any) -> None:
        key = js_key(key)
        blob = encode_value(value)
        self._check_legacy(key, blob)
        self.database.kv_put(key, blob)

    def put_many(self, entries: dict[Any, Any]) -> None:
        self._check_pairs(len(entries))
        encoded = [(js_key(key), encode_value(value)) for key, value in entries.items()]
        for key, blob in encoded:
            self._check_legacy(key, blob)
        with self.database.savepoint("_cf_put"):
            for key, blob in encoded:
                self.database.kv_put(key, blob)

    def delete_keys(self, keys: Any) -> bool | int:
        if isinstance(keys, list):
            self._check_pairs(len(keys))
            return sum(self.database.kv_delete(js_key(key)) for key in keys)
        return self.database.kv_delete(js_key(keys))

    def list_entries(self, options: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        bounds = list_range(options)
        if bounds is None:
            return iter(())
        start, end, reverse, limit = bounds
        return ((key, decode_value(blob)) for key, blob in self.database.kv_list(start, end, reverse, limit))

    def _require_sql(self) -> None:
        if not self.sqlite_backed:
            raise js_error(NOT_SQLITE_BACKED)

    def _resync_alarm(self) -> None:
        # A rolled-back transaction may have undone an alarm change.
        stored = self.database.get_alarm()
        self._owner.alarm_changed(*(stored if stored is not None else (None, 0)))

    # -- async key-value API ----------------------------------------------------------------------

    def get(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
        args_ = _js_args(args, kwargs)
        keys = args_[0] if args_ else "undefined"
        if isinstance(keys, list):
            return _resolved(self.get_many(keys))
        return _resolved(self.get_one(keys))

    def put(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, None]:
        args_ = _js_args(args, kwargs)
        first = args_[0] if args_ else "undefined"
        if isinstance(first, dict):
            if len(args_) > 1 and args_[1] is not None and not isinstance(args_[1], dict):
                raise js_error(PUT_SHAPES, "TypeError")
            self.put_many(first)
        else:
            if len(args_) < 2:
                raise js_error("put() called with undefined value.", "TypeError")
            self.put_one(first, args_[1])
        return _resolved(None)

    def delete(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, bool | int]:
        args_ = _js_args(args, kwargs)
        return _resolved(self.delete_keys(args_[0] if args_ else "undefined"))

    def list(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, JsDict]:
        return _resolved(JsDict(self.list_entries(_options(_js_args(args, kwargs), 0))))

    def deleteAll(self, *_args: Any, **_kwargs: Any) -> Coroutine[Any, Any, None]:  # noqa: N802 - JS name
        self.database.delete_all()
        self._owner.alarm_changed(None)
        return _resolved(None)

    def sync(self) -> Coroutine[Any, Any, None]:
        return _resolved(None)

    async def transaction(self, closure: Callable[[DurableObjectTransaction], Any], *_options: Any) -> Any:
        """Run `closure(txn)` atomically; no other event reaches the object meanwhile."""
        with self._owner.blocking():
            label = self.database.begin_savepoint("_cf_txn")
            txn = DurableObjectTransaction(self)
            try:
                result = closure(txn)
                if hasattr(result, "__await__"):
                    result = await result
            except BaseException:
                self.database.end_savepoint(label, commit=False)
                txn._state = "done"
                self._resync_alarm()
                raise
            rolled_back = txn._state == "rolled back"
            txn._state = "done"
            self.database.end_savepoint(label, commit=not rolled_back)
            if rolled_back:
                self._resync_alarm()
            return result

    def transactionSync(self, closure: Callable[[], Any]) -> Any:  # noqa: N802 - JS name
        """Run `closure()` in a transaction: rolled back if it raises (SQLite-backed objects only)."""
        if not self.sqlite_backed:
            raise js_error("Durable Object is not backed by SQL.")
        try:
            with self.database.savepoint("_cf_sync_savepoint"):
                return closure()
        except BaseException:
            self._resync_alarm()
            raise

    # -- alarms ---------------------------------------------------------------------------------

    def getAlarm(self, *_args: Any, **_kwargs: Any) -> Coroutine[Any, Any, int | None]:  # noqa: N802 - JS name
        owner = self._owner
        if owner.alarm_running and not owner.alarm_reset:
            # While alarm() runs, the alarm it serves is gone unless the handler sets a new one.
            return _resolved(None)
        stored = self.database.get_alarm()
        return _resolved(stored[0] if stored is not None else None)

    def setAlarm(self, scheduled: Any = None, *_args: Any, **_kwargs: Any) -> Coroutine[Any, Any, None]:  # noqa: N802
        when = epoch_ms(scheduled, "setAlarm")
        if when <= 0:
            raise js_error("setAlarm() cannot be called with an alarm time <= 0", "TypeError")
        owner = self._owner
        owner.check_can_set_alarm()
        # Production moves a time in the past to now, so the alarm runs at once.
        when = max(when, owner.now_ms())
        self.database.set_alarm(when)
        owner.alarm_reset = True
        owner.alarm_changed(when)
        return _resolved(None)

    def deleteAlarm(self, *_args: Any, **_kwargs: Any) -> Coroutine[Any, Any, None]:  # noqa: N802 - JS name
        self.database.set_alarm(None)
        self._owner.alarm_reset = False
        self._owner.alarm_changed(None)
        return _resolved(None)

    def getCurrentBookmark(self) -> Any:  # noqa: N802 - JS name
        raise NotImplementedError("point-in-time recovery (bookmarks) is not simulated by flaresim")

    getBookmarkForTime = onNextSessionRestoreBookmark = getCurrentBookmark  # noqa: N815 - JS names


class SyncKvStorage:
    """`ctx.storage.kv`: synchronous `get`, `put`, `delete`, `list` (SQLite-backed objects only)."""

    def __init__(self, storage: DurableObjectStorage) -> None:
        self._storage = storage

    def get(self, key: Any) -> Any:
        self._storage._require_sql()
        return self._storage.get_one(key)

    def put(self, key: Any, value: Any) -> None:
        self._storage._require_sql()
        self._storage.put_one(key, value)

    def delete(self, key: Any) -> bool:
        self._storage._require_sql()
        return bool(self._storage.delete_keys(js_key(key)))

    def list(self, *args: Any, **kwargs: Any) -> Iterator[list[Any]]:
        """Entries as `[key, value]` pairs in key order (what iterating the JS iterator gives)."""
        self._storage._require_sql()
        entries = self._storage.list_entries(_options(_js_args(args, kwargs), 0))
        return ([key, value] for key, value in entries)


class DurableObjectTransaction:
    """The `txn` passed to `storage.transaction(closure)`."""

    def __init__(self, storage: DurableObjectStorage) -> None:
        self._storage = storage
        self._state = "open"

    def _check(self, operation: str) -> DurableObjectStorage:
        if self._state == "rolled back":
            raise js_error(f"Cannot {operation} on rolled back transaction")
        if self._state == "done":
            raise js_error(
                f"Cannot call {operation} on transaction that has already committed: "
                "did you move `txn` outside of the closure?"
            )
        return self._storage

    def get(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
        return self._check("get").get(*args, **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, None]:
        return self._check("put").put(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
        return self._check("delete").delete(*args, **kwargs)

    def list(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, JsDict]:
        return self._check("list").list(*args, **kwargs)

    def getAlarm(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, int | None]:  # noqa: N802 - JS name
        return self._check("getAlarm").getAlarm(*args, **kwargs)

    def setAlarm(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, None]:  # noqa: N802 - JS name
        return self._check("setAlarm").setAlarm(*args, **kwargs)

    def deleteAlarm(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, None]:  # noqa: N802 - JS name
        return self._check("deleteAlarm").deleteAlarm(*args, **kwargs)

    def deleteAll(self, *_args: Any, **_kwargs: Any) -> None:  # noqa: N802 - JS name
        raise js_error("Cannot call deleteAll() within a transaction")

    def rollback(self) -> None:
        if self._state == "rolled back":
            return
        self._check("rollback")
        self._state = "rolled back"
