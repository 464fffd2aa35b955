"""Budgets: daily and monthly spend caps per key, checked before a request and updated after it.

Status is "ok" below `warn_ratio` (80 %) of a cap, "warn" from there, "exceeded" at 100 %.
The worst of the daily and monthly statuses wins. A request that starts under budget may end
over it (its cost is known only at the end); the next request is then refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flarekit.errors import ConfigurationError, HTTPError

OK = "ok"
WARN = "warn"
EXCEEDED = "exceeded"
_RANK = {OK: 0, WARN: 1, EXCEEDED: 2}
WARN_RATIO = 0.8


@dataclass(frozen=True, slots=True)
class Budget:
    """Spend caps in USD (None = no cap) and the warning threshold."""

    daily_usd: float | None = None
    monthly_usd: float | None = None
    warn_ratio: float = WARN_RATIO

    def __post_init__(self) -> None:
        for name in ("daily_usd", "monthly_usd"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (int, float)) or value < 0):
                raise ConfigurationError(f"budget {name} must be a number >= 0, got {value!r}")
        if not 0 < self.warn_ratio <= 1:
            raise ConfigurationError(f"budget warn_ratio must be in (0, 1], got {self.warn_ratio!r}")

    @property
    def unlimited(self) -> bool:
        return self.daily_usd is None and self.monthly_usd is None

    def to_wire(self) -> dict[str, Any]:
        return {"daily_usd": self.daily_usd, "monthly_usd": self.monthly_usd, "warn_ratio": self.warn_ratio}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any] | None) -> Budget:
        data = data or {}
        return cls(data.get("daily_usd"), data.get("monthly_usd"), data.get("warn_ratio", WARN_RATIO))


def budget_status(spent: float, cap: float | None, warn_ratio: float = WARN_RATIO) -> str:
    """ "ok", "warn" (at `warn_ratio` of the cap) or "exceeded" (at the cap); "ok" without a cap."""
    if cap is None:
        return OK
    if spent >= cap:
        return EXCEEDED
    if spent >= cap * warn_ratio:
        return WARN
    return OK


def worst(*statuses: str) -> str:
    """The most severe of several statuses."""
    return max(statuses, key=_RANK.__getitem__)


def period_report(spent: float, cap: float | None, warn_ratio: float) -> dict[str, Any]:
    """One period's figures: spent, cap, fraction used and status."""
    return {
        "spent_usd": spent,
        "limit_usd": cap,
        "used": None if not cap else round(spent / cap, 6),
        "status": budget_status(spent, cap, warn_ratio),
    }


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    """The answer to "may this key spend more?": overall status plus the daily and monthly figures."""

    status: str
    daily: dict[str, Any]
    monthly: dict[str, Any]
    degraded: bool = False

    @property
    def exceeded(self) -> bool:
        return self.status == EXCEEDED

    @classmethod
    def from_wire(cls, data: Mapping[str, Any], degraded: bool = False) -> BudgetCheck:
        return cls(data["status"], dict(data["daily"]), dict(data["monthly"]), degraded)

    def http_error(self) -> HTTPError:
        """429 `budget_exceeded`, naming the period that ran out."""
        period, figures = ("daily", self.daily) if self.daily["status"] == EXCEEDED else ("monthly", self.monthly)
        return HTTPError(
            429,
            f"Budget exceeded: {period} spend ${figures['spent_usd']:.4f} of ${figures['limit_usd']:.4f}. "
            f"It resets at the start of the next UTC {'day' if period == 'daily' else 'month'}.",
            "budget_exceeded",
            "insufficient_quota",
        )
