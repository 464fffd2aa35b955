"""The cron parser behind `flaresim dev`'s Cron Triggers: which minutes (UTC) an expression fires."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flaresim.cron import CronError, parse_cron


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def firings(expression: str, start: str, count: int) -> list[str]:
    schedule, when, out = parse_cron(expression), at(start), []
    for _ in range(count):
        when = schedule.next_after(when)
        out.append(datetime.fromtimestamp(when, tz=UTC).strftime("%Y-%m-%d %H:%M %a"))
    return out


@pytest.mark.parametrize(
    ("expression", "start", "expected"),
    [
        ("*/5 * * * *", "2026-01-01 10:02:30", ["2026-01-01 10:05 Thu", "2026-01-01 10:10 Thu"]),
        ("0 */6 * * *", "2026-01-01 05:00", ["2026-01-01 06:00 Thu", "2026-01-01 12:00 Thu"]),
        ("30 9 * * MON-FRI", "2026-01-02 10:00", ["2026-01-05 09:30 Mon", "2026-01-06 09:30 Tue"]),
        ("0 0 1 jan,jul *", "2026-02-01 00:00", ["2026-07-01 00:00 Wed", "2027-01-01 00:00 Fri"]),
        ("0 12 * * 7", "2026-01-01 00:00", ["2026-01-04 12:00 Sun", "2026-01-11 12:00 Sun"]),
        ("0 12 * * 1-7", "2026-01-03 13:00", ["2026-01-04 12:00 Sun", "2026-01-05 12:00 Mon"]),
        ("15 3 L * *", "2026-02-01 00:00", ["2026-02-28 03:15 Sat", "2026-03-31 03:15 Tue"]),
        ("0 18 * * 5L", "2026-01-01 00:00", ["2026-01-30 18:00 Fri", "2026-02-27 18:00 Fri"]),
        ("0 8 ? * 1#2", "2026-01-01 00:00", ["2026-01-12 08:00 Mon", "2026-02-09 08:00 Mon"]),
        # both day fields restricted: either one matches, as in classic cron
        ("0 0 13 * FRI", "2026-02-01 00:00", ["2026-02-06 00:00 Fri", "2026-02-13 00:00 Fri"]),
        ("0 0 29 2 *", "2026-01-01 00:00", ["2028-02-29 00:00 Tue", "2032-02-29 00:00 Sun"]),
    ],
)
def test_schedules_fire_at_the_expected_minutes(expression, start, expected):
    assert firings(expression, start, len(expected)) == expected


def test_the_next_firing_is_strictly_after_the_given_time():
    assert parse_cron("* * * * *").next_after(at("2026-01-01 10:00")) == at("2026-01-01 10:01")


@pytest.mark.parametrize(
    "expression",
    ["* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "*/0 * * * *", "* * * * FUNDAY", "0 0 ? * 1#6"],
)
def test_invalid_expressions_are_refused_with_the_expression_quoted(expression):
    with pytest.raises(CronError, match=repr(expression).replace("*", r"\*").replace("?", r"\?")):
        parse_cron(expression)


def test_an_expression_that_can_never_fire_says_so():
    with pytest.raises(CronError, match="never fires"):
        parse_cron("0 0 31 2 *").next_after(at("2026-01-01 00:00"))
