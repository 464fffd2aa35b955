"""What one request learns about itself while it runs, for its metrics record.

Code anywhere in a request reaches it with `current()` and fills in what it knows: the router the
route template, the proxy the model, provider, key name, cache result, tokens and cost, each
upstream attempt. Outside an observed request `current()` returns an inert observation, so
instrumented code never checks whether monitoring is on.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from flarekit.metrics.record import MAX_ATTEMPTS, MAX_CIRCUITS, request_record

MAX_HOLD_S = 600.0
"""Longest a held record waits for its stream to end (a stream that forgot `release()`)."""


@dataclass
class Observation:
    """The facts of one request; every field is optional except what the observer sets."""

    worker: str
    method: str
    started_ms: int
    route: str = ""
    status: int = 0
    error_type: str = ""
    model: str = ""
    provider: str = ""
    key: str = ""
    cache: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    ttfb_ms: float | None = None
    retries: int = 0
    events_accepted: int = 0
    events_rejected: int = 0
    budget: dict[str, Any] | None = None
    attempts: list[list[Any]] = field(default_factory=list)
    circuits: dict[str, str] = field(default_factory=dict)
    trace_id: str = ""
    _done: asyncio.Event | None = None

    def set(self, **facts: Any) -> None:
        """Record facts by field name (`obs.set(model="gpt-4o", cache="hit")`)."""
        for name, value in facts.items():
            if name.startswith("_") or not hasattr(self, name):
                raise AttributeError(f"an observation has no field {name!r}")
            setattr(self, name, value)

    def attempt(self, provider: str, outcome: str, duration_ms: float) -> None:
        """Count one upstream call (kept to the first MAX_ATTEMPTS)."""
        if len(self.attempts) < MAX_ATTEMPTS:
            self.attempts.append([provider, outcome, duration_ms])

    def circuit(self, provider: str, state: str) -> None:
        """Report a provider's circuit state (closed, open, half_open) as this request saw it."""
        if provider in self.circuits or len(self.circuits) < MAX_CIRCUITS:
            self.circuits[provider] = state

    def hold(self) -> bool:
        """Keep the record open past the response (a stream still running); call `release()` at its end.

        True when this call started the hold; False when something else holds it already (a turn
        of a WebSocket connection that is held until it closes): then that holder releases it.
        """
        if self._done is None:
            self._done = asyncio.Event()
            return True
        return False

    def release(self) -> None:
        """The stream ended: the record (and the span) can be finished now."""
        if self._done is not None:
            self._done.set()

    async def wait_released(self, timeout_s: float = MAX_HOLD_S) -> None:
        """Wait for `release()`; a stream that never says it ended is recorded after `timeout_s`."""
        if self._done is None:
            return
        try:
            await asyncio.wait_for(self._done.wait(), timeout_s)
        except TimeoutError:
            self.error_type = self.error_type or "stream_not_released"

    def to_record(self, ended_ms: int, export_failures: int = 0) -> dict[str, Any]:
        """The request record to send."""
        return request_record(
            ts_ms=ended_ms,
            worker=self.worker,
            route=self.route,
            method=self.method,
            status=self.status,
            duration_ms=float(max(ended_ms - self.started_ms, 0)),
            ttfb_ms=self.ttfb_ms,
            error_type=self.error_type,
            model=self.model,
            provider=self.provider,
            key=self.key,
            cache=self.cache,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=self.cost_usd,
            retries=self.retries,
            trace_id=self.trace_id,
            attempts=self.attempts,
            circuits=self.circuits,
            budget=self.budget,
            events_accepted=self.events_accepted,
            events_rejected=self.events_rejected,
            export_failures=export_failures,
        )


class _Inert(Observation):
    """What `current()` returns outside an observed request: accepts everything, keeps nothing."""

    def set(self, **facts: Any) -> None:
        pass

    def attempt(self, provider: str, outcome: str, duration_ms: float) -> None:
        pass

    def circuit(self, provider: str, state: str) -> None:
        pass

    def hold(self) -> bool:
        return False


INERT = _Inert(worker="", method="", started_ms=0)
_CURRENT: ContextVar[Observation] = ContextVar("flarekit_observation", default=INERT)


def current() -> Observation:
    """The observation of the request being handled (an inert one outside requests)."""
    return _CURRENT.get()


def activate(observation: Observation) -> Any:
    """Make `observation` current; returns the token for `deactivate`."""
    return _CURRENT.set(observation)


def deactivate(token: Any) -> None:
    _CURRENT.reset(token)
