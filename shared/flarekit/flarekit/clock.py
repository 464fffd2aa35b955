"""Time as flarekit reads it.

`now()` reads JavaScript's `Date.now()`: on Workers that is the platform clock (coarse, advancing
with I/O), and under flaresim it is the runtime's clock, which tests replace with a fake one they
advance. Components take a `clock` argument defaulting to `now`, so unit tests can pass their own.
"""

from __future__ import annotations

from collections.abc import Callable

import js

Clock = Callable[[], float]
"""A function returning seconds since the epoch."""


def now() -> float:
    """Seconds since the epoch, from the platform clock."""
    return js.Date.now() / 1000


def now_ms() -> int:
    """Milliseconds since the epoch, from the platform clock."""
    return int(js.Date.now())
