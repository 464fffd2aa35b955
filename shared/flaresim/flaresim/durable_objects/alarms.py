"""Alarm bookkeeping: which object's alarm is due when, and how failed alarms are retried.

Each object's alarm is stored in its own database (`_cf_METADATA`), so it survives a restart;
this schedule is the runtime's index over them, rebuilt from the files on first use.
"""

from __future__ import annotations

import heapq
from pathlib import Path

from flaresim.durable_objects.database import read_persisted_alarm

# Production retries a failing alarm() with exponential backoff from 2 s, at most 6 times.
MAX_RETRIES = 6
FIRST_RETRY_DELAY_MS = 2_000

ObjectKey = tuple[str, str, str]  # (script, class, id hex)


def retry_delay_ms(retry: int) -> int:
    """How long after the failure of attempt `retry` (0 = first) the next attempt runs."""
    return FIRST_RETRY_DELAY_MS * 2**retry


class AlarmInfo:
    """The `alarm_info` passed to `alarm()`: `retryCount` and `isRetry`."""

    __slots__ = ("isRetry", "retryCount")

    def __init__(self, retry_count: int) -> None:
        self.retryCount = retry_count
        self.isRetry = retry_count > 0

    def __repr__(self) -> str:
        return f"AlarmInfo(retryCount={self.retryCount}, isRetry={self.isRetry})"


class AlarmSchedule:
    """Pending alarms by due time; an entry replaced or cancelled is skipped when popped."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, ObjectKey]] = []
        self._pending: dict[ObjectKey, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, key: object) -> bool:
        return key in self._pending

    def set(self, key: ObjectKey, when_ms: int, retry: int = 0) -> None:
        self._pending[key] = (when_ms, retry)
        heapq.heappush(self._heap, (when_ms, key))
        if len(self._heap) > 2 * len(self._pending) + 64:
            # Rebuild so replaced entries do not pile up in the heap.
            self._heap = [(when, k) for k, (when, _) in self._pending.items()]
            heapq.heapify(self._heap)

    def cancel(self, key: ObjectKey) -> None:
        self._pending.pop(key, None)

    def get(self, key: ObjectKey) -> tuple[int, int] | None:
        return self._pending.get(key)

    def next_due_ms(self) -> int | None:
        """When the earliest pending alarm is due."""
        while self._heap:
            when, key = self._heap[0]
            entry = self._pending.get(key)
            if entry is not None and entry[0] == when:
                return when
            heapq.heappop(self._heap)
        return None

    def pop_due(self, now_ms: int) -> list[tuple[ObjectKey, int, int]]:
        """Remove and return (key, time, retry) of every alarm due at `now_ms`, earliest first."""
        due = []
        while self._heap and self._heap[0][0] <= now_ms:
            when, key = heapq.heappop(self._heap)
            entry = self._pending.get(key)
            if entry is None or entry[0] != when:
                continue
            del self._pending[key]
            due.append((key, when, entry[1]))
        return due

    def load_persisted(self, directory: Path) -> int:
        """Add the alarms stored in object files under `directory` that this schedule lacks."""
        found = 0
        for path in sorted(directory.glob("*/*/*.sqlite3")):
            key = (path.parent.parent.name, path.parent.name, path.stem)
            if key in self._pending:
                continue
            stored = read_persisted_alarm(path)
            if stored is not None:
                self.set(key, *stored)
                found += 1
        return found
