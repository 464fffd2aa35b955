"""Event timestamps: epoch milliseconds or ISO 8601 in, epoch milliseconds out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Keys hold 13 decimal digits of milliseconds, which covers 1970 up to the year 2286.
MAX_TIMESTAMP_MS = 10**13 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def parse_timestamp(value: object) -> int | None:
    """Epoch milliseconds from a number (ms) or an ISO 8601 string; None when neither or out of range."""
    if type(value) is int:
        ms = value
    elif type(value) is float:
        if value != value:  # NaN
            return None
        ms = int(value)
    elif isinstance(value, str):
        ms = _iso_ms(value)
        if ms is None:
            return None
    else:
        return None
    return ms if 0 <= ms <= MAX_TIMESTAMP_MS else None


def _iso_ms(text: str) -> int | None:
    text = text.strip()
    if text.isdigit():  # epoch ms sent as a string
        return int(text)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # no offset given: read as UTC
    return (moment - _EPOCH) // _MS


def parse_time_param(name: str, value: str | None) -> int | None:
    """A query parameter holding epoch ms or ISO 8601; raises ValueError naming the parameter."""
    if value is None or value == "":
        return None
    parsed = parse_timestamp(int(value) if value.lstrip("-").isdigit() else value)
    if parsed is None:
        raise ValueError(f"{name} must be epoch milliseconds or an ISO 8601 time, got {value!r}")
    return parsed
