"""The KV retry policy: which failures are retried, after how long, and when it gives up."""

from __future__ import annotations

import pytest
from pyodide.ffi import JsException

from flarekit.errors import StorageError
from telemetry_ingest.store import KVSession


class FlakyKV:
    """A KV namespace whose first `failures` puts raise `error`."""

    def __init__(self, failures: int, error: str = "KV PUT failed: 500 Internal Server Error") -> None:
        self.failures = failures
        self.error = error
        self.puts: list[tuple[str, str, dict]] = []

    async def put(self, key, value, options=None, /, **kwargs):
        if self.failures:
            self.failures -= 1
            raise JsException(self.error)
        self.puts.append((key, value, options))


def session_for(kv) -> tuple[KVSession, list[float]]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return KVSession(kv, 604800, sleep=sleep), waits


async def test_a_failed_write_is_retried_after_100_200_and_400_ms():
    kv = FlakyKV(failures=3)
    session, waits = session_for(kv)
    await session.put("k", "v")
    assert waits == [0.1, 0.2, 0.4]
    assert kv.puts == [("k", "v", {"expirationTtl": 604800})]


async def test_a_write_that_keeps_failing_raises_storage_error_after_four_attempts():
    kv = FlakyKV(failures=4)
    session, waits = session_for(kv)
    with pytest.raises(StorageError):
        await session.put("k", "v")
    assert len(waits) == 3 and kv.puts == []


@pytest.mark.parametrize(
    "error", ["KV PUT failed: 429 Too Many Requests", "KV PUT failed: 503 Service Unavailable", "network lost"]
)
async def test_transient_failures_are_retried(error):
    kv = FlakyKV(failures=1, error=error)
    session, waits = session_for(kv)
    await session.put("k", "v", {"n": 1})
    assert waits == [0.1]
    assert kv.puts[0][2] == {"expirationTtl": 604800, "metadata": {"n": 1}}


@pytest.mark.parametrize(
    "error",
    ["KV PUT failed: 400 Invalid expiration_ttl of 1.", "KV PUT failed: 413 Value length of 30000000 exceeds limit"],
)
async def test_failures_the_service_would_repeat_are_not_retried(error):
    kv = FlakyKV(failures=1, error=error)
    session, waits = session_for(kv)
    with pytest.raises(StorageError):
        await session.put("k", "v")
    assert waits == []
