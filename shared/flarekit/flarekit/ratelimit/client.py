"""What a Worker calls to check limits: one RPC to the subject's RateLimiter, OpenAI-style headers
back, and a defined behaviour when the limiter cannot be reached.

The RPC is the compact `decide` (`flarekit.ratelimit.wire`: one string each way, the limits' spec
text built once per limit set), and the object id of each subject is kept (bounded) so a hot
subject costs no `idFromName` call: ids are plain values valid in any request, while stubs belong
to the request that made them and are made anew each time.

    limiter = RateLimitClient(env.RATE_LIMITER)            # once per isolate
    decision = await limiter.hit(f"key:{key_id}", limits, {"requests": 1, "tokens": 812})
    headers.update(decision.headers)
    if not decision.allowed:
        raise decision.http_error()

If the RPC raises, the client either degrades to a bounded per-isolate limiter (default; each
isolate then enforces the limits alone) or, with `fail_closed=True`, refuses. `decision.mode`
says which happened ("exact", "degraded", "fail_closed") and `decision.error` why, for the
response header and the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from flarekit.errors import HTTPError
from flarekit.ratelimit.evaluation import Evaluation
from flarekit.ratelimit.headers import ratelimit_headers
from flarekit.ratelimit.limits import Limit, LimitStatus
from flarekit.ratelimit.local import LocalLimiter
from flarekit.ratelimit.wire import decode_result, encode_request

log = logging.getLogger("flarekit.ratelimit")

EXACT = "exact"
DEGRADED = "degraded"
FAIL_CLOSED = "fail_closed"
MODE_HEADER = "x-flarekit-ratelimit-mode"


class DurableObjectNamespace(Protocol):
    """The part of a Durable Object namespace binding the client uses."""

    def idFromName(self, name: str) -> Any: ...  # noqa: N802 - JS name

    def get(self, object_id: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class Decision:
    """A rate-limit answer: allowed or not, each limit's status, and how it was decided."""

    allowed: bool
    statuses: tuple[LimitStatus, ...]
    retry_after: float | None = None
    rejected: tuple[str, ...] = ()
    mode: str = EXACT
    error: str | None = None

    @property
    def degraded(self) -> bool:
        """True when the Durable Object was not reached (per-isolate limits or a fail-closed refusal)."""
        return self.mode != EXACT

    @property
    def headers(self) -> dict[str, str]:
        """OpenAI-style headers (`x-ratelimit-*-requests`, `-tokens`, `retry-after`), plus the mode when degraded."""
        headers = ratelimit_headers(self.statuses, None if self.allowed else (self.retry_after or 1.0))
        if self.mode != EXACT:
            headers[MODE_HEADER] = self.mode
        return headers

    def status(self, name: str) -> LimitStatus | None:
        """The status of one limit by name."""
        for status in self.statuses:
            if status.name == name:
                return status
        return None

    def http_error(self) -> HTTPError:
        """The error to answer a refusal with: 429 `rate_limit_exceeded`, or 503 when failing closed."""
        if self.mode == FAIL_CLOSED:
            return HTTPError(
                503,
                "Rate limiter unavailable; refusing requests until it recovers.",
                "rate_limiter_unavailable",
                "server_error",
                headers=self.headers,
            )
        refusing = [s for s in self.statuses if s.retry_after is not None]
        impossible = [s for s in refusing if s.impossible]
        if impossible:
            s = impossible[0]
            message = f"Request too large for {s.name}: limit {s.limit} {s.unit} per window."
        else:
            names = ", ".join(self.rejected)
            message = f"Rate limit reached for {names}. Please try again in {self.retry_after or 1:.3g}s."
        # OpenAI names the exhausted resource in `type` ("requests" or "tokens").
        kind = refusing[0].unit if refusing else "requests"
        return HTTPError(429, message, "rate_limit_exceeded", kind, headers=self.headers)

    @classmethod
    def from_wire(
        cls, data: Mapping[str, Any], limits: Sequence[Limit], mode: str = EXACT, error: str | None = None
    ) -> Decision:
        """Build from the RateLimiter's RPC result for `limits` (the limits sent, in order)."""
        statuses = tuple(LimitStatus.from_row(limit, row) for limit, row in zip(limits, data["limits"], strict=True))
        waits = [s.retry_after for s in statuses if s.retry_after is not None]
        rejected = tuple(s.name for s in statuses if s.retry_after is not None)
        return cls(bool(data["allowed"]), statuses, max(waits) if waits else None, rejected, mode, error)

    @classmethod
    def from_text(cls, text: str, limits: Sequence[Limit]) -> Decision:
        """Build from the RateLimiter's compact result text (`wire.encode_result`) for `limits`."""
        allowed, rows = decode_result(text)
        statuses = tuple(
            [
                LimitStatus(limit.name, limit.unit, limit.limit, row[0], row[1], row[2], bool(row[3]))
                for limit, row in zip(limits, rows, strict=True)
            ]
        )
        if allowed:
            return cls(True, statuses)  # every limit allowed it: nothing to wait for, nothing rejected
        waits = [s.retry_after for s in statuses if s.retry_after is not None]
        rejected = tuple(s.name for s in statuses if s.retry_after is not None)
        return cls(False, statuses, max(waits) if waits else None, rejected)

    @classmethod
    def from_evaluation(cls, result: Evaluation, mode: str, error: str | None) -> Decision:
        return cls(result.allowed, result.statuses, result.retry_after, result.rejected, mode, error)


