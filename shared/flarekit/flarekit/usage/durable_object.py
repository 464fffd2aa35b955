"""The UsageLedger Durable Object: exact spend per model and UTC day for one subject.

One object per subject (`idFromName("key:<key-id>")` for a proxy key, `"chat:<chat-id>"` for a
bot chat), so spend is exact across isolates and one busy key does not queue behind another.
Costs are stored as integer nano-USD, so sums are exact. Rows older than `RETENTION_DAYS` are
deleted by a daily alarm.

RPC (positional arguments only; JSON-like values):
    record(entry, budget=None) -> {"day", "today", "month", "budget"}   after a request
    check(budget, now_ms=None) -> {"status", "daily", "monthly"}        before a request
    summary(now_ms=None)       -> {"day", "today", "month", "total"} each with by_model
    days(first, last)          -> [{"day": "YYYY-MM-DD", "model", "cost_usd", ...}]
    clear()                    -> None
entry: {"model", "input_tokens", "output_tokens", "cost_usd", "requests"? (1), "at_ms"? (now)}.
budget: {"daily_usd", "monthly_usd", "warn_ratio"?} (see flarekit.usage.budgets).
Totals: {"cost_usd", "input_tokens", "output_tokens", "requests"}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workers import DurableObject

from flarekit import clock
from flarekit.usage import periods
from flarekit.usage.budgets import Budget, period_report, worst

SCHEMA = """
CREATE TABLE IF NOT EXISTS usage_days (
    day INTEGER NOT NULL, model TEXT NOT NULL, cost_nusd INTEGER NOT NULL, input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL, requests INTEGER NOT NULL, PRIMARY KEY (day, model)
);
"""
RETENTION_DAYS = 400
NANO = 1_000_000_000
# The pruning alarm runs shortly after each UTC midnight.
_ALARM_OFFSET_MS = 60_000
_TOTALS = (
    "COALESCE(SUM(cost_nusd), 0) AS cost, COALESCE(SUM(input_tokens), 0) AS input, "
    "COALESCE(SUM(output_tokens), 0) AS output, COALESCE(SUM(requests), 0) AS requests"
)


def _totals(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "cost_usd": int(row["cost"]) / NANO,
        "input_tokens": int(row["input"]),
        "output_tokens": int(row["output"]),
        "requests": int(row["requests"]),
    }


def _tokens(value: Any, name: str) -> int:
    if value is None:
        return 0
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ValueError(f"usage {name} must be a number >= 0, got {value!r}")
    return int(value)


class UsageLedger(DurableObject):
    """Spend of one subject; see the module docstring for the RPC methods."""

    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self._sql = ctx.storage.sql
        self._sql.exec(SCHEMA)
        self._alarm_set: bool | None = None

    def _spent(self, today: int) -> tuple[float, float]:
        row = self._sql.exec(
            "SELECT COALESCE(SUM(CASE WHEN day = ? THEN cost_nusd ELSE 0 END), 0) AS today, "
            "COALESCE(SUM(cost_nusd), 0) AS month FROM usage_days WHERE day >= ?",
            today,
            periods.month_start(today),
        ).one()
        return int(row["today"]) / NANO, int(row["month"]) / NANO

    def _check(self, budget: Budget, today: int) -> dict[str, Any]:
        daily_spent, monthly_spent = self._spent(today)
        daily = period_report(daily_spent, budget.daily_usd, budget.warn_ratio)
        monthly = period_report(monthly_spent, budget.monthly_usd, budget.warn_ratio)
        return {"status": worst(daily["status"], monthly["status"]), "daily": daily, "monthly": monthly}

    def _period(self, first_day: int, last_day: int) -> dict[str, Any]:
        rows = self._sql.exec(
            f"SELECT model, {_TOTALS} FROM usage_days WHERE day BETWEEN ? AND ? GROUP BY model ORDER BY model",
            first_day,
            last_day,
        ).toArray()
        by_model = {r["model"]: _totals(r) for r in rows}
        total = {"cost_usd": 0.0, "input_tokens": 0, "output_tokens": 0, "requests": 0}
        cost_nusd = 0
        for r in rows:
            cost_nusd += int(r["cost"])
            total["input_tokens"] += int(r["input"])
            total["output_tokens"] += int(r["output"])
            total["requests"] += int(r["requests"])
        total["cost_usd"] = cost_nusd / NANO
        return {**total, "by_model": by_model}

    async def _ensure_alarm(self, now_ms: int) -> None:
        if self._alarm_set is None:
            self._alarm_set = await self.ctx.storage.getAlarm() is not None
        if not self._alarm_set:
            next_midnight = (periods.day_number(now_ms) + 1) * periods.DAY_MS
            await self.ctx.storage.setAlarm(next_midnight + _ALARM_OFFSET_MS)
            self._alarm_set = True

    async def record(self, entry: dict[str, Any], budget: dict[str, Any] | None = None) -> dict[str, Any]:
        """Add one request's usage to its model's row for its UTC day; report the day, month and budget."""
        now_ms = clock.now_ms()
        at_ms = int(entry.get("at_ms") or now_ms)
        model = str(entry.get("model") or "unknown")
        cost = entry.get("cost_usd") or 0
        if not isinstance(cost, (int, float)) or isinstance(cost, bool) or cost < 0:
            raise ValueError(f"usage cost_usd must be a number >= 0, got {cost!r}")
        day = periods.day_number(at_ms)
        self._sql.exec(
            "INSERT INTO usage_days (day, model, cost_nusd, input_tokens, output_tokens, requests) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (day, model) DO UPDATE SET cost_nusd = cost_nusd + excluded.cost_nusd, "
            "input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, "
            "requests = requests + excluded.requests",
            day,
            model,
            round(cost * NANO),
            _tokens(entry.get("input_tokens"), "input_tokens"),
            _tokens(entry.get("output_tokens"), "output_tokens"),
            _tokens(entry.get("requests", 1), "requests"),
        )
        today = periods.day_number(now_ms)
        daily_spent, monthly_spent = self._spent(today)
        result: dict[str, Any] = {
            "day": periods.day_iso(today),
            "today_usd": daily_spent,
            "month_usd": monthly_spent,
            "budget": None,
        }
        if budget:
            result["budget"] = self._check(Budget.from_wire(budget), today)
        await self._ensure_alarm(now_ms)
        return result

    async def check(self, budget: dict[str, Any], now_ms: int | None = None) -> dict[str, Any]:
        """Budget status now: "ok", "warn" (>= 80 %) or "exceeded" (>= 100 %), with daily and monthly figures."""
        now = clock.now_ms() if now_ms is None else int(now_ms)
        return self._check(Budget.from_wire(budget), periods.day_number(now))

    async def summary(self, now_ms: int | None = None) -> dict[str, Any]:
        """Spend today, this month and over all kept days, each in total and by model."""
        today = periods.day_number(clock.now_ms() if now_ms is None else int(now_ms))
        return {
            "day": periods.day_iso(today),
            "today": self._period(today, today),
            "month": self._period(periods.month_start(today), today),
            "total": self._period(0, today + 1),
        }

    async def days(self, first: str, last: str) -> list[dict[str, Any]]:
        """Rows per day and model between two `YYYY-MM-DD` dates, inclusive."""
        rows = self._sql.exec(
            f"SELECT day, model, {_TOTALS} FROM usage_days WHERE day BETWEEN ? AND ? GROUP BY day, model ORDER BY day, model",
            periods.day_from_iso(first),
            periods.day_from_iso(last),
        ).toArray()
        return [{"day": periods.day_iso(int(r["day"])), "model": r["model"], **_totals(r)} for r in rows]

    async def clear(self) -> None:
        """Forget all recorded usage."""
        self._sql.exec("DELETE FROM usage_days")

    async def alarm(self, alarm_info: Any = None) -> None:
        """Delete rows older than RETENTION_DAYS; re-arm for the next midnight while rows remain."""
        self._alarm_set = False
        now_ms = clock.now_ms()
        self._sql.exec("DELETE FROM usage_days WHERE day < ?", periods.day_number(now_ms) - RETENTION_DAYS)
        remaining = self._sql.exec("SELECT COUNT(*) AS n FROM usage_days").one()["n"]
        if remaining:
            await self._ensure_alarm(now_ms)
