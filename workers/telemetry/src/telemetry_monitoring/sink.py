"""How records reach the MetricsAggregator inside the telemetry Worker.

Other Workers call the `record_metrics` RPC method over their service binding (`MonitoringMethods`,
mixed into the telemetry Worker's `Default`) with a batch of records; the telemetry Worker's own
requests use `LocalSink`. Both write the Analytics Engine data points (when `ANALYTICS` is bound)
and then count the batch in the aggregator: one RPC from the sender, one Durable Object call here.
"""

from __future__ import annotations

from typing import Any

from flarekit.metrics.aggregator import aggregator
from flarekit.metrics.analytics import write_data_point


async def deliver(env: Any, records: Any) -> int:
    """Write the records' analytics points and count them (a list, or one record); returns how many counted."""
    batch = [records] if hasattr(records, "get") else list(records)
    for record in batch:
        write_data_point(env, record)
    return int(await aggregator(env).record(batch))


class LocalSink:
    """The RecordSink of the telemetry Worker itself (no service binding to cross)."""

    def __init__(self, env: Any) -> None:
        self._env = env

    async def record(self, records: list[dict[str, Any]]) -> Any:
        return await deliver(self._env, records)


class MonitoringMethods:
    """RPC methods for the telemetry Worker's `Default` entrypoint (a mixin: `class Default(MonitoringMethods,
    WorkerEntrypoint)`); service bindings of the other Workers call them."""

    env: Any

    async def record_metrics(self, records: Any) -> int:
        """Count a batch of request records (or one record) sent by another Worker; returns how many counted."""
        return await deliver(self.env, records)
