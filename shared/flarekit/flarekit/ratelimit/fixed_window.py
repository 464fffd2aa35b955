"""Fixed window aligned to the epoch: a quota that resets all at once (per UTC day for 86,400 s).

Used for daily quotas ("50,000 tokens per day, resets at 00:00 UTC"), where users expect a
calendar reset rather than a rolling one.
"""

from __future__ import annotations

import math

from flarekit.ratelimit.limits import Limit, LimitStatus
from flarekit.ratelimit.state import EPSILON, State, Step, seconds


def step(limit: Limit, state: State | None, amount: float, now_ms: int, force: bool = False) -> Step:
    """Start a new window if `now_ms` left the stored one, then take `amount` if it fits."""
    window = limit.window_ms
    shape = limit.shape
    start = now_ms - now_ms % window
    used = 0.0
    if state is not None and state.shape == shape:
        if state.stamp_ms > start:
            start, now_ms = state.stamp_ms, state.stamp_ms
        if state.stamp_ms == start:
            used = state.level
    allowed = force or amount <= 0 or used + amount <= limit.limit + EPSILON
    if allowed:
        used = max(0.0, used + amount)
    remaining = max(0, math.floor(limit.limit - used + EPSILON))
    reset_ms = start + window - now_ms if used > 0 else 0
    retry_after = None
    impossible = False
    if not allowed:
        impossible = amount > limit.limit
        retry_after = seconds(start + window - now_ms)
    status = LimitStatus(limit.name, limit.unit, limit.limit, remaining, seconds(reset_ms), retry_after, impossible)
    return Step(allowed, State(used, 0.0, start, shape), status)
