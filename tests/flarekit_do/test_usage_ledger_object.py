"""The UsageLedger Durable Object through flaresim: exact spend across isolates, budgets crossing
80 % and 100 %, UTC day and month boundaries, per-model figures, and pruning by alarm."""

from __future__ import annotations

import asyncio

import pytest

from flarekit.usage import EXCEEDED, OK, WARN, Budget, UsageClient, UsageEntry

DAY = 86_400


@pytest.fixture
def start_of_day(flaresim_clock):
    """Put the fake clock at 2026-09-15T00:00:10Z (mid-month, just after midnight UTC)."""
    flaresim_clock.set(1_789_430_410)
    return flaresim_clock


@pytest.fixture
def ledgers(load_host, start_of_day):
    hosts = load_host(isolates=2)
    return [UsageClient(isolate.env.USAGE) for isolate in hosts.isolates]


async def test_spend_recorded_concurrently_from_two_isolates_adds_up_exactly(ledgers):
    entry = UsageEntry("gpt-4o-mini", 100, 10, 0.1)
    await asyncio.gather(*(ledgers[i % 2].record("key:a", entry) for i in range(100)))
    today = (await ledgers[0].summary("key:a"))["today"]
    assert today["cost_usd"] == 10.0  # exactly: stored as integer nano-dollars, not summed floats
    assert (today["requests"], today["input_tokens"], today["output_tokens"]) == (100, 10_000, 1_000)


async def test_a_budget_warns_at_80_percent_and_is_exceeded_at_100(ledgers):
    usage, budget = ledgers[0], Budget(daily_usd=1.0)
    statuses = []
    for _ in range(5):
        statuses.append((await usage.check("key:b", budget)).status)
        await usage.record("key:b", UsageEntry("m", cost_usd=0.2))
    check = await usage.check("key:b", budget)
    statuses.append(check.status)
    assert statuses == [OK, OK, OK, OK, WARN, EXCEEDED]
    assert check.daily["spent_usd"] == 1.0 and check.daily["used"] == 1.0
    error = check.http_error()
    assert error.status == 429 and error.code == "budget_exceeded"


async def test_the_daily_budget_renews_at_midnight_but_the_monthly_one_does_not(ledgers, flaresim):
    usage, budget = ledgers[0], Budget(daily_usd=1.0, monthly_usd=1.2)
    await usage.record("key:c", UsageEntry("m", cost_usd=1.0))
    assert (await usage.check("key:c", budget)).daily["status"] == EXCEEDED
    await flaresim.advance(DAY)
    check = await usage.check("key:c", budget)
    assert check.daily["status"] == OK and check.monthly["status"] == WARN and check.status == WARN
    await usage.record("key:c", UsageEntry("m", cost_usd=0.5))
    assert (await usage.check("key:c", budget)).monthly["status"] == EXCEEDED
    await flaresim.advance(20 * DAY)  # into October
    assert (await usage.check("key:c", budget)).status == OK


async def test_record_reports_the_budget_status_it_leads_to(ledgers):
    result = await ledgers[0].record("key:d", UsageEntry("m", cost_usd=0.85), Budget(daily_usd=1.0))
    assert result["budget"]["status"] == WARN and result["today_usd"] == 0.85


async def test_spend_is_kept_per_model_today_and_this_month(ledgers, flaresim):
    usage = ledgers[1]
    await usage.record("key:e", UsageEntry("gpt-4o-mini", 1000, 100, 0.0002))
    await flaresim.advance(DAY)
    await usage.record("key:e", UsageEntry("gpt-4o-mini", 1000, 100, 0.0002))
    await usage.record("key:e", UsageEntry("claude-haiku-4-5", 500, 50, 0.00075))
    summary = await usage.summary("key:e")
    assert set(summary["today"]["by_model"]) == {"gpt-4o-mini", "claude-haiku-4-5"}
    assert summary["today"]["requests"] == 2
    month = summary["month"]["by_model"]["gpt-4o-mini"]
    assert month["requests"] == 2 and month["cost_usd"] == pytest.approx(0.0004)
    rows = await usage.stub("key:e").days("2026-09-15", "2026-09-16")
    assert [(r["day"], r["model"]) for r in rows] == [
        ("2026-09-15", "gpt-4o-mini"),
        ("2026-09-16", "claude-haiku-4-5"),
        ("2026-09-16", "gpt-4o-mini"),
    ]


async def test_days_older_than_the_retention_are_pruned_by_the_alarm(ledgers, flaresim):
    usage = ledgers[0]
    await usage.record("key:f", UsageEntry("m", cost_usd=1.0))
    await flaresim.advance(300 * DAY)
    await usage.record("key:f", UsageEntry("m", cost_usd=2.0))
    await flaresim.advance(101 * DAY)
    assert (await usage.summary("key:f"))["total"]["cost_usd"] == 2.0


async def test_no_budget_means_no_call_and_an_unreachable_ledger_fails_open_flagged(load_host, start_of_day):
    from flarekit.usage.client import UsageClient as Client

    env = load_host().isolates[0].env

    class Unreachable:
        def idFromName(self, name):
            return env.USAGE.idFromName(name)

        def get(self, object_id):
            raise OSError("network connection lost")

    unlimited = await Client(Unreachable()).check("key:g", Budget())
    assert unlimited.status == OK and not unlimited.degraded
    degraded = await Client(Unreachable()).check("key:g", Budget(daily_usd=1))
    assert degraded.status == OK and degraded.degraded


async def test_bad_entries_are_refused_and_change_nothing(ledgers):
    with pytest.raises(Exception, match="cost_usd"):
        await ledgers[0].record("key:h", UsageEntry("m", cost_usd=-1))
    assert (await ledgers[0].summary("key:h"))["total"]["requests"] == 0
