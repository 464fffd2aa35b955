"""OpenAI-style rate-limit headers from limit statuses.

`x-ratelimit-{limit,remaining,reset}-{unit}` per unit (`requests`, `tokens`; any other unit too),
reset as a Go-style duration (`12ms`, `1s`, `6m0s`) as OpenAI sends, and `retry-after` in whole
seconds (HTTP delta-seconds, rounded up) on a refusal.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

from flarekit.ratelimit.limits import LimitStatus


def format_duration(seconds: float) -> str:
    """A Go-style duration string: `0s`, `250ms`, `1.5s`, `6m0s`, `1h0m0s`."""
    if seconds <= 0:
        return "0s"
    ms = round(seconds * 1000)
    if ms < 1000:
        return f"{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs = f"{rest / 1000:.3f}".rstrip("0").rstrip(".")
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def binding_statuses(statuses: Iterable[LimitStatus]) -> dict[str, LimitStatus]:
    """For each unit, the limit that binds tightest: fewest remaining, then the longest reset."""
    chosen: dict[str, LimitStatus] = {}
    for status in statuses:
        best = chosen.get(status.unit)
        if best is None or (status.remaining, -status.reset) < (best.remaining, -best.reset):
            chosen[status.unit] = status
    return chosen


@functools.lru_cache(maxsize=64)
def header_names(unit: str) -> tuple[str, str, str]:
    """`x-ratelimit-limit-{unit}`, `-remaining-` and `-reset-` (built once per unit)."""
    return f"x-ratelimit-limit-{unit}", f"x-ratelimit-remaining-{unit}", f"x-ratelimit-reset-{unit}"


def ratelimit_headers(statuses: Iterable[LimitStatus], retry_after: float | None = None) -> dict[str, str]:
    """The header values for a response: the limit/remaining/reset trio per unit, and retry-after."""
    headers: dict[str, str] = {}
    for unit, status in binding_statuses(statuses).items():
        limit_name, remaining_name, reset_name = header_names(unit)
        headers[limit_name] = str(status.limit)
        headers[remaining_name] = str(status.remaining)
        headers[reset_name] = format_duration(status.reset)
    if retry_after is not None:
        headers["retry-after"] = str(max(1, math.ceil(retry_after)))
    return headers
