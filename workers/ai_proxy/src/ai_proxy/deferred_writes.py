"""Token corrections and spend, summed in the isolate and written to the Durable Objects in batches.

After each answer the key's token limit is corrected (real usage minus the estimate taken before)
and its spend is recorded. Writing each of these as its own Durable Object call would cost two
round trips per request; instead they are summed per key (and per key and model for spend) and
written by at most one flush at a time: the request whose flush is running takes along whatever
arrived meanwhile, so under load one `charge` or `record` call carries many requests. Nothing is
kept longer than a flush takes, and every entry is written by exactly one flush (taken
synchronously, no awaiting between the emptiness check and the end of a flush). A failed write is
counted and logged; it never affects a response.
"""

from __future__ import annotations

import logging
from typing import Any

from flarekit.ratelimit import Limit
from flarekit.usage import UsageEntry

log = logging.getLogger("ai_proxy")


class DeferredWrites:
    """Pending token corrections (per key and limit set) and spend (per key and model)."""

    def __init__(self, limiter: Any, usage: Any) -> None:
        self.limiter = limiter
        self.usage = usage
        self.charges: dict[tuple[str, tuple[Limit, ...]], int] = {}
        self.spend: dict[tuple[str, str], list[float]] = {}
        self.flushing = False
        self.failures = 0

    @property
    def pending(self) -> bool:
        return bool(self.charges or self.spend)

    def charge(self, subject: str, limits: tuple[Limit, ...], tokens: int) -> None:
        """Correct a key's token limit by `tokens` (negative gives tokens back)."""
        key = (subject, limits)
        self.charges[key] = self.charges.get(key, 0) + tokens

    def record(self, subject: str, model: str, input_tokens: int, output_tokens: int, cost: float) -> None:
        """Add one request's usage to the key's ledger (per model)."""
        totals = self.spend.get((subject, model))
        if totals is None:
            self.spend[(subject, model)] = [input_tokens, output_tokens, cost, 1]
        else:
            totals[0] += input_tokens
            totals[1] += output_tokens
            totals[2] += cost
            totals[3] += 1

    async def flush(self) -> None:
        """Write everything pending; return at once if another flush is running (it will take ours)."""
        if self.flushing:
            return
        self.flushing = True
        try:
            while self.charges or self.spend:
                charges, self.charges = self.charges, {}
                spend, self.spend = self.spend, {}
                for (subject, limits), tokens in charges.items():
                    if tokens:
                        await self._write("charge", self.limiter.charge(subject, limits, {"tokens": tokens}))
                for (subject, model), (inp, out, cost, requests) in spend.items():
                    entry = UsageEntry(model, int(inp), int(out), cost, int(requests))
                    await self._write("spend", self.usage.record(subject, entry))
        finally:
            self.flushing = False

    async def _write(self, what: str, call: Any) -> None:
        try:
            await call
        except Exception as error:  # a lost correction must not fail anyone's request: count and log
            self.failures += 1
            if self.failures in (1, 10, 100) or self.failures % 1000 == 0:
                log.warning(
                    "deferred %s write failed (%d so far): %s: %s", what, self.failures, type(error).__name__, error
                )
