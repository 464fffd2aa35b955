"""Workers KV, simulated on SQLite with production's API, limits and error messages.

The binding object has the Python-facing shape of the SDK's `_BindingWrapper` around workerd's
`KvNamespace`: options as a trailing dict or as keyword arguments, `None` for a missing key, dict
results that allow attribute access, and production's failures (as `JsException`, texts in
`kv_limits`). Expiry follows the runtime's clock, so a test advances a fake clock past a TTL.

One deliberate difference: flaresim is strongly consistent. Production KV is eventually consistent
(a write may take up to 60 s to be seen from another location); see docs/local-dev.md.
"""

from __future__ import annotations

import base64
import json
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import js
from pyodide.ffi import JsException

from flaresim import context
from flaresim import kv_limits as limits
from flaresim.rpc_values import JsDict, check_transferable, transfer

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS kv (
        namespace TEXT NOT NULL,
        key BLOB NOT NULL,
        value BLOB NOT NULL,
        expiration INTEGER,
        metadata TEXT,
        PRIMARY KEY (namespace, key)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS kv_expiration ON kv (expiration) WHERE expiration IS NOT NULL",
)
_LIVE = "(expiration IS NULL OR expiration > ?)"
_GET = f"SELECT value FROM kv WHERE namespace = ? AND key = ? AND {_LIVE}"
_GET_WITH_METADATA = f"SELECT value, metadata FROM kv WHERE namespace = ? AND key = ? AND {_LIVE}"
_PUT = "INSERT OR REPLACE INTO kv (namespace, key, value, expiration, metadata) VALUES (?, ?, ?, ?, ?)"
_DELETE = "DELETE FROM kv WHERE namespace = ? AND key = ?"
_PURGE = "DELETE FROM kv WHERE expiration IS NOT NULL AND expiration <= ?"

# Expired rows are invisible at once; they are deleted from the file every this many writes.
PURGE_EVERY_WRITES = 1000
# Keys remembered for the one-write-per-second rule; older entries are dropped first (and counted).
WRITE_RATE_MEMORY = 100_000


@dataclass
class KVFaults:
    """Switches that make KV fail like a bad day in production (tests, `flaresim dev`).

    A failing operation raises production's transient error and changes nothing. The generator is
    seeded, so a test with a failure rate fails the same calls on every run.
    """

    write_failure_rate: float = 0.0
    read_failure_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(0x5EED))
    injected: int = 0

    def fail(self, rate: float) -> bool:
        if rate <= 0.0 or self.rng.random() >= rate:
            return False
        self.injected += 1
        return True


class _WriteRate:
    """When each key was last written, to refuse a second write within a second (429)."""

    def __init__(self, memory: int = WRITE_RATE_MEMORY) -> None:
        self._last: dict[tuple[str, bytes], float] = {}
        self._memory = memory
        self.forgotten = 0

    def too_soon(self, slot: tuple[str, bytes], now: float) -> bool:
        last = self._last.get(slot)
        return last is not None and 0 <= now - last < limits.SAME_KEY_WRITE_INTERVAL_SECONDS

    def record(self, slot: tuple[str, bytes], now: float) -> None:
        self._last.pop(slot, None)
        self._last[slot] = now  # insertion order == write order, so the oldest entries come first
        cutoff = now - limits.SAME_KEY_WRITE_INTERVAL_SECONDS
        while self._last:
            oldest_slot = next(iter(self._last))
            if self._last[oldest_slot] > cutoff and len(self._last) <= self._memory:
                break
            if self._last.pop(oldest_slot) > cutoff:
                self.forgotten += 1


