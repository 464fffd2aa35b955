"""Try deployments in order until one answers, within one overall deadline.

A failed attempt that may succeed elsewhere (5xx, 429, timeout, connection reset, a malformed
answer) moves on to the next deployment at once; after a full round, the next round waits an
exponential backoff with jitter, or the provider's Retry-After when longer, as long as the deadline
allows. A client mistake the provider reported (400, 404...) ends the loop: no deployment would
answer it differently. Callers only use this before the first byte went to the client: a stream
is handed over once its first chunk is validated, and never retried after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flarekit.llm.circuit_breaker import HealthBoard
from flarekit.llm.deployments import Deployment, RetryPolicy
from flarekit.llm.errors import ProviderError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One call to one deployment."""

    deployment: str
    ms: float
    error: str | None = None  # the ProviderError kind, None on success
    status: int | None = None


@dataclass
class Outcome(Generic[T]):
    """The answer, the deployment that gave it, and every attempt made."""

    value: T
    deployment: Deployment
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def retries(self) -> int:
        return len(self.attempts) - 1


class FailoverError(ProviderError):
    """Every attempt failed (or none could be made); carries the attempts for the request record."""

    attempts: list[Attempt]


def backoff_delay(round_index: int, policy: RetryPolicy, rng: Callable[[], float]) -> float:
    """Exponential backoff with equal jitter: half the step fixed, half random."""
    step = min(policy.max_delay, policy.base_delay * (2**round_index))
    return step / 2 + rng() * step / 2


def _final_error(errors: list[ProviderError], attempts: list[Attempt], waits: list[float]) -> FailoverError:
    last = errors[-1]
    if all(e.kind == "timeout" for e in errors):
        status, kind, error_type = 504, "timeout", "timeout"
        message = f"every deployment timed out ({len(errors)} attempts)"
    elif last.status == 429:
        status, kind, error_type = 429, "status", last.error_type
        message = last.message
    else:
        status, kind, error_type = 502, last.kind, "upstream_error"
        message = f"all upstream attempts failed; last: {last.message}"
    error = FailoverError(
        status,
        message,
        retryable=True,
        retry_after=min(waits) if waits else last.retry_after,
        kind=kind,
        error_type=error_type,
        code=last.code if status == 429 else "upstream_unavailable",
        deployment=last.deployment,
    )
    error.attempts = attempts
    return error


def _unavailable(attempts: list[Attempt], retry_after: float | None) -> FailoverError:
    error = FailoverError(
        503,
        "no healthy deployment for this model: every circuit breaker is open",
        retryable=True,
        retry_after=retry_after,
        kind="circuit_open",
        error_type="service_unavailable",
        code="upstream_unavailable",
    )
    error.attempts = attempts
    return error


async def call_with_failover(
    deployments: Sequence[Deployment],
    call: Callable[[Deployment, float], Awaitable[T]],
    *,
    health: HealthBoard,
    policy: RetryPolicy,
    deadline: float,
    timer: Callable[[], float],
    rng: Callable[[], float],
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> Outcome[T]:
    """Call `call(deployment, seconds_left)` on each deployment in turn until one returns.

    `deadline` is on `timer` (the event loop's clock: real elapsed time); breakers read
    `health.clock`. A deployment this request already tried is tried again in a later round once
    its own Retry-After has passed, whatever its breaker says: that is the retry, not new traffic.
    """
    attempts: list[Attempt] = []
    errors: list[ProviderError] = []
    ready_at: dict[str, float] = {}  # deployments this request tried -> when it may try them again
    skipped_wait: list[float] = []
    round_index = 0
    while True:
        for deployment in deployments:
            if len(attempts) >= policy.max_attempts:
                break
            breaker = health.breaker(deployment.id)
            own = ready_at.get(deployment.id)
            if own is not None:
                if timer() < own:
                    continue
            elif not breaker.allow(health.clock()):
                skipped_wait.append(max(0.0, breaker.retry_at - health.clock()))
                continue
            left = deadline - timer()
            if left <= 0:
                break
            started = timer()
            try:
                value = await call(deployment, left)
            except ProviderError as error:
                ended = timer()
                error.deployment = deployment.id
                attempts.append(Attempt(deployment.id, (ended - started) * 1000, error.kind, error.status))
                if not error.retryable:
                    breaker.record_success()  # the deployment answered; the request was at fault
                    raise _client_error(error, attempts) from error
                breaker.record_failure(health.clock(), error.retry_after if error.status == 429 else None)
                errors.append(error)
                ready_at[deployment.id] = ended + (error.retry_after or 0.0)
                continue
            ms = (timer() - started) * 1000
            breaker.record_success()
            health.observe_latency(deployment.id, ms)
            attempts.append(Attempt(deployment.id, ms))
            return Outcome(value, deployment, attempts)
        if not errors:
            raise _unavailable(attempts, min(skipped_wait) if skipped_wait else None)
        if len(attempts) >= policy.max_attempts:
            raise _final_error(errors, attempts, [])
        # The next round starts once the soonest deployment we tried may be tried again, and not
        # before the backoff; a provider asking for a longer wait than we allow ends the request.
        soonest = max(0.0, min(ready_at.values()) - timer())
        if soonest > policy.max_retry_after:
            raise _final_error(errors, attempts, [soonest])
        delay = max(backoff_delay(round_index, policy, rng), soonest)
        if timer() + delay >= deadline:
            raise _final_error(errors, attempts, [soonest] if soonest else [])
        await sleep(delay)
        round_index += 1


def _client_error(error: ProviderError, attempts: list[Attempt]) -> FailoverError:
    wrapped = FailoverError(
        error.status,
        error.message,
        retryable=False,
        retry_after=error.retry_after,
        kind=error.kind,
        error_type=error.error_type,
        code=error.code,
        param=error.param,
        deployment=error.deployment,
    )
    wrapped.attempts = attempts
    return wrapped
