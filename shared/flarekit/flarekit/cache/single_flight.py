"""Single-flight: identical concurrent misses in one isolate share one computation.

The first caller for a key runs the work; callers arriving while it runs await the same result.
A failure reaches every waiting caller but is not remembered: the next call tries again.
Only plain values (str, bytes, dicts) should be shared this way: I/O objects such as a Response
or a stream belong to the request that created them in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class SingleFlight:
    """Coalesces concurrent calls by key; holds only the calls in flight (bounded by concurrency)."""

    def __init__(self) -> None:
        self._flights: dict[str, asyncio.Future[Any]] = {}
        self.coalesced = 0

    def in_flight(self, key: str) -> bool:
        """Whether a computation for `key` is running now."""
        return key in self._flights

    async def run(self, key: str, work: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        """`(result, shared)`: run `work` for `key`, or await the run already in flight (`shared=True`)."""
        flight = self._flights.get(key)
        if flight is not None:
            self.coalesced += 1
            return await asyncio.shield(flight), True
        flight = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        try:
            result = await work()
        except BaseException as error:
            # Waiters get the same failure; a cancelled leader tells them so instead of leaving them hanging.
            flight.set_exception(
                error if isinstance(error, Exception) else RuntimeError("the shared computation was cancelled")
            )
            # Nobody may be waiting: mark the exception retrieved so asyncio does not warn about it.
            flight.exception()
            raise
        else:
            flight.set_result(result)
            return result, False
        finally:
            del self._flights[key]
