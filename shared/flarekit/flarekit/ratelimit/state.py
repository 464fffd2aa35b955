"""The state one limit keeps per subject, and one algorithm step over it.

Every algorithm fits its state in the same three numbers, so the RateLimiter Durable Object stores
one fixed-shape SQL row per limit and the per-isolate fallback keeps the same records in memory.
Both records are NamedTuples: several are built per check, and a tuple is cheaper to build than a
frozen dataclass (this runs on every request).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from flarekit.ratelimit.limits import Limit, LimitStatus

# Float error from fractional refills must not turn "exactly enough" into a refusal.
EPSILON = 1e-9


class State(NamedTuple):
    """A limit's stored state: `level` and `previous` (algorithm-defined), `stamp_ms`, and its `shape`.

    token bucket: level = tokens in the bucket, stamp_ms = last refill time.
    sliding window: level = units in the current window, previous = units in the one before,
    stamp_ms = start of the current window. fixed window: level = units used, stamp_ms = window start.
    `shape` ("algorithm:window_ms") lets a changed limit start afresh instead of misreading old state.
    """

    level: float
    previous: float
    stamp_ms: int
    shape: str


class Step(NamedTuple):
    """One algorithm step: whether `amount` fits, the state after taking it, and the status to report."""

    allowed: bool
    state: State
    status: LimitStatus


Algorithm = Callable[[Limit, "State | None", float, int, bool], Step]
"""`step(limit, state, amount, now_ms, force)`: with `force`, the amount is taken even past the limit."""


def seconds(ms: float) -> float:
    """Milliseconds as seconds, rounded to the millisecond (what headers and RPC carry)."""
    return round(max(ms, 0.0) / 1000, 3)
