"""Cron expressions (five fields, UTC), as Cron Triggers accept them, to fire `scheduled()` locally.

Fields: minute, hour, day of month, month, day of week (0 or 7 = Sunday; names such as MON and
JAN). Each field takes `*`, `?`, lists, ranges and steps; as on Cloudflare, the day of month also
takes `L` (the last day) and the day of week `5L` (the last Friday) and `1#2` (the second Monday).
When both day fields are restricted, either may match (classic cron).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_NAMES = {
    3: {n: i + 1 for i, n in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())},
    4: {n: i for i, n in enumerate("SUN MON TUE WED THU FRI SAT".split())},
}
_DAY, _WEEKDAY = 2, 4
# The longest gap between two firings of a valid expression (Feb 29 on a given weekday: 28 years).
_SEARCH_LIMIT = timedelta(days=366 * 29)


class CronError(ValueError):
    """A cron expression that cannot be parsed; the message quotes it."""


@dataclass(frozen=True)
class CronSchedule:
    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool
    last_day: bool = False  # `L` in the day-of-month field
    last_weekdays: frozenset[int] = frozenset()  # `5L`: the last such weekday of the month
    nth_weekdays: frozenset[tuple[int, int]] = frozenset()  # `1#2`: (weekday, n)

    def _day_matches(self, moment: datetime) -> bool:
        days_in_month = calendar.monthrange(moment.year, moment.month)[1]
        return moment.day in self.days or (self.last_day and moment.day == days_in_month)

    def _weekday_matches(self, moment: datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7  # cron counts Sunday as 0
        if weekday in self.weekdays:
            return True
        days_in_month = calendar.monthrange(moment.year, moment.month)[1]
        if weekday in self.last_weekdays and moment.day + 7 > days_in_month:
            return True
        return (weekday, (moment.day - 1) // 7 + 1) in self.nth_weekdays

    def matches_day(self, moment: datetime) -> bool:
        """Whether the schedule fires on this calendar day (month and day fields)."""
        if moment.month not in self.months:
            return False
        day_ok, weekday_ok = self._day_matches(moment), self._weekday_matches(moment)
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok

    def matches(self, moment: datetime) -> bool:
        """Whether the schedule fires at this minute (UTC)."""
        return moment.minute in self.minutes and moment.hour in self.hours and self.matches_day(moment)

    def next_after(self, when: float) -> float:
        """The next firing time strictly after `when` (epoch seconds)."""
        start = datetime.fromtimestamp(when, tz=UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        moment = start
        while moment - start < _SEARCH_LIMIT:
            if not self.matches_day(moment):
                moment = moment.replace(hour=0, minute=0) + timedelta(days=1)
            elif moment.hour not in self.hours:
                moment = moment.replace(minute=0) + timedelta(hours=1)
            elif moment.minute not in self.minutes:
                moment += timedelta(minutes=1)
            else:
                return moment.timestamp()
        raise CronError(f"cron {self.expression!r} never fires")


def _value(text: str, index: int) -> int:
    names = _NAMES.get(index, {})
    if text in names:
        return names[text]
    value = int(text)
    return 0 if index == _WEEKDAY and value == 7 else value


def _field(text: str, index: int) -> frozenset[int]:
    low, high = _RANGES[index]
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, index), _value(b, index)
            if index == _WEEKDAY and end == 0 and start > 0:  # MON-SUN or 1-7: through Sunday (0)
                end = 6
                values.add(0)
        else:
            start = _value(part, index)
            end = high if step != 1 else start
        if step < 1 or start < low or end > high or start > end:
            raise CronError(f"bad cron field {text!r}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse_cron(expression: str) -> CronSchedule:
    """Parse a five-field cron expression."""
    fields = expression.upper().split()
    if len(fields) != 5:
        raise CronError(f"cron {expression!r} must have five fields (minute hour day month weekday)")
    day_text, weekday_text = fields[_DAY], fields[_WEEKDAY]
    extras: dict[str, object] = {}
    try:
        if "L" in day_text.split(","):
            extras["last_day"] = True
            day_text = ",".join(p for p in day_text.split(",") if p != "L") or "NONE"
        plain_weekdays, last_weekdays, nth_weekdays = [], set(), set()
        for part in weekday_text.split(","):
            if part.endswith("L") and len(part) > 1:
                last_weekdays.add(_value(part[:-1], _WEEKDAY))
            elif "#" in part:
                day, _, nth = part.partition("#")
                if not 1 <= int(nth) <= 5:
                    raise CronError(f"bad cron field {weekday_text!r}")
                nth_weekdays.add((_value(day, _WEEKDAY), int(nth)))
            else:
                plain_weekdays.append(part)
        weekdays = _field(",".join(plain_weekdays), _WEEKDAY) if plain_weekdays else frozenset()
        days = frozenset() if day_text == "NONE" else _field(day_text, _DAY)
        minutes, hours, months = _field(fields[0], 0), _field(fields[1], 1), _field(fields[3], 3)
    except (ValueError, KeyError) as error:
        raise CronError(f"cron {expression!r}: {error}") from None
    return CronSchedule(
        expression,
        minutes,
        hours,
        days,
        months,
        weekdays,
        any_day=fields[_DAY] in ("*", "?"),
        any_weekday=fields[_WEEKDAY] in ("*", "?"),
        last_weekdays=frozenset(last_weekdays),
        nth_weekdays=frozenset(nth_weekdays),
        **extras,  # type: ignore[arg-type]
    )
