"""Incidents: one per (rule, subject) while it fires; what to notify when one opens or resolves.

- A rule starting to fire opens an incident and notifies once ("firing").
- While it keeps firing nothing more is sent. When it stops, one "resolved" message is sent.
- Cooldown: if the same (rule, subject) fires again within `cooldown` of its last "firing" message
  (a flapping condition), the incident reopens silently; it is notified once the cooldown has
  passed if it is still firing, and a silent incident resolves silently.

`plan` is pure; `IncidentStore` keeps the state in the aggregator's SQL storage, one row per
(rule, subject), resolved rows pruned after `RESOLVED_RETENTION_MS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from flarekit.alerts.evaluation import Firing
from flarekit.metrics.rollup_store import Sql

OPEN, RESOLVED = "open", "resolved"
RESOLVED_RETENTION_MS = 7 * 86_400_000

IncidentKey = tuple[str, str]


@dataclass(frozen=True)
class Incident:
    rule: str
    subject: str
    status: str
    opened_ms: int
    notified: bool  # whether this incident's "firing" message went out
    last_notice_ms: int  # when the last "firing" message for this (rule, subject) went out
    resolved_ms: int | None
    summary: str


@dataclass(frozen=True)
class Notification:
    """A message to send: an incident opened ("firing") or ended ("resolved")."""

    status: str
    rule: str
    kind: str
    subject: str
    summary: str
    value: float | None
    opened_ms: int
    at_ms: int


@dataclass(frozen=True)
class Change:
    """The new state of one incident, and the message that must be delivered for it to hold."""

    incident: Incident
    notification: Notification | None


def plan(
    incidents: Mapping[IncidentKey, Incident], firing: Iterable[Firing], now_ms: int, cooldown_ms: int
) -> list[Change]:
    """The incident changes that the current firing set implies (only what changes)."""
    changes: list[Change] = []
    now_firing: dict[IncidentKey, Firing] = {(f.rule.name, f.subject): f for f in firing}
    for key, fire in now_firing.items():
        current = incidents.get(key)
        note = Notification(
            "firing", fire.rule.name, fire.rule.kind, fire.subject, fire.summary, fire.value, now_ms, now_ms
        )
        if current is None or current.status == RESOLVED:
            in_cooldown = current is not None and now_ms - current.last_notice_ms < cooldown_ms
            last_notice = current.last_notice_ms if in_cooldown and current is not None else now_ms
            opened = Incident(key[0], key[1], OPEN, now_ms, not in_cooldown, last_notice, None, fire.summary)
            changes.append(Change(opened, None if in_cooldown else note))
        elif not current.notified and now_ms - current.last_notice_ms >= cooldown_ms:
            notified = replace(current, notified=True, last_notice_ms=now_ms, summary=fire.summary)
            changes.append(Change(notified, replace(note, opened_ms=current.opened_ms)))
    for key, current in incidents.items():
        if current.status == OPEN and key not in now_firing:
            resolved = replace(current, status=RESOLVED, resolved_ms=now_ms)
            resolved_note: Notification | None = None
            if current.notified:
                resolved_note = Notification(
                    "resolved", current.rule, "", current.subject, current.summary, None, current.opened_ms, now_ms
                )
            changes.append(Change(resolved, resolved_note))
    return changes


_COLUMNS = ("rule", "subject", "status", "opened_ms", "notified", "last_notice_ms", "resolved_ms", "summary")


class IncidentStore:
    """Incident rows in a Durable Object's SQL storage."""

    def __init__(self, sql: Sql) -> None:
        self._sql = sql
        sql.exec(
            "CREATE TABLE IF NOT EXISTS incident (rule TEXT NOT NULL, subject TEXT NOT NULL, status TEXT NOT NULL, "
            "opened_ms INTEGER NOT NULL, notified INTEGER NOT NULL, last_notice_ms INTEGER NOT NULL, "
            "resolved_ms INTEGER, summary TEXT NOT NULL, PRIMARY KEY (rule, subject))"
        )

    def load(self) -> dict[IncidentKey, Incident]:
        rows = self._sql.exec(f"SELECT {', '.join(_COLUMNS)} FROM incident").toArray()
        return {
            (row["rule"], row["subject"]): Incident(
                row["rule"],
                row["subject"],
                row["status"],
                int(row["opened_ms"]),
                bool(row["notified"]),
                int(row["last_notice_ms"]),
                None if row["resolved_ms"] is None else int(row["resolved_ms"]),
                row["summary"],
            )
            for row in rows
        }

    def save(self, incident: Incident) -> None:
        self._sql.exec(
            f"INSERT OR REPLACE INTO incident ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
            incident.rule,
            incident.subject,
            incident.status,
            incident.opened_ms,
            1 if incident.notified else 0,
            incident.last_notice_ms,
            incident.resolved_ms,
            incident.summary,
        )

    def prune(self, now_ms: int) -> None:
        self._sql.exec(
            "DELETE FROM incident WHERE status = ? AND resolved_ms < ?", RESOLVED, now_ms - RESOLVED_RETENTION_MS
        )

    def open_incidents(self) -> list[dict[str, Any]]:
        """Open incidents, for the dashboard."""
        return self._sql.exec(
            "SELECT rule, subject, opened_ms, summary FROM incident WHERE status = ? ORDER BY opened_ms", OPEN
        ).toArray()