class KVStore:
    """All KV namespaces of one runtime, in one SQLite database."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        clock: Callable[[], float],
        *,
        enforce_write_rate: bool = True,
        faults: KVFaults | None = None,
    ) -> None:
        self.db = connection
        for statement in _SCHEMA:
            self.db.execute(statement)
        self.clock = clock
        self.enforce_write_rate = enforce_write_rate
        self.faults = faults or KVFaults()
        self.write_rate = _WriteRate()
        self._writes = 0

    def namespace(self, namespace_id: str) -> KVNamespace:
        """The binding object for one namespace id."""
        return KVNamespace(self, namespace_id)

    def wrote(self, now: float) -> None:
        self._writes += 1
        if self._writes % PURGE_EVERY_WRITES == 0:
            self.db.execute(_PURGE, (now,))


def _count_operation() -> None:
    # Production counts KV operations per invocation (a bulk read counts once). Only contexts
    # that keep a per-invocation count are limited: not calls a test makes on the binding
    # directly, and not Durable Object events, whose state object outlives one event.
    request = context.request_var.get()
    used = getattr(request, "kv_operations", None)
    if request is None or used is None:
        return
    request.kv_operations = used = used + 1
    if used > limits.MAX_OPERATIONS_PER_INVOCATION:
        raise JsException(limits.TOO_MANY_OPERATIONS)


def _options(positional: Any, kwargs: dict[str, Any], string_key: str | None = None) -> dict[str, Any]:
    """The options object JavaScript receives.

    Pyodide turns keyword arguments into one extra trailing object; when a positional options
    argument is also given, that extra object lands in a parameter the method does not have and
    is ignored, as in production.
    """
    if positional is None:
        if kwargs:
            check_transferable(kwargs)
        return kwargs
    if isinstance(positional, str) and string_key:
        return {string_key: positional}
    if isinstance(positional, dict):
        check_transferable(positional)
        return positional
    raise JsException("Failed to execute: the options argument must be an object.", "TypeError")


def _decode(raw: bytes, kind: str) -> Any:
    if kind == "text":
        return raw.decode("utf-8", errors="replace")
    if kind == "json":
        try:
            return transfer(json.loads(raw))
        except ValueError as error:
            raise JsException(f"Unexpected token in JSON: {error}", "SyntaxError") from None
    if kind == "arrayBuffer":
        return memoryview(raw)
    if kind == "stream":
        return js.ReadableStream.from_bytes(raw)
    raise JsException(limits.UNKNOWN_TYPE, "TypeError")


async def _value_bytes(value: Any) -> bytes:
    """A put() value as bytes; strings and byte views as the SDK converts them, streams drained."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, memoryview)):
        return bytes(value)
    if isinstance(value, js.Uint8Array):
        return value.to_bytes()
    if isinstance(value, js.ReadableStream):
        return await value.read_all()
    if value is None or isinstance(value, (int, float)):
        # workerd's (string | object) parameter coerces a primitive to its string, as JavaScript does.
        return limits.js_string(value).encode()
    check_transferable(value)  # a tuple or bytearray fails in the SDK before reaching workerd
    raise JsException(limits.PUT_TYPE_ERROR, "TypeError")


