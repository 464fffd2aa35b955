"""Budget statuses (ok, warn at 80 %, exceeded at 100 %) and UTC day/month numbering."""

from __future__ import annotations

import pytest

from flarekit.errors import ConfigurationError
from flarekit.usage import EXCEEDED, OK, WARN, Budget, BudgetCheck, budget_status
from flarekit.usage.budgets import period_report, worst
from flarekit.usage.periods import day_from_iso, day_iso, day_number, month_start, next_month_start


@pytest.mark.parametrize(
    ("spent", "status"), [(0, OK), (3.99, OK), (4.0, WARN), (4.99, WARN), (5.0, EXCEEDED), (7, EXCEEDED)]
)
def test_a_five_dollar_cap_warns_from_four_and_is_exceeded_at_five(spent, status):
    assert budget_status(spent, 5.0) == status


def test_no_cap_is_always_ok_and_the_worst_period_wins():
    assert budget_status(1e9, None) == OK
    assert worst(OK, WARN) == WARN and worst(EXCEEDED, WARN) == EXCEEDED


def test_an_exceeded_budget_is_a_429_budget_exceeded_naming_the_period():
    check = BudgetCheck(EXCEEDED, period_report(1.0, 5.0, 0.8), period_report(50.0, 50.0, 0.8))
    error = check.http_error()
    assert error.status == 429 and error.code == "budget_exceeded"
    assert "monthly" in error.message and "month" in error.message


def test_budgets_validate_their_numbers():
    with pytest.raises(ConfigurationError, match="daily_usd"):
        Budget(daily_usd=-1)
    with pytest.raises(ConfigurationError, match="warn_ratio"):
        Budget(warn_ratio=0)
    assert Budget.from_wire(Budget(1, 2).to_wire()) == Budget(1, 2)


def test_days_and_months_are_utc():
    day = day_number(1_790_000_000_000)  # 2026-09-21T14:13:20Z
    assert day_iso(day) == "2026-09-21"
    assert day_from_iso("2026-09-21") == day
    assert day_iso(month_start(day)) == "2026-09-01"
    assert day_iso(next_month_start(day_from_iso("2026-12-31"))) == "2027-01-01"
    assert day_number(day * 86_400_000 - 1) == day - 1
