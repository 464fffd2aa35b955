"""Usage and budgets: exact spend per key, model and UTC day in a UsageLedger Durable Object.

- `durable_object.UsageLedger`: the Durable Object (import it from there in `src/entry.py`).
- `client`: `UsageClient`, `UsageEntry`.
- `budgets`: `Budget`, `BudgetCheck`, `budget_status` ("ok" / "warn" at 80 % / "exceeded").
- `periods`: UTC day and month numbering.
"""

from flarekit.usage.budgets import EXCEEDED, OK, WARN, Budget, BudgetCheck, budget_status
from flarekit.usage.client import UsageClient, UsageEntry

__all__ = ["EXCEEDED", "OK", "WARN", "Budget", "BudgetCheck", "UsageClient", "UsageEntry", "budget_status"]
