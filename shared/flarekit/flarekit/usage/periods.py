"""UTC days and months as day numbers (days since 1970-01-01), the ledger's row keys."""

from __future__ import annotations

import datetime as dt

DAY_MS = 86_400_000
_EPOCH = dt.date(1970, 1, 1)


def day_number(ms: int) -> int:
    """The UTC day containing epoch milliseconds `ms`."""
    return int(ms) // DAY_MS


def day_iso(day: int) -> str:
    """A day number as `YYYY-MM-DD`."""
    return (_EPOCH + dt.timedelta(days=day)).isoformat()


def day_from_iso(text: str) -> int:
    """`YYYY-MM-DD` as a day number; a bad date raises ValueError."""
    return (dt.date.fromisoformat(text) - _EPOCH).days


def month_start(day: int) -> int:
    """The day number of the first day of `day`'s UTC month."""
    date = _EPOCH + dt.timedelta(days=day)
    return (date.replace(day=1) - _EPOCH).days


def next_month_start(day: int) -> int:
    """The day number of the first day of the following UTC month."""
    date = _EPOCH + dt.timedelta(days=day)
    first = date.replace(day=1)
    following = (
        first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)
    )
    return (following - _EPOCH).days
