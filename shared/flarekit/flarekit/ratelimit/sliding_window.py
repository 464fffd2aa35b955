"""Sliding window, by the two-bucket weighted approximation (as Cloudflare's own rate limiting).

Usage is estimated as `previous * (1 - elapsed/window) + current`, with windows aligned to the
epoch. We chose it over an exact log of hits because its state is three numbers whatever the limit:
an exact log of a 100,000 tokens-per-minute limit needs up to 100,000 timestamped rows per subject,
and every check would scan them. The price is an assumption that the previous window's units were
spread evenly; the estimate is exact while the previous window is empty, and never lets more than
`limit` units through within any one aligned window.
"""

from __future__ import annotations

import math

from flarekit.ratelimit.limits import Limit, LimitStatus
from flarekit.ratelimit.state import EPSILON, State, Step, seconds


def step(limit: Limit, state: State | None, amount: float, now_ms: int, force: bool = False) -> Step:
    """Roll the windows to `now_ms`, then take `amount` if the weighted usage allows it."""
    window = limit.window_ms
    shape = limit.shape
    start = now_ms - now_ms % window
    current = previous = 0.0
    if state is not None and state.shape == shape:
        if state.stamp_ms > start:
            # A caller's clock behind the last writer's: count the call in the newer window.
            start, now_ms = state.stamp_ms, state.stamp_ms
        if state.stamp_ms == start:
            current, previous = state.level, state.previous
        elif state.stamp_ms == start - window:
            previous = state.level
    elapsed = now_ms - start
    used = previous * (window - elapsed) / window + current
    allowed = force or amount <= 0 or used + amount <= limit.limit + EPSILON
    if allowed:
        current = max(0.0, current + amount)
        used = previous * (window - elapsed) / window + current
    remaining = max(0, math.floor(limit.limit - used + EPSILON))
    if current > 0:
        reset_ms = start + 2 * window - now_ms
    elif previous > 0:
        reset_ms = start + window - now_ms
    else:
        reset_ms = 0
    retry_after = None
    impossible = False
    if not allowed:
        impossible = amount > limit.limit
        retry_after = seconds(
            reset_ms if impossible else _wait_ms(limit.limit, amount, current, previous, elapsed, window)
        )
    status = LimitStatus(limit.name, limit.unit, limit.limit, remaining, seconds(reset_ms), retry_after, impossible)
    return Step(allowed, State(current, previous, start, shape), status)


def _wait_ms(limit: int, amount: float, current: float, previous: float, elapsed: int, window: int) -> float:
    """How long until `amount` fits, as the previous window's weight decays (then the current's)."""
    room = limit - amount - current
    if room >= 0 and previous > 0:
        # Within this window: previous * (window - elapsed - t) / window <= room.
        return max(0.0, (window - elapsed) - room * window / previous)
    # Only after this window ends, when `current` becomes the decaying previous window.
    room_next = limit - amount
    wait_next = 0.0 if current <= 0 else max(0.0, window - room_next * window / current)
    return (window - elapsed) + wait_next
