"""Sampling: parent-based, trace-id ratio (OpenTelemetry's `parentbased_traceidratio`).

A span with a parent follows the parent's sampled flag, so a trace is kept or dropped whole across
Workers; a root span is sampled when the low 64 bits of its trace ID fall under `ratio * 2**64`,
the same rule as the OpenTelemetry SDK's TraceIdRatioBased, so every service decides alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from opentelemetry.trace import SpanContext

from flarekit.errors import ConfigurationError

_LOW_64 = (1 << 64) - 1


@dataclass(frozen=True)
class Sampler:
    """A sampling rule: whether parents decide, and the ratio for roots."""

    name: str
    ratio: float
    parent_based: bool

    def should_sample(self, parent: SpanContext | None, trace_id: int) -> bool:
        """Decide for a new span whose (valid) parent context is `parent`, or a root when None."""
        if self.parent_based and parent is not None and parent.is_valid:
            return parent.trace_flags.sampled
        return (trace_id & _LOW_64) < round(self.ratio * (1 << 64))


SAMPLERS: dict[str, Callable[[float], Sampler]] = {
    "parentbased_traceidratio": lambda r: Sampler("parentbased_traceidratio", r, True),
    "parentbased_always_on": lambda _r: Sampler("parentbased_always_on", 1.0, True),
    "parentbased_always_off": lambda _r: Sampler("parentbased_always_off", 0.0, True),
    "traceidratio": lambda r: Sampler("traceidratio", r, False),
    "always_on": lambda _r: Sampler("always_on", 1.0, False),
    "always_off": lambda _r: Sampler("always_off", 0.0, False),
}


def sampler(name: str, ratio: float) -> Sampler:
    """The sampler named by OTEL_TRACES_SAMPLER with OTEL_TRACES_SAMPLER_ARG as its ratio."""
    factory = SAMPLERS.get(name)
    if factory is None:
        raise ConfigurationError(f"OTEL_TRACES_SAMPLER={name!r} is not one of {', '.join(SAMPLERS)}")
    if not 0.0 <= ratio <= 1.0:
        raise ConfigurationError(f"OTEL_TRACES_SAMPLER_ARG={ratio!r} must be between 0 and 1")
    return factory(ratio)
