"""MetricsAggregator: the one Durable Object every request record is counted in.

Hosted by the telemetry Worker (re-exported from its main module) and addressed by one fixed name,
so there is exactly one instance worldwide: events reach it one at a time, which is what makes the
counts exact however many isolates send records. Storage is bounded: minute and hour rollups are
pruned by an alarm (`PRUNE_INTERVAL_MS`); the totals grow only with the number of label sets.
A single object handles on the order of a thousand records a second; beyond that, shard by worker.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from workers import DurableObject

from flarekit.alerts.incidents import IncidentStore
from flarekit.alerts.notifiers import notifiers_from_env
from flarekit.alerts.rules import VARIABLE as ALERT_RULES_VARIABLE
from flarekit.alerts.rules import AlertConfig, parse_alert_config
from flarekit.alerts.runner import run_alerts
from flarekit.clock import now
from flarekit.metrics import prometheus
from flarekit.metrics.record import RecordError, parse_record
from flarekit.metrics.rollup_store import RollupStore
from flarekit.metrics.stats import SLOW_LIMIT, build_stats, parse_window

log = logging.getLogger("flarekit.metrics")

AGGREGATOR_BINDING = "METRICS_AGGREGATOR"
AGGREGATOR_NAME = "global"
PRUNE_INTERVAL_MS = 10 * 60 * 1000


def aggregator(env: Any, binding: str = AGGREGATOR_BINDING) -> Any:
    """The stub of the one MetricsAggregator (from a Worker that binds the class)."""
    namespace = getattr(env, binding)
    return namespace.get(namespace.idFromName(AGGREGATOR_NAME))


class MetricsAggregator(DurableObject):
    """Counts request records; answers Prometheus text, window stats and alert evaluations."""

    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self._store: RollupStore | None = None
        self._incidents: IncidentStore | None = None
        self._alert_config: AlertConfig | None = None
        self._alarm_checked = False
        self.rejected_records = 0

    @property
    def store(self) -> RollupStore:
        if self._store is None:
            self._store = RollupStore(self.ctx.storage.sql)
        return self._store

    async def record(self, records: Any) -> int:
        """Count request records (a JSON array as text, a list, or one record); returns how many were counted.

        A malformed record is skipped with a log line; the others of its batch still count.
        """
        if isinstance(records, str):
            try:
                records = json.loads(records)
            except ValueError:
                self.rejected_records += 1
                log.warning("metrics records refused: not JSON")
                return 0
        batch = [records] if hasattr(records, "get") else list(records)
        store = self.store
        counted = 0
        for record in batch:
            try:
                parsed = parse_record(record)
            except RecordError as error:
                self.rejected_records += 1
                log.warning("metrics record refused: %s", error)
                continue
            store.apply(parsed)
            counted += 1
        if counted and not self._alarm_checked:
            self._alarm_checked = True
            if await self.ctx.storage.getAlarm() is None:
                await self.ctx.storage.setAlarm(int(now() * 1000) + PRUNE_INTERVAL_MS)
        return counted

    async def prometheus(self) -> str:
        """The Prometheus exposition of every total."""
        store = self.store
        return prometheus.render(store.totals(), store.upstream("t", 0), store.circuits(), store.budgets())

    async def stats(self, window_name: str) -> dict[str, Any]:
        """The `/api/stats` document for a window name (15m, 1h, 24h, 7d)."""
        window = parse_window(window_name)
        at = now()
        since = window.since(at)
        store = self.store
        document = build_stats(
            window,
            at,
            store.window(window.res, since),
            store.timeline(window.res, since, window.step),
            store.upstream(window.res, since),
            store.circuits(),
            store.budgets(),
            store.slow_requests(since, SLOW_LIMIT),
        )
        document["incidents"] = self.incidents.open_incidents()
        return document

    @property
    def incidents(self) -> IncidentStore:
        if self._incidents is None:
            self._incidents = IncidentStore(self.ctx.storage.sql)
        return self._incidents

    async def evaluate_alerts(self) -> dict[str, Any]:
        """Evaluate the alert rules now and notify what opened or resolved (called from the cron)."""
        if self._alert_config is None:
            self._alert_config = parse_alert_config(getattr(self.env, ALERT_RULES_VARIABLE, None))
        return await run_alerts(
            self.store, self.incidents, self._alert_config, notifiers_from_env(self.env), int(now() * 1000)
        )

    async def open_incidents(self) -> list[Any]:
        """The incidents firing now (for the dashboard)."""
        return self.incidents.open_incidents()

    async def row_counts(self) -> dict[str, int]:
        """Rows held per table and resolution (diagnostics: storage stays bounded)."""
        return self.store.row_counts()

    async def alarm(self, alarm_info: Any = None) -> None:
        """Prune expired buckets, then come back later while any remain (the next record re-arms it)."""
        store = self.store
        store.prune(now())
        counts = store.row_counts()
        if counts["rollup_m"] or counts["rollup_h"] or counts["slow"]:
            await self.ctx.storage.setAlarm(int(now() * 1000) + PRUNE_INTERVAL_MS)
        else:
            self._alarm_checked = False
