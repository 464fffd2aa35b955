"""How records reach the MetricsAggregator inside the telemetry Worker.

Other Workers call the `record_metrics` RPC method over their service binding (`MonitoringMethods`,
mixed into the telemetry Worker's `Default`) with a batch of records; the telemetry Worker's own
requests use `LocalSink`. Both write the Analytics Engine data points (when `ANALYTICS` is bound)
and then count the batch in the aggregator: one RPC from the sender, one Durable Object call here.
"""

from __future__ import annotations

import json
from typing import Any

from flarekit.metrics.aggregator import aggregator
from flarekit.metrics.analytics import BINDING as ANALYTICS
from flarekit.metrics.analytics import write_data_point


async def deliver(env: Any, records: Any) -> int:
    """Write the records' analytics points and count them; returns how many were counted.

    `records`: a JSON array as text (what senders send: a string crosses RPC cheaply, and it goes on
    to the aggregator as it came), a list, or one record.
    """
    analytics = getattr(env, ANALYTICS, None) is not None
    if isinstance(records, str):
        if analytics:
            try:
                parsed = json.loads(records)
            except ValueError:
                parsed = []  # the aggregator refuses it and says why
            for record in parsed if isinstance(parsed, list) else ():
                write_data_point(env, record)
        return int(await aggregator(env).record(records))
    batch = [records] if hasattr(records, "get") else list(records)
    if analytics:
        for record in batch:
            write_data_point(env, record)
    return int(await aggregator(env).record(batch))


class LocalSink:
    """The RecordSink of the telemetry Worker itself (no service binding to cross)."""

    def __init__(self, env: Any) -> None:
        self._env = env

    async def record(self, records: list[dict[str, Any]]) -> Any:
        return await deliver(self._env, json.dumps(records, separators=(",", ":")))


class MonitoringMethods:
    """RPC methods for the telemetry Worker's `Default` entrypoint (a mixin: `class Default(MonitoringMethods,
    WorkerEntrypoint)`); service bindings of the other Workers call them."""

    env: Any

    async def record_metrics(self, records: Any) -> int:
        """Count a batch of request records (JSON text, or a list) sent by another Worker; returns how many counted."""
        return await deliver(self.env, records)
