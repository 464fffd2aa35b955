"""Fixed histogram buckets (no per-request lists anywhere) and quantiles estimated from them.

Latency and time to first byte share one set of upper bounds in milliseconds, chosen to cover a
cache hit (a few ms) up to a slow LLM completion (a minute). The last bucket is +Inf.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

LATENCY_BOUNDS_MS: tuple[float, ...] = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)
"""Upper bounds (inclusive, like Prometheus `le`) of every finite latency bucket, in ms."""

BUCKET_COUNT = len(LATENCY_BOUNDS_MS) + 1
"""Finite buckets plus the +Inf bucket."""


def bucket_index(value_ms: float, bounds: Sequence[float] = LATENCY_BOUNDS_MS) -> int:
    """The bucket a value falls in: the first bound >= value (`le` semantics), or the +Inf bucket."""
    return bisect_left(bounds, value_ms)


def quantile(counts: Sequence[int], q: float, bounds: Sequence[float] = LATENCY_BOUNDS_MS) -> float | None:
    """Estimate the q-quantile from per-bucket (non-cumulative) counts, as Prometheus' histogram_quantile.

    Linear interpolation inside the bucket holding the rank; a rank in the +Inf bucket returns the
    highest finite bound. None when there are no observations.
    """
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    cumulative = 0
    for index, count in enumerate(counts):
        if count <= 0:
            continue
        if cumulative + count >= rank:
            if index >= len(bounds):
                return float(bounds[-1])
            lower = float(bounds[index - 1]) if index > 0 else 0.0
            upper = float(bounds[index])
            return lower + (upper - lower) * ((rank - cumulative) / count)
        cumulative += count
    return float(bounds[-1])


def add_counts(into: list[int], counts: Sequence[int]) -> None:
    """Add per-bucket counts into `into`, in place."""
    for index, count in enumerate(counts):
        into[index] += count


def cumulative(counts: Sequence[int]) -> list[int]:
    """Cumulative counts (what Prometheus `_bucket{le=...}` lines carry)."""
    running, out = 0, []
    for count in counts:
        running += count
        out.append(running)
    return out
