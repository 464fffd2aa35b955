"""What a limit is (a frozen record that crosses RPC as a plain dict) and what checking one says.

A limit allows `limit` units of one `unit` ("requests", "tokens", "messages") per `window` seconds,
by one algorithm (see `strategies.STRATEGIES`). A caller states its cost per unit, e.g.
`{"requests": 1, "tokens": 812}`; each limit takes the amount of its own unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from flarekit.errors import ConfigurationError

ALGORITHMS = ("token_bucket", "sliding_window", "fixed_window")
MINUTE = 60
DAY = 86_400


@dataclass(frozen=True, slots=True)
class Limit:
    """`limit` units of `unit` per `window` seconds, enforced by `algorithm`.

    `burst` is the token bucket's capacity (default: `limit`); other algorithms ignore it.
    `name` identifies the limit's stored state within one subject, so two limits on one subject
    need two names; changing a limit's algorithm or window starts its state afresh.
    """

    name: str
    limit: int
    window: float = MINUTE
    unit: str = "requests"
    algorithm: str = "sliding_window"
    burst: int | None = None
    # Derived once here because every check reads them (per request, in the object).
    window_ms: int = field(init=False, repr=False, compare=False)
    capacity: int = field(init=False, repr=False, compare=False)
    shape: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ConfigurationError(
                f"limit {self.name!r}: unknown algorithm {self.algorithm!r} (expected one of {', '.join(ALGORITHMS)})"
            )
        if not isinstance(self.limit, int) or isinstance(self.limit, bool) or self.limit < 0:
            raise ConfigurationError(f"limit {self.name!r}: limit must be an integer >= 0, got {self.limit!r}")
        if not isinstance(self.window, (int, float)) or self.window <= 0:
            raise ConfigurationError(
                f"limit {self.name!r}: window must be a number of seconds > 0, got {self.window!r}"
            )
        if self.burst is not None and (not isinstance(self.burst, int) or self.burst < 1):
            raise ConfigurationError(f"limit {self.name!r}: burst must be an integer >= 1, got {self.burst!r}")
        window_ms = int(self.window * 1000)
        capacity = self.burst if self.algorithm == "token_bucket" and self.burst is not None else self.limit
        object.__setattr__(self, "window_ms", window_ms)
        object.__setattr__(self, "capacity", capacity)
        # The identity of the stored state's layout: a changed algorithm or window starts afresh.
        object.__setattr__(self, "shape", f"{self.algorithm}:{window_ms}")

    def to_wire(self) -> dict[str, Any]:
        """The JSON-like form sent over RPC (and accepted by `Limit.from_wire`)."""
        wire: dict[str, Any] = {
            "name": self.name,
            "limit": self.limit,
            "window": self.window,
            "unit": self.unit,
            "algorithm": self.algorithm,
        }
        if self.burst is not None:
            wire["burst"] = self.burst
        return wire

    def to_row(self) -> list[Any]:
        """The compact RPC form, `[name, limit, window, unit, algorithm, burst]`: fewer values to convert."""
        return [self.name, self.limit, self.window, self.unit, self.algorithm, self.burst]

    @classmethod
    def from_wire(cls, data: Mapping[str, Any] | Sequence[Any]) -> Limit:
        """Build a Limit from its dict form (config or RPC) or its row form; bad fields raise ConfigurationError."""
        if isinstance(data, (list, tuple)):
            if len(data) != 6:
                raise ConfigurationError(
                    f"limit row {list(data)!r}: expected [name, limit, window, unit, algorithm, burst]"
                )
            name, limit, window, unit, algorithm, burst = data
            return cls(str(name), limit, window, str(unit), str(algorithm), burst)
        data = cast(Mapping[str, Any], data)  # a row is a list or tuple, handled above (no runtime check: JS objects)
        unknown = set(data) - {"name", "limit", "window", "unit", "algorithm", "burst"}
        if unknown:
            raise ConfigurationError(f"limit {data.get('name')!r}: unknown field(s) {', '.join(sorted(unknown))}")
        if "name" not in data or "limit" not in data:
            raise ConfigurationError(f"limit {dict(data)!r}: 'name' and 'limit' are required")
        return cls(
            name=str(data["name"]),
            limit=data["limit"],
            window=data.get("window", MINUTE),
            unit=str(data.get("unit", "requests")),
            algorithm=str(data.get("algorithm", "sliding_window")),
            burst=data.get("burst"),
        )


def parse_limits(specs: Iterable[Mapping[str, Any] | Sequence[Any] | Limit]) -> tuple[Limit, ...]:
    """Validate a list of limit specs (dicts, rows or Limits); duplicate names raise ConfigurationError."""
    limits = tuple(spec if isinstance(spec, Limit) else Limit.from_wire(spec) for spec in specs)
    names = [limit.name for limit in limits]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"limits: duplicate names in {names}")
    return limits


def per_minute(
    name: str, limit: int, unit: str = "requests", algorithm: str = "sliding_window", burst: int | None = None
) -> Limit:
    """A limit over a one-minute window (`requests_per_minute`, `tokens_per_minute`)."""
    return Limit(name, limit, MINUTE, unit, algorithm, burst)


def per_day(name: str, limit: int, unit: str = "tokens") -> Limit:
    """A quota per UTC calendar day (a fixed window aligned to 00:00 UTC)."""
    return Limit(name, limit, DAY, unit, "fixed_window")


class LimitStatus(NamedTuple):
    """One limit after a check: what is left, when it fully resets, and when to retry if it refused.

    `reset` and `retry_after` are seconds. `retry_after` is None when this limit allowed the call;
    `impossible` is True when the cost alone exceeds the limit's capacity (no wait will help).
    A NamedTuple like the algorithm's `State` and `Step`: one per limit is built on every check,
    and a tuple is about three times cheaper to build than a frozen dataclass.
    """

    name: str
    unit: str
    limit: int
    remaining: int
    reset: float
    retry_after: float | None = None
    impossible: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "limit": self.limit,
            "remaining": self.remaining,
            "reset": self.reset,
            "retry_after": self.retry_after,
            "impossible": self.impossible,
        }

    def to_row(self) -> list[Any]:
        """The compact RPC form, `[remaining, reset, retry_after, impossible]` (the caller knows the limit)."""
        return [self.remaining, self.reset, self.retry_after, self.impossible]

    @classmethod
    def from_row(cls, limit: Limit, row: Sequence[Any]) -> LimitStatus:
        """Rebuild a status from its row and the limit it belongs to."""
        return cls(limit.name, limit.unit, limit.limit, row[0], row[1], row[2], bool(row[3]))

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> LimitStatus:
        return cls(
            name=data["name"],
            unit=data["unit"],
            limit=data["limit"],
            remaining=data["remaining"],
            reset=data["reset"],
            retry_after=data.get("retry_after"),
            impossible=bool(data.get("impossible", False)),
        )
