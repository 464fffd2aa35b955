"""When to look up and when to store: the cache policy and the client's controls.

- Cacheable by default only when `temperature` is 0 or unset (a sampled answer is not "the" answer);
  `CachePolicy(any_temperature=True)` lifts that.
- `Cache-Control: no-cache`: skip the lookup, still store the fresh answer.
- `Cache-Control: no-store`: neither look up nor store.
- `x-flarekit-cache-ttl: N`: store for N seconds (0 = do not store; capped at `max_ttl`).
- Status for the `x-flarekit-cache` header: HIT (served from cache), MISS (looked up, not found),
  BYPASS (no lookup: not cacheable, disabled, or the client said no-cache/no-store).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flarekit.errors import HTTPError

HIT = "HIT"
MISS = "MISS"
BYPASS = "BYPASS"
STATUS_HEADER = "x-flarekit-cache"
TTL_HEADER = "x-flarekit-cache-ttl"


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """The cache configuration of a Worker (parsed once)."""

    enabled: bool = True
    default_ttl: int = 3600
    max_ttl: int = 7 * 86_400
    any_temperature: bool = False


@dataclass(frozen=True, slots=True)
class CacheDecision:
    """What to do for one request: look up, store (for `ttl` seconds), and why."""

    lookup: bool
    store: bool
    ttl: int
    reason: str

    @property
    def miss_status(self) -> str:
        """The status to report when the answer does not come from the cache."""
        return MISS if self.lookup else BYPASS


def _directives(cache_control: str | None) -> frozenset[str]:
    if not cache_control:
        return frozenset()
    return frozenset(d.strip().lower() for d in cache_control.split(","))


def parse_ttl(value: str | None, policy: CachePolicy) -> int:
    """The TTL a client asked for (`x-flarekit-cache-ttl`), or the default; a bad value is a 400."""
    if value is None or value == "":
        return policy.default_ttl
    try:
        ttl = int(value.strip())
    except ValueError:
        ttl = -1
    if ttl < 0:
        raise HTTPError(
            400,
            f"{TTL_HEADER} must be a whole number of seconds >= 0, got {value!r}",
            "invalid_cache_ttl",
            param=TTL_HEADER,
        )
    return min(ttl, policy.max_ttl)


def is_deterministic(body: Mapping[str, Any]) -> bool:
    """True when the request asks for temperature 0 or leaves it unset."""
    temperature = body.get("temperature")
    return temperature is None or (
        isinstance(temperature, (int, float)) and not isinstance(temperature, bool) and temperature == 0
    )


def decide(
    policy: CachePolicy, body: Mapping[str, Any], cache_control: str | None = None, ttl_header: str | None = None
) -> CacheDecision:
    """The decision for one request from its body and its `Cache-Control` / `x-flarekit-cache-ttl` headers."""
    if not policy.enabled:
        return CacheDecision(False, False, 0, "disabled")
    directives = _directives(cache_control)
    if "no-store" in directives:
        return CacheDecision(False, False, 0, "no-store")
    if not policy.any_temperature and not is_deterministic(body):
        return CacheDecision(False, False, 0, "temperature")
    ttl = parse_ttl(ttl_header, policy)
    lookup = "no-cache" not in directives
    return CacheDecision(lookup, ttl > 0, ttl, "cacheable" if lookup else "no-cache")
