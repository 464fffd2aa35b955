"""How records reach the MetricsAggregator inside the telemetry Worker.

Other Workers call the `record_metrics` RPC method over their service binding (`MonitoringMethods`,
mixed into the telemetry Worker's `Default`); the telemetry Worker's own requests use `LocalSink`.
Both write the Analytics Engine data point (when `ANALYTICS` is bound) and then count the record
in the aggregator: one RPC from the sender, one Durable Object call here.
"""

from __future__ import annotations

from typing import Any

from flarekit.metrics.aggregator import aggregator
from flarekit.metrics.analytics import write_data_point


async def deliver(env: Any, record: Any) -> bool:
    """Write the record's analytics point and count it; False when the aggregator refused it."""
    write_data_point(env, record)
    return bool(await aggregator(env).record(record))


class LocalSink:
    """The RecordSink of the telemetry Worker itself (no service binding to cross)."""

    def __init__(self, env: Any) -> None:
        self._env = env

    async def record(self, record: dict[str, Any]) -> Any:
        return await deliver(self._env, record)


class MonitoringMethods:
    """RPC methods for the telemetry Worker's `Default` entrypoint (a mixin: `class Default(MonitoringMethods,
    WorkerEntrypoint)`); service bindings of the other Workers call them."""

    env: Any

    async def record_metrics(self, record: Any) -> bool:
        """Count one request record sent by another Worker."""
        return await deliver(self.env, record)
