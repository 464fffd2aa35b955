"""The Worker's use of Workers KV: retries with backoff, and a count of operations per request.

Transient failures (KV's 5xx, 429 "too many requests", network) are retried after 100, 200 and
400 ms; a write is only reported done once `put` has resolved. Errors the service will repeat (a
400 or 413) are not retried. Production allows 1,000 KV operations per invocation: reads stop at
READ_BUDGET so a query answers with what it has and a cursor instead of failing.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

from flarekit.errors import StorageError
from flarekit.platform import KVNamespace

RETRY_DELAYS_SECONDS = (0.1, 0.2, 0.4)
MAX_OPERATIONS = 1000
READ_BUDGET = 900  # leaves room for the writes a request may still need
MAX_BULK_KEYS = 100  # KV bulk get
MAX_BULK_BYTES = 24 * 1024 * 1024  # KV bulk get returns at most 25 MiB

_STATUS = re.compile(r"failed: (\d{3})")
_PERMANENT_STATUSES = frozenset({400, 404, 413, 414})

Sleep = Callable[[float], Awaitable[Any]]


class BudgetExhausted(Exception):
    """This request has used the KV operations it may spend on reads."""


def retryable(error: BaseException) -> bool:
    """Whether another try of a failed KV call may succeed."""
    if getattr(error, "name", "") == "TypeError":
        return False  # a bad argument: the same call fails again
    found = _STATUS.search(str(error))
    return found is None or int(found.group(1)) not in _PERMANENT_STATUSES


class KVSession:
    """One request's access to the TELEMETRY namespace."""

    def __init__(
        self,
        kv: KVNamespace,
        ttl_seconds: int,
        retry_delays: tuple[float, ...] = RETRY_DELAYS_SECONDS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.kv = kv
        self.ttl_seconds = ttl_seconds
        self.retry_delays = retry_delays
        self.operations = 0
        self.retries = 0
        self._sleep = sleep

    def spend(self, operations: int = 1) -> None:
        """Count read operations; BudgetExhausted past READ_BUDGET."""
        if self.operations + operations > READ_BUDGET:
            raise BudgetExhausted(f"{self.operations} KV operations used")
        self.operations += operations

    async def _with_retries(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        for delay in (*self.retry_delays, None):
            try:
                return await call()
            except Exception as error:  # JsException from the binding, OSError on the network
                if delay is None or not retryable(error) or self.operations >= MAX_OPERATIONS:
                    raise StorageError(f"KV {what} failed: {error}") from error
                self.retries += 1
                self.operations += 1
                await self._sleep(delay)
        raise AssertionError("unreachable")

    async def put(self, key: str, value: str, metadata: dict | None = None, ttl_seconds: int | None = None) -> None:
        """Write `value` with the configured TTL (or `ttl_seconds`); StorageError once retries are spent."""
        options: dict[str, Any] = {"expirationTtl": ttl_seconds or self.ttl_seconds}
        if metadata is not None:
            options["metadata"] = metadata
        self.operations += 1
        await self._with_retries("put", lambda: self.kv.put(key, value, options))

    async def get_text(self, key: str) -> str | None:
        self.spend()
        return await self._with_retries("get", lambda: self.kv.get(key))

    async def get_many(self, keys: list[str]) -> dict[str, str | None]:
        """Values of up to MAX_BULK_KEYS keys in one operation."""
        if len(keys) == 1:
            return {keys[0]: await self.get_text(keys[0])}
        self.spend()
        found = await self._with_retries("bulk get", lambda: self.kv.get(keys))
        return {key: found.get(key) for key in keys}

    async def list_page(self, prefix: str, cursor: str | None = None) -> Any:
        """One page (up to 1,000 keys, with metadata) of keys starting with `prefix`."""
        self.spend()
        options: dict[str, Any] = {"prefix": prefix}
        if cursor:
            options["cursor"] = cursor
        return await self._with_retries("list", lambda: self.kv.list(options))