# Object ids kept per client (one per subject): a hot subject's id is looked up once per isolate.
MAX_CACHED_IDS = 1024


class RateLimitClient:
    """Calls RateLimiter objects (one per subject) through a namespace binding; built once per isolate."""

    def __init__(
        self,
        namespace: DurableObjectNamespace,
        *,
        fail_closed: bool = False,
        local: LocalLimiter | None = None,
        max_cached_ids: int = MAX_CACHED_IDS,
    ) -> None:
        self.namespace = namespace
        self.fail_closed = fail_closed
        self.local = local if local is not None else LocalLimiter()
        self.failures = 0
        self.max_cached_ids = max_cached_ids
        self.id_evictions = 0
        self._ids: dict[str, Any] = {}

    def _stub(self, subject: str) -> Any:
        object_id = self._ids.get(subject)
        if object_id is None:
            object_id = self.namespace.idFromName(subject)
            if len(self._ids) >= self.max_cached_ids:
                # First in, first out: a dict keeps insertion order, so the oldest goes without a scan.
                del self._ids[next(iter(self._ids))]
                self.id_evictions += 1
            self._ids[subject] = object_id
        return self.namespace.get(object_id)

    async def hit(self, subject: str, limits: Sequence[Limit], cost: Mapping[str, float]) -> Decision:
        """Check and take `cost` against all `limits` of `subject` in one round trip, all or nothing."""
        return await self._call("hit", subject, limits, cost)

    async def charge(self, subject: str, limits: Sequence[Limit], cost: Mapping[str, float]) -> Decision:
        """Take `cost` after the fact (e.g. an answer's output tokens) even past the limit; negative refunds."""
        return await self._call("charge", subject, limits, cost)

    async def peek(self, subject: str, limits: Sequence[Limit]) -> Decision:
        """The limits' current status without taking anything."""
        return await self._call("peek", subject, limits, None)

    async def stats(self, subject: str) -> dict[str, Any]:
        """The subject's rejection counts (total and per UTC day) from its RateLimiter."""
        return dict(await self._stub(subject).stats())

    async def _call(
        self, method: str, subject: str, limits: Sequence[Limit], cost: Mapping[str, float] | None
    ) -> Decision:
        key = limits if isinstance(limits, tuple) else tuple(limits)
        if not key:
            return Decision(True, ())  # nothing to limit: no round trip
        try:
            text = await self._stub(subject).decide(encode_request(method, key, cost))
            return Decision.from_text(text, key)
        except Exception as error:  # any RPC failure: the limiter is unreachable, degrade as configured
            self.failures += 1
            reason = f"{type(error).__name__}: {error}"
            if self.fail_closed:
                log.warning("rate limiter unreachable for %s, failing closed: %s", subject, reason)
                return Decision(False, (), 1.0, (), FAIL_CLOSED, reason)
            log.warning("rate limiter unreachable for %s, using per-isolate limits: %s", subject, reason)
            force = method == "charge"
            result = self.local.hit(subject, key, cost or {}, force)
            return Decision.from_evaluation(result, DEGRADED, reason)
