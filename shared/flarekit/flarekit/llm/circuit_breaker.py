"""A circuit breaker per deployment, and the board that holds one per deployment of an isolate.

Closed: calls go through; `failure_threshold` consecutive failures open it. Open: calls are
skipped until `cooldown` has passed (or the provider's Retry-After, for a 429). Half-open: one
probe call at a time; its success closes the breaker, its failure opens it again.

This is a local health signal, deliberately kept per isolate: it reacts in the isolate that saw the
failures without a round trip to shared state, and each request record carries its state so the
dashboard can show what isolates see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"

# Weight of the newest sample in the latency moving average.
LATENCY_SMOOTHING = 0.3


@dataclass(frozen=True)
class BreakerPolicy:
    """When a breaker opens and for how long (seconds)."""

    failure_threshold: int = 3
    cooldown: float = 30.0
    # A probe that never reports back must not keep the breaker half-open forever.
    probe_timeout: float = 120.0


class CircuitBreaker:
    """The health of one deployment, as this isolate has seen it."""

    __slots__ = ("_probe_started", "failures", "opened_at", "policy", "retry_at", "state")

    def __init__(self, policy: BreakerPolicy) -> None:
        self.policy = policy
        self.state = CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self.retry_at = 0.0
        self._probe_started: float | None = None

    def allow(self, now: float) -> bool:
        """Whether a call may go to this deployment now (a half-open breaker lets one probe through)."""
        if self.state == CLOSED:
            return True
        if self.state == OPEN:
            if now < self.retry_at:
                return False
            self.state = HALF_OPEN
            self._probe_started = None
        if self._probe_started is not None and now - self._probe_started < self.policy.probe_timeout:
            return False
        self._probe_started = now
        return True

    def record_success(self) -> None:
        self.state = CLOSED
        self.failures = 0
        self._probe_started = None

    def record_failure(self, now: float, retry_after: float | None = None) -> None:
        """Count a failure; a Retry-After (a 429's) opens the breaker at once for that long."""
        self.failures += 1
        self._probe_started = None
        if retry_after is not None or self.state == HALF_OPEN or self.failures >= self.policy.failure_threshold:
            self.state = OPEN
            self.opened_at = now
            self.retry_at = now + (retry_after if retry_after is not None else self.policy.cooldown)

    def snapshot(self) -> dict[str, object]:
        """The state as a request record carries it."""
        return {"state": self.state, "failures": self.failures, "retry_at": self.retry_at or None}


class HealthBoard:
    """Circuit breakers and latency averages for the deployments one isolate routes to.

    Bounded: configured deployments are known up front; deployments named per request (a model
    passed through) are added up to `max_deployments`, beyond which they get a breaker that is
    not kept (counted in `untracked`).
    """

    def __init__(
        self,
        deployments: Iterable[str],
        policy: BreakerPolicy,
        clock: Callable[[], float],
        max_deployments: int = 512,
    ) -> None:
        self.clock = clock
        self.policy = policy
        self.max_deployments = max_deployments
        self.breakers = {d: CircuitBreaker(policy) for d in deployments}
        self.latency_ms: dict[str, float] = dict.fromkeys(self.breakers, 0.0)
        self.untracked = 0

    def breaker(self, deployment: str) -> CircuitBreaker:
        found = self.breakers.get(deployment)
        if found is None:
            found = CircuitBreaker(self.policy)
            if len(self.breakers) < self.max_deployments:
                self.breakers[deployment] = found
                self.latency_ms[deployment] = 0.0
            else:
                self.untracked += 1
        return found

    def observe_latency(self, deployment: str, ms: float) -> None:
        """Fold one successful call's latency into the deployment's moving average."""
        if deployment not in self.latency_ms:
            return
        previous = self.latency_ms[deployment]
        self.latency_ms[deployment] = ms if previous == 0.0 else previous + LATENCY_SMOOTHING * (ms - previous)

    def snapshot(self, deployments: Iterable[str] | None = None) -> dict[str, dict[str, object]]:
        """Breaker state and average latency per deployment."""
        names = self.breakers if deployments is None else deployments
        return {
            d: {**self.breakers[d].snapshot(), "latency_ms": round(self.latency_ms.get(d, 0.0), 2)}
            for d in names
            if d in self.breakers
        }
