"""The tracer of the request being handled, for code deep in a Worker that wants its own spans.

    from flarekit.tracing.current import tracer
    with tracer().start_as_current_span("cache lookup", attributes={"cache.hit": hit}):
        ...

`Observer.serve` sets it for each request; outside one, `tracer()` is OpenTelemetry's no-op tracer,
so instrumented code runs unchanged where monitoring is off.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from opentelemetry import trace

_NO_OP = trace.NoOpTracer()
_CURRENT: ContextVar[trace.Tracer] = ContextVar("flarekit_tracer", default=_NO_OP)


def tracer() -> trace.Tracer:
    """The current request's tracer (a no-op tracer outside observed requests)."""
    return _CURRENT.get()


def activate(current: trace.Tracer) -> Any:
    """Make `current` the request's tracer; returns the token for `deactivate`."""
    return _CURRENT.set(current)


def deactivate(token: Any) -> None:
    _CURRENT.reset(token)
