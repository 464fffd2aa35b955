"""Cron expressions (five fields, UTC), as Cron Triggers accept them, to fire `scheduled()` locally."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_NAMES = {
    3: {n: i + 1 for i, n in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())},
    4: {n: i for i, n in enumerate("SUN MON TUE WED THU FRI SAT".split())},
}


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

    def matches(self, moment: datetime) -> bool:
        if moment.minute not in self.minutes or moment.hour not in self.hours or moment.month not in self.months:
            return False
        weekday = (moment.weekday() + 1) % 7  # cron counts Sunday as 0
        day_ok, weekday_ok = moment.day in self.days, weekday in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok  # both restricted: either matches (classic cron)

    def next_after(self, when: float) -> float:
        """The next firing time strictly after `when` (epoch seconds)."""
        moment = datetime.fromtimestamp(when, tz=UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(366 * 24 * 60):
            if self.matches(moment):
                return moment.timestamp()
            moment += timedelta(minutes=1)
        raise CronError(f"cron {self.expression!r} never fires")


def _field(text: str, index: int) -> frozenset[int]:
    low, high = _RANGES[index]
    values: set[int] = set()
    for part in text.upper().split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, index), _value(b, index)
        else:
            start = _value(part, index)
            end = high if step != 1 else start
        if step < 1 or start < low or end > high or start > end:
            raise CronError(f"bad cron field {text!r}")
        values.update(range(start, end + 1, step))
    if index == 4 and 7 in values:
        values.add(0)
    return frozenset(values)


def _value(text: str, index: int) -> int:
    names = _NAMES.get(index, {})
    if text in names:
        return names[text]
    value = int(text)
    return 0 if index == 4 and value == 7 else value


def parse_cron(expression: str) -> CronSchedule:
    """Parse a five-field cron expression."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronError(f"cron {expression!r} must have five fields (minute hour day month weekday)")
    try:
        parsed = [_field(f, i) for i, f in enumerate(fields)]
    except (ValueError, KeyError) as error:
        raise CronError(f"cron {expression!r}: {error}") from None
    return CronSchedule(expression, *parsed, any_day=fields[2] in ("*", "?"), any_weekday=fields[4] in ("*", "?"))
