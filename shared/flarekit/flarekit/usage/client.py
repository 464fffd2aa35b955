"""Reaching a subject's UsageLedger from a Worker: budget checks before, records after.

    usage = UsageClient(env.USAGE)                               # once per isolate
    check = await usage.check(f"key:{key_id}", Budget(daily_usd=5, monthly_usd=50))
    if check.exceeded:
        raise check.http_error()                                 # 429 budget_exceeded
    ...
    ctx.waitUntil(usage.record(f"key:{key_id}", UsageEntry("gpt-4o-mini", 812, 64, 0.00016)))

If the ledger cannot be reached, `check` answers "ok" with `degraded=True` (budgets fail open:
refusing every request over a storage hiccup would be worse than a small overspend); the caller
logs it. `record` raises StorageError, so a `waitUntil` failure is logged by the runtime.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from flarekit.errors import StorageError
from flarekit.usage.budgets import OK, Budget, BudgetCheck

log = logging.getLogger("flarekit.usage")


class DurableObjectNamespace(Protocol):
    """The part of a Durable Object namespace binding used here."""

    def idFromName(self, name: str) -> Any: ...  # noqa: N802 - JS name

    def get(self, object_id: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class UsageEntry:
    """One request's usage: model, tokens in and out, cost in USD."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    requests: int = 1

    def to_wire(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "requests": self.requests,
        }


_UNCHECKED = {"spent_usd": None, "limit_usd": None, "used": None, "status": OK}


class UsageClient:
    """Calls UsageLedger objects (one per subject) through a namespace binding; built once per isolate."""

    def __init__(self, namespace: DurableObjectNamespace) -> None:
        self.namespace = namespace
        self.failures = 0

    def stub(self, subject: str) -> Any:
        """The ledger stub for `subject` (valid for the current request only)."""
        return self.namespace.get(self.namespace.idFromName(subject))

    async def check(self, subject: str, budget: Budget) -> BudgetCheck:
        """The subject's budget status; "ok" without calling anything when the budget has no caps."""
        if budget.unlimited:
            return BudgetCheck(OK, dict(_UNCHECKED), dict(_UNCHECKED))
        try:
            return BudgetCheck.from_wire(await self.stub(subject).check(budget.to_wire(), None))
        except Exception as error:  # any RPC failure: fail open, flagged
            self.failures += 1
            log.warning(
                "usage ledger unreachable for %s, budget not enforced: %s: %s", subject, type(error).__name__, error
            )
            return BudgetCheck(OK, dict(_UNCHECKED), dict(_UNCHECKED), degraded=True)

    async def record(self, subject: str, entry: UsageEntry, budget: Budget | None = None) -> dict[str, Any]:
        """Add `entry` to the subject's ledger; returns today's and this month's spend (and budget status)."""
        try:
            return dict(await self.stub(subject).record(entry.to_wire(), None if budget is None else budget.to_wire()))
        except Exception as error:
            self.failures += 1
            raise StorageError(f"usage ledger record for {subject} failed: {error}") from error

    async def summary(self, subject: str) -> dict[str, Any]:
        """Spend today, this month and in total, by model (for dashboards and the bot's /stats)."""
        return dict(await self.stub(subject).summary(None))
