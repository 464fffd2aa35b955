"""Time as flarekit reads it: one replaceable source, so tests and flaresim can move it."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Seconds since the epoch."""


def system_clock() -> float:
    """Wall-clock seconds (on Workers this is the request's coarse, I/O-advanced clock)."""
    return time.time()
