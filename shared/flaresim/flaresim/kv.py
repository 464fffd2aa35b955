"""Workers KV, simulated on SQLite with production's API, limits and error messages.

The binding object has the Python-facing shape of the SDK's wrapper around `KvNamespace`:
options as a trailing dict or as keyword arguments, `None` for a missing key, dict results that
allow attribute access, and the failures production reports (as `JsException`).
"""

from __future__ import annotations

import base64
import json
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import js
from pyodide.ffi import JsException

from flaresim import context
from flaresim.rpc_values import JsDict, transfer

# Production limits (https://developers.cloudflare.com/kv/platform/limits/).
MAX_KEY_BYTES = 512
MAX_VALUE_BYTES = 25 * 1024 * 1024
MAX_METADATA_BYTES = 1024
MIN_TTL_SECONDS = 60
MIN_CACHE_TTL_SECONDS = 30
MAX_LIST_LIMIT = 1000
MAX_BULK_KEYS = 100
MAX_OPERATIONS_PER_INVOCATION = 1000
SAME_KEY_WRITE_INTERVAL_SECONDS = 1.0
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    namespace TEXT NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    expiration INTEGER,
    metadata TEXT,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID
"""


@dataclass
class KVFaults:
    """Switches that make KV fail like a bad day in production (for tests and `flaresim dev`)."""

    write_failure_rate: float = 0.0
    read_failure_rate: float = 0.0
    rng: random.Random | None = None

    def _roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        if self.rng is None:
            self.rng = random.Random(0x5EED)
        return self.rng.random() < rate


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
        self._db = connection
        self._db.execute(_SCHEMA)
        self._clock = clock
        self.enforce_write_rate = enforce_write_rate
        self.faults = faults or KVFaults()
        self._last_write: dict[tuple[str, bytes], float] = {}

    def namespace(self, namespace_id: str) -> KVNamespace:
        """The binding object for one namespace id."""
        return KVNamespace(self, namespace_id)


def _fail(operation: str, status: int, message: str) -> JsException:
    return JsException(f"KV {operation} failed: {status} {message}")


def _count_operation() -> None:
    request = context.request_var.get()
    if request is None:
        return
    request.kv_operations += 1
    if request.kv_operations > MAX_OPERATIONS_PER_INVOCATION:
        raise JsException("Too many API requests by single worker invocation.")


def _key_bytes(key: Any, operation: str) -> bytes:
    if not isinstance(key, str):
        key = str(key)
    if key == "":
        raise JsException("Key names cannot be empty.", "TypeError")
    if key in (".", ".."):
        raise JsException(f'Illegal key name "{key}". Please use a different name.', "TypeError")
    encoded = key.encode()
    if len(encoded) > MAX_KEY_BYTES:
        raise _fail(
            operation, 414, f"UTF-8 encoded length of {len(encoded)} exceeds key length limit of {MAX_KEY_BYTES}."
        )
    return encoded


def _options(positional: Any, kwargs: dict[str, Any], default_key: str | None = None) -> dict[str, Any]:
    """Merge the trailing options object and keyword arguments, as Pyodide passes both to JS."""
    options: dict[str, Any] = {}
    if isinstance(positional, str) and default_key:
        options[default_key] = positional
    elif isinstance(positional, dict):
        options.update(positional)
    elif positional is not None:
        raise JsException("Failed to execute: options must be an object", "TypeError")
    options.update(kwargs)
    return options


def _int32(name: str, value: Any) -> int:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise JsException(f"Failed to execute 'put' on 'KvNamespace': {name} must be a number.", "TypeError")
    if not INT32_MIN <= value <= INT32_MAX:
        raise JsException(f"Value out of range. Must be between {INT32_MIN} and {INT32_MAX} (inclusive).", "TypeError")
    return int(value)


def _prefix_upper_bound(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string that starts with `prefix`."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


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
    raise JsException(
        f'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream". Got "{kind}".',
        "TypeError",
    )


class KVNamespace:
    """One KV namespace binding (`env.TELEMETRY`)."""

    _flaresim_binding = True

    def __init__(self, store: KVStore, namespace_id: str) -> None:
        self._store = store
        self._db = store._db
        self._ns = namespace_id

    def __repr__(self) -> str:
        return f"<KvNamespace {self._ns}>"

    def _live(self) -> str:
        return "(expiration IS NULL OR expiration > ?)"

    async def get(self, key: Any, type_or_options: Any = None, **kwargs: Any) -> Any:
        """Read a value (text by default), or several with a list of keys; None when missing."""
        options = _options(type_or_options, kwargs, "type")
        kind = options.get("type", "text")
        cache_ttl = options.get("cacheTtl")
        if cache_ttl is not None and (not isinstance(cache_ttl, int) or cache_ttl < MIN_CACHE_TTL_SECONDS):
            raise _fail(
                "GET", 400, f"Invalid cache_ttl of {cache_ttl}. Cache TTL must be at least {MIN_CACHE_TTL_SECONDS}."
            )
        _count_operation()
        if self._store.faults._roll(self._store.faults.read_failure_rate):
            raise _fail("GET", 503, "Service Unavailable (flaresim injected fault)")
        if isinstance(key, list):
            return self._get_bulk(key, kind)
        encoded = _key_bytes(key, "GET")
        row = self._db.execute(
            f"SELECT value FROM kv WHERE namespace = ? AND key = ? AND {self._live()}",
            (self._ns, encoded, int(self._store._clock())),
        ).fetchone()
        return None if row is None else _decode(row[0], kind)

    def _get_bulk(self, keys: list[Any], kind: str) -> JsDict:
        if kind not in ("text", "json"):
            raise _fail("GET_BULK", 400, f'Invalid type "{kind}": bulk reads only support "text" and "json".')
        if len(keys) > MAX_BULK_KEYS:
            raise _fail("GET_BULK", 400, f"You can request a maximum of {MAX_BULK_KEYS} keys.")
        encoded = [_key_bytes(k, "GET_BULK") for k in keys]
        marks = ",".join("?" * len(encoded))
        rows = dict(
            self._db.execute(
                f"SELECT key, value FROM kv WHERE namespace = ? AND key IN ({marks}) AND {self._live()}",
                (self._ns, *encoded, int(self._store._clock())),
            ).fetchall()
        )
        return JsDict(
            {
                str(k): (None if rows.get(e) is None else _decode(rows[e], kind))
                for k, e in zip(keys, encoded, strict=True)
            }
        )

    async def getWithMetadata(self, key: Any, type_or_options: Any = None, **kwargs: Any) -> JsDict:  # noqa: N802
        """Read a value with its metadata: `{"value", "metadata", "cacheStatus"}`."""
        options = _options(type_or_options, kwargs, "type")
        kind = options.get("type", "text")
        _count_operation()
        encoded = _key_bytes(key, "GET")
        row = self._db.execute(
            f"SELECT value, metadata FROM kv WHERE namespace = ? AND key = ? AND {self._live()}",
            (self._ns, encoded, int(self._store._clock())),
        ).fetchone()
        if row is None:
            return JsDict(value=None, metadata=None, cacheStatus=None)
        metadata = None if row[1] is None else transfer(json.loads(row[1]))
        return JsDict(value=_decode(row[0], kind), metadata=metadata, cacheStatus=None)

    async def put(self, key: Any, value: Any, options: Any = None, **kwargs: Any) -> None:
        """Write a value, with optional `expiration`, `expirationTtl` (>= 60 s) and `metadata`."""
        opts = _options(options, kwargs)
        encoded = _key_bytes(key, "PUT")
        if isinstance(value, str):
            raw = value.encode()
        elif isinstance(value, (bytes, memoryview)):
            raw = bytes(value)
        elif isinstance(value, js.Uint8Array):
            raw = value.to_bytes()
        elif isinstance(value, js.ReadableStream):
            raw = await value.read_all()
        else:
            raise JsException(
                "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.",
                "TypeError",
            )
        now = self._store._clock()
        expiration = None
        if opts.get("expirationTtl") is not None:
            ttl = _int32("expirationTtl", opts["expirationTtl"])
            if ttl < MIN_TTL_SECONDS:
                raise _fail(
                    "PUT", 400, f"Invalid expiration_ttl of {ttl}. Expiration TTL must be at least {MIN_TTL_SECONDS}."
                )
            expiration = int(now) + ttl
        elif opts.get("expiration") is not None:
            expiration = _int32("expiration", opts["expiration"])
            if expiration < now + MIN_TTL_SECONDS:
                raise _fail(
                    "PUT",
                    400,
                    f"Invalid expiration of {expiration}. Expiration times must be at least {MIN_TTL_SECONDS} seconds in the future.",
                )
        if len(raw) > MAX_VALUE_BYTES:
            raise _fail("PUT", 413, f"Value length of {len(raw)} exceeds limit of {MAX_VALUE_BYTES}.")
        metadata = None
        if opts.get("metadata") is not None:
            metadata = json.dumps(opts["metadata"], separators=(",", ":"))
            if len(metadata.encode()) > MAX_METADATA_BYTES:
                raise _fail(
                    "PUT", 413, f"Metadata length of {len(metadata.encode())} exceeds limit of {MAX_METADATA_BYTES}."
                )
        _count_operation()
        slot = (self._ns, encoded)
        if self._store.enforce_write_rate:
            last = self._store._last_write.get(slot)
            if last is not None and now - last < SAME_KEY_WRITE_INTERVAL_SECONDS:
                raise _fail("PUT", 429, "Too Many Requests")
        if self._store.faults._roll(self._store.faults.write_failure_rate):
            raise _fail("PUT", 503, "Service Unavailable (flaresim injected fault)")
        self._db.execute(
            "INSERT OR REPLACE INTO kv (namespace, key, value, expiration, metadata) VALUES (?, ?, ?, ?, ?)",
            (self._ns, encoded, raw, expiration, metadata),
        )
        if self._store.enforce_write_rate:
            self._store._last_write[slot] = now
            if len(self._store._last_write) > 100_000:  # bounded: old entries no longer matter
                cutoff = now - SAME_KEY_WRITE_INTERVAL_SECONDS
                self._store._last_write = {k: t for k, t in self._store._last_write.items() if t > cutoff}

    async def delete(self, key: Any) -> None:
        """Delete a key; deleting a missing key is fine."""
        encoded = _key_bytes(key, "DELETE")
        _count_operation()
        if self._store.faults._roll(self._store.faults.write_failure_rate):
            raise _fail("DELETE", 503, "Service Unavailable (flaresim injected fault)")
        self._db.execute("DELETE FROM kv WHERE namespace = ? AND key = ?", (self._ns, encoded))

    async def list(self, options: Any = None, **kwargs: Any) -> JsDict:
        """List keys in UTF-8 byte order: `{"keys", "list_complete", "cursor"?, "cacheStatus"}`."""
        opts = _options(options, kwargs)
        limit = opts.get("limit", MAX_LIST_LIMIT)
        if limit is None:
            limit = MAX_LIST_LIMIT
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIST_LIMIT:
            raise _fail(
                "LIST",
                400,
                f"Invalid key_count_limit of {limit}. Please specify an integer between 1 and {MAX_LIST_LIMIT}.",
            )
        prefix = (opts.get("prefix") or "").encode()
        cursor = opts.get("cursor")
        after = b""
        if cursor:
            try:
                after = base64.urlsafe_b64decode(cursor.encode())
            except ValueError:
                raise _fail("LIST", 400, "Invalid cursor.") from None
        _count_operation()
        # A prefix is a key range, so SQLite walks the primary-key index instead of scanning.
        if after and after >= prefix:
            start_clause, start = "key > ?", after
        else:
            start_clause, start = "key >= ?", prefix
        upper = _prefix_upper_bound(prefix)
        end_clause = "AND key < ?" if upper is not None else ""
        params: list[Any] = [self._ns, start] + ([upper] if upper is not None else [])
        rows = self._db.execute(
            f"SELECT key, expiration, metadata FROM kv WHERE namespace = ? AND {start_clause} {end_clause} "
            f"AND {self._live()} ORDER BY key LIMIT ?",
            (*params, int(self._store._clock()), limit + 1),
        ).fetchall()
        complete = len(rows) <= limit
        rows = rows[:limit]
        keys = []
        for key, expiration, metadata in rows:
            entry = JsDict(name=key.decode())
            if expiration is not None:
                entry["expiration"] = expiration
            if metadata is not None:
                entry["metadata"] = transfer(json.loads(metadata))
            keys.append(entry)
        result = JsDict(keys=keys, list_complete=complete, cacheStatus=None)
        if not complete:
            result["cursor"] = base64.urlsafe_b64encode(rows[-1][0]).decode()
        return result
