"""One alert evaluation, end to end: read the figures, decide, notify, then record the new state.

An incident's new state is saved only once its message went out on at least one channel, so a
notification that failed everywhere is tried again at the next evaluation rather than lost (and a
message is never sent twice for one transition, since a delivered one is saved at once).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flarekit.alerts.evaluation import evaluate, snapshot_from
from flarekit.alerts.incidents import IncidentStore, plan
from flarekit.alerts.notifiers import Notifier
from flarekit.alerts.rules import AlertConfig
from flarekit.metrics.rollup_store import RollupStore

log = logging.getLogger("flarekit.alerts")


async def run_alerts(
    store: RollupStore, incidents: IncidentStore, config: AlertConfig, notifiers: Sequence[Notifier], now_ms: int
) -> dict[str, Any]:
    """Evaluate every rule at `now_ms`; returns what fired and what was sent (for logs and tests)."""
    now_s = now_ms // 1000
    minute_start = now_s - now_s % 60
    since = minute_start - config.lookback_minutes * 60
    snapshot = snapshot_from(
        minute_start, store.minutes_by_worker(since, minute_start), store.circuits(), store.budgets()
    )
    firing = evaluate(config, snapshot)
    sent, failed = [], 0
    for change in plan(incidents.load(), firing, now_ms, config.cooldown_minutes * 60_000):
        note = change.notification
        if note is not None:
            delivered = [await notifier.send(note) for notifier in notifiers]
            if notifiers and not any(delivered):
                failed += 1
                continue
            sent.append({"status": note.status, "rule": note.rule, "subject": note.subject, "summary": note.summary})
            if not notifiers:
                log.warning("alert %s %s (%s): no channel configured", note.status, note.rule, note.subject)
        incidents.save(change.incident)
    incidents.prune(now_ms)
    return {
        "firing": [{"rule": f.rule.name, "subject": f.subject, "summary": f.summary} for f in firing],
        "sent": sent,
        "failed": failed,
    }
