"""The Workers' side of metrics: hand a request's record to the aggregator, never failing the request.

Each Worker sends one record per request, from a `waitUntil` task, over its service binding to the
telemetry Worker (`env.TELEMETRY.record_metrics(record)`, one RPC); the telemetry Worker itself
uses a local sink straight to its MetricsAggregator. A failure is logged and counted here (isolate
memory, diagnostics only); it is never retried, so a record is counted at most once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("flarekit.metrics")

DEFAULT_BINDING = "TELEMETRY"
RPC_METHOD = "record_metrics"


class RecordSink(Protocol):
    """Where records go: anything with `async record(record)`."""

    async def record(self, record: dict[str, Any]) -> Any: ...


class ServiceBindingSink:
    """Records sent over a service binding to the telemetry Worker's `record_metrics` RPC method."""

    def __init__(self, binding: Any) -> None:
        self._binding = binding

    async def record(self, record: dict[str, Any]) -> Any:
        return await getattr(self._binding, RPC_METHOD)(record)


def binding_sink(env: Any, name: str = DEFAULT_BINDING) -> RecordSink | None:
    """The sink over the service binding `name`, or None when the Worker has no such binding."""
    binding = getattr(env, name, None)
    # A service binding has `fetch`; the telemetry Worker's own `TELEMETRY` is a KV namespace.
    return ServiceBindingSink(binding) if binding is not None and callable(getattr(binding, "fetch", None)) else None


@dataclass
class SendStats:
    sent: int = 0
    failures: int = 0


SEND_STATS = SendStats()


async def send_record(sink: RecordSink | None, record: dict[str, Any]) -> bool:
    """Deliver one record; False (logged and counted) when it could not be. Never raises."""
    if sink is None:
        return False
    try:
        accepted = await sink.record(record)
    except Exception as error:  # metrics must never break the request they describe
        SEND_STATS.failures += 1
        log.warning("metrics record not delivered: %s: %s", type(error).__name__, error)
        return False
    if accepted is False:  # the aggregator refused it as malformed (it logs why)
        SEND_STATS.failures += 1
        return False
    SEND_STATS.sent += 1
    return True
