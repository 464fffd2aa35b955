"""The Workers' side of metrics: hand request records to the aggregator, never failing a request.

Each Worker sends its records in batches (`outbox`), from a `waitUntil` task, over its service
binding to the telemetry Worker (`env.TELEMETRY.record_metrics(text)`, one RPC for a JSON array:
one string crosses RPC far cheaper than nested objects, which Pyodide converts key by key);
the telemetry Worker itself uses a local sink straight to its MetricsAggregator. A failure is
logged and counted here (isolate memory, diagnostics only); it is never retried, so a record is
counted at most once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("flarekit.metrics")

DEFAULT_BINDING = "TELEMETRY"
RPC_METHOD = "record_metrics"


class RecordSink(Protocol):
    """Where records go: anything with `async record(records)` answering how many were accepted."""

    async def record(self, records: list[dict[str, Any]]) -> Any: ...


class ServiceBindingSink:
    """Records sent over a service binding to the telemetry Worker's `record_metrics` RPC method."""

    def __init__(self, binding: Any, name: str = DEFAULT_BINDING) -> None:
        self.binding = binding
        self.name = name

    async def record(self, records: list[dict[str, Any]]) -> Any:
        return await getattr(self.binding, RPC_METHOD)(json.dumps(records, separators=(",", ":")))


# Per isolate: whether `env.<name>` is a service binding (wrangler.toml fixes it). Reading a
# binding through production's env wrapper costs a wrapper object each time: look once per flush.
_IS_SERVICE: dict[str, bool] = {}


def binding_sink(env: Any, name: str = DEFAULT_BINDING) -> RecordSink | None:
    """The sink over the service binding `name`, or None when the Worker has no such binding."""
    binding = getattr(env, name, None)
    if binding is None:
        return None
    service = _IS_SERVICE.get(name)
    if service is None:
        # A service binding has `fetch`; the telemetry Worker's own `TELEMETRY` is a KV namespace.
        service = _IS_SERVICE[name] = callable(getattr(binding, "fetch", None))
    return ServiceBindingSink(binding, name) if service else None


@dataclass
class SendStats:
    sent: int = 0
    failures: int = 0
    batches: int = 0


SEND_STATS = SendStats()


async def send_records(sink: RecordSink | None, records: list[dict[str, Any]]) -> int:
    """Deliver a batch of records; returns how many were counted (failures logged and counted). Never raises."""
    if sink is None or not records:
        return 0
    try:
        accepted = await sink.record(records)
    except Exception as error:  # metrics must never break the requests they describe
        SEND_STATS.failures += len(records)
        log.warning("%d metrics record(s) not delivered: %s: %s", len(records), type(error).__name__, error)
        return 0
    counted = len(records) if accepted is True else int(accepted or 0)
    SEND_STATS.batches += 1
    SEND_STATS.sent += counted
    SEND_STATS.failures += len(records) - counted  # refused as malformed (the aggregator logs why)
    return counted