class KVNamespace:
    """One KV namespace binding (`env.TELEMETRY`); satisfies `flarekit.platform.KVNamespace`."""

    _flaresim_binding = True
    _js_name = "KvNamespace"

    def __init__(self, store: KVStore, namespace_id: str) -> None:
        self._store = store
        self._db = store.db
        self._ns = namespace_id

    def __repr__(self) -> str:
        return f"<KvNamespace {self._ns}>"

    # The SDK's wrapper is truthy, has no len() and cannot be iterated.
    def __bool__(self) -> bool:
        return True

    def __len__(self) -> int:
        raise TypeError(f"'{self._js_name}' object has no len()")

    def __iter__(self) -> Any:
        raise TypeError(f"'{self._js_name}' object is not iterable")

    def _read_fault(self, method: str) -> None:
        faults = self._store.faults
        if faults.read_failure_rate and faults.fail(faults.read_failure_rate):
            raise limits.failed(method, 500, "Internal Server Error")

    async def get(self, key: Any, type_or_options: Any = None, /, **kwargs: Any) -> Any:
        """Read a value (text by default), or several with a list of keys; None when missing."""
        if type_or_options is None and not kwargs and type(key) is str:
            kind = "text"  # the common call, kept lean
        else:
            options = _options(type_or_options, kwargs, "type")
            kind = options.get("type") or "text"
            if isinstance(key, list):
                return self._get_bulk(key, kind, options.get("cacheTtl"), with_metadata=False)
            limits.check_cache_ttl("GET", options.get("cacheTtl"))
        encoded = limits.key_bytes("GET", key)
        _count_operation()
        self._read_fault("GET")
        row = self._db.execute(_GET, (self._ns, encoded, self._store.clock())).fetchone()
        return None if row is None else _decode(row[0], kind)

    async def getWithMetadata(self, key: Any, type_or_options: Any = None, /, **kwargs: Any) -> Any:  # noqa: N802
        """Read a value with its metadata: `{"value", "metadata", "cacheStatus"}`."""
        options = _options(type_or_options, kwargs, "type")
        kind = options.get("type") or "text"
        if isinstance(key, list):
            return self._get_bulk(key, kind, options.get("cacheTtl"), with_metadata=True)
        encoded = limits.key_bytes("GET", key)
        limits.check_cache_ttl("GET", options.get("cacheTtl"))
        _count_operation()
        self._read_fault("GET")
        row = self._db.execute(_GET_WITH_METADATA, (self._ns, encoded, self._store.clock())).fetchone()
        if row is None:
            return JsDict(value=None, metadata=None, cacheStatus=None)
        metadata = None if row[1] is None else transfer(json.loads(row[1]))
        return JsDict(value=_decode(row[0], kind), metadata=metadata, cacheStatus=None)

    def _get_bulk(self, keys: list[Any], kind: str, cache_ttl: Any, *, with_metadata: bool) -> JsDict:
        _count_operation()  # a bulk read counts as one operation
        if kind not in limits.BULK_VALUE_TYPES:
            raise limits.failed("GET_BULK", 400, f'"{kind}" is not a valid type. Use "json" or "text"')
        if len(keys) > limits.MAX_BULK_KEYS:
            raise limits.failed("GET_BULK", 400, f"You can request a maximum of {limits.MAX_BULK_KEYS} keys")
        if not keys:
            raise limits.failed("GET_BULK", 400, "You must request a minimum of 1 key")
        encoded = [limits.bulk_key_bytes(k) for k in keys]
        limits.check_cache_ttl("GET_BULK", cache_ttl)
        self._read_fault("GET_BULK")
        marks = ",".join("?" * len(encoded))
        rows = {
            key: (value, metadata)
            for key, value, metadata in self._db.execute(
                f"SELECT key, value, metadata FROM kv WHERE namespace = ? AND key IN ({marks}) AND {_LIVE}",
                (self._ns, *encoded, self._store.clock()),
            )
        }
        if sum(len(value) for value, _ in rows.values()) > limits.MAX_BULK_BYTES:
            raise limits.failed("GET_BULK", 413, "Total size of request exceeds the limit of 25MB")
        result = JsDict()
        for name, key in zip(keys, encoded, strict=True):
            found = rows.get(key)
            if found is None:
                result[limits.js_string(name)] = None
                continue
            try:
                value = _decode(found[0], kind)
            except JsException:
                raise limits.failed(
                    "GET_BULK", 400, f"At least one of the requested keys corresponds to a non-{kind} value"
                ) from None
            if with_metadata:
                metadata = None if found[1] is None else transfer(json.loads(found[1]))
                value = JsDict(value=value, metadata=metadata)
            result[limits.js_string(name)] = value
        return result

    async def put(self, key: Any, value: Any, options: Any = None, /, **kwargs: Any) -> None:
        """Write a value, with optional `expiration`, `expirationTtl` (>= 60 s) and `metadata`."""
        encoded = limits.key_bytes("PUT", key)
        raw = await _value_bytes(value)
        opts = _options(options, kwargs)
        _count_operation()
        store = self._store
        now = store.clock()
        expiration = limits.expiration_from_options(opts, now)
        metadata = limits.metadata_json(opts.get("metadata"))
        limits.check_value_size(len(raw))
        slot = (self._ns, encoded)
        if store.enforce_write_rate and store.write_rate.too_soon(slot, now):
            raise limits.failed("PUT", 429, "Too Many Requests")
        faults = store.faults
        if faults.write_failure_rate and faults.fail(faults.write_failure_rate):
            raise limits.failed("PUT", 500, "Internal Server Error")  # and nothing was written
        self._db.execute(_PUT, (self._ns, encoded, raw, expiration, metadata))
        if store.enforce_write_rate:
            store.write_rate.record(slot, now)
        store.wrote(now)

    async def delete(self, key: Any, /) -> None:
        """Delete a key; deleting a missing key is fine."""
        encoded = limits.key_bytes("DELETE", key)
        _count_operation()
        faults = self._store.faults
        if faults.write_failure_rate and faults.fail(faults.write_failure_rate):
            raise limits.failed("DELETE", 500, "Internal Server Error")
        self._db.execute(_DELETE, (self._ns, encoded))

    async def list(self, options: Any = None, /, **kwargs: Any) -> JsDict:
        """List keys in UTF-8 byte order: `{"keys", "list_complete", "cursor"?, "cacheStatus"}`."""
        opts = _options(options, kwargs)
        _count_operation()
        limit = limits.list_limit(opts.get("limit"))
        prefix_value = opts.get("prefix")
        prefix = b"" if prefix_value is None else limits.js_string(prefix_value).encode()
        if len(prefix) > limits.MAX_KEY_BYTES:
            raise limits.failed(
                "GET",
                414,
                f"UTF-8 encoded length of {len(prefix)} exceeds key length limit of {limits.MAX_KEY_BYTES}.",
            )
        after = _cursor_key(opts.get("cursor"))
        self._read_fault("GET")
        # A prefix is a key range, so SQLite walks the primary-key index instead of scanning.
        start_clause, start = ("key > ?", after) if after is not None and after >= prefix else ("key >= ?", prefix)
        upper = _prefix_upper_bound(prefix)
        end_clause = "" if upper is None else "AND key < ?"
        params: tuple[Any, ...] = (self._ns, start) + (() if upper is None else (upper,))
        rows = self._db.execute(
            f"SELECT key, expiration, metadata FROM kv WHERE namespace = ? AND {start_clause} {end_clause} "
            f"AND {_LIVE} ORDER BY key LIMIT ?",
            (*params, self._store.clock(), limit + 1),
        ).fetchall()
        complete = len(rows) <= limit
        del rows[limit:]
        keys = []
        for name, expiration, metadata in rows:
            entry = JsDict(name=name.decode("utf-8", errors="replace"))
            if expiration is not None:
                entry["expiration"] = expiration
            if metadata is not None:
                entry["metadata"] = transfer(json.loads(metadata))
            keys.append(entry)
        if complete:
            return JsDict(keys=keys, list_complete=True, cacheStatus=None)
        cursor = base64.urlsafe_b64encode(rows[-1][0]).decode().rstrip("=")
        return JsDict(keys=keys, list_complete=False, cursor=cursor, cacheStatus=None)


def _cursor_key(cursor: Any) -> bytes | None:
    """The last key of the previous page, from an opaque cursor (ours: URL-safe base64 of it)."""
    if cursor is None or cursor == "":
        return None
    text = limits.js_string(cursor)
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise limits.failed("GET", 400, "Invalid cursor") from None


def _prefix_upper_bound(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string that starts with `prefix`."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])
