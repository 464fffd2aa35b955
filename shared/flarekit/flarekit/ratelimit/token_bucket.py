"""Token bucket: `limit` units refill evenly over `window`, up to a capacity of `burst`.

Smooth and burst-tolerant: an idle subject may spend `burst` at once, then `limit/window` per second.
Charging after the fact (`force`) may leave the bucket in debt, which later calls wait out.
"""

from __future__ import annotations

import math

from flarekit.ratelimit.limits import Limit, LimitStatus
from flarekit.ratelimit.state import EPSILON, State, Step, seconds


def step(limit: Limit, state: State | None, amount: float, now_ms: int, force: bool = False) -> Step:
    """Refill to `now_ms`, then take `amount` if it fits (or always, with `force`)."""
    capacity = limit.capacity
    rate = limit.limit / limit.window_ms  # units per millisecond
    shape = limit.shape
    if state is None or state.shape != shape:
        tokens, stamp = float(capacity), now_ms
    else:
        # A caller's clock may lag the last writer's: time never runs backwards for a bucket.
        stamp = max(now_ms, state.stamp_ms)
        tokens = min(float(capacity), state.level + (stamp - state.stamp_ms) * rate)
        now_ms = stamp
    allowed = force or amount <= 0 or amount <= tokens + EPSILON
    if allowed:
        tokens = min(float(capacity), tokens - amount)
    remaining = max(0, math.floor(tokens + EPSILON))
    full_in = (capacity - tokens) / rate if rate > 0 else (0.0 if tokens >= capacity else float(limit.window_ms))
    retry_after = None
    impossible = False
    if not allowed:
        impossible = amount > capacity
        retry_after = seconds(full_in if impossible or rate == 0 else (amount - tokens) / rate)
    status = LimitStatus(limit.name, limit.unit, limit.limit, remaining, seconds(full_in), retry_after, impossible)
    return Step(allowed, State(tokens, 0.0, now_ms, shape), status)
