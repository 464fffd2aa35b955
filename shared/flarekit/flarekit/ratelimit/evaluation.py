"""Checking several limits at once, all or nothing: the logic both the Durable Object and the
per-isolate fallback run, so they decide identically."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flarekit.ratelimit.limits import Limit, LimitStatus
from flarekit.ratelimit.state import State
from flarekit.ratelimit.strategies import STRATEGIES


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcome of one check: allowed or not, each limit's status, and the states to store.

    `states` is empty when the call was refused: a refusal changes nothing (refills and window
    rolls are functions of time), so the only write it causes is the rejection counter.
    """

    allowed: bool
    statuses: tuple[LimitStatus, ...]
    states: dict[str, State] = field(default_factory=dict)
    rejected: tuple[str, ...] = ()

    @property
    def retry_after(self) -> float | None:
        """Seconds until every refusing limit would allow the call (None when allowed)."""
        waits = [s.retry_after for s in self.statuses if s.retry_after is not None]
        return max(waits) if waits else None

    def to_wire(self) -> dict[str, Any]:
        """The RPC result: `{"allowed", "limits": [[remaining, reset, retry_after, impossible], ...]}`.

        Rows, in the order of the limits sent, keep the values crossing RPC few (each one is
        converted twice in production); `Decision.from_wire` rebuilds names and units from the limits.
        """
        return {"allowed": self.allowed, "limits": [status.to_row() for status in self.statuses]}

    def to_dict(self) -> dict[str, Any]:
        """A readable form: `{"allowed", "retry_after", "rejected", "limits": [status dicts]}`."""
        return {
            "allowed": self.allowed,
            "retry_after": self.retry_after,
            "rejected": list(self.rejected),
            "limits": [status.to_wire() for status in self.statuses],
        }


def evaluate(
    limits: Sequence[Limit],
    states: Mapping[str, State],
    cost: Mapping[str, float],
    now_ms: int,
    force: bool = False,
) -> Evaluation:
    """Check `cost` (amount per unit) against every limit; take it from all only if all allow it.

    With `force` the cost is taken regardless (charging tokens known only after an answer ended);
    a negative amount gives units back (never below zero usage).
    """
    steps = []
    refused = False
    for limit in limits:
        result = STRATEGIES[limit.algorithm](limit, states.get(limit.name), cost.get(limit.unit, 0), now_ms, force)
        steps.append(result)
        if not result.allowed:
            refused = True
    if not refused:
        # The hot path (every allowed request): one pass, no zips or generators.
        return Evaluation(
            True, tuple([result.status for result in steps]), {result.status.name: result.state for result in steps}
        )
    rejected = tuple(limit.name for limit, result in zip(limits, steps, strict=True) if not result.allowed)
    # Report what is left without this call's cost: the limits that would have allowed it are
    # stepped again with nothing taken (only on the refusal path, so the hot path pays nothing).
    statuses = tuple(
        result.status
        if not result.allowed
        else STRATEGIES[limit.algorithm](limit, states.get(limit.name), 0, now_ms, False).status
        for limit, result in zip(limits, steps, strict=True)
    )
    return Evaluation(False, statuses, {}, rejected)
