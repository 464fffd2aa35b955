"""One Workers Analytics Engine data point per request record (when an `ANALYTICS` binding exists).

Analytics Engine keeps raw points for SQL queries over months, which the aggregator's rollups do not.
Layout (limits: 20 blobs, 20 doubles, 1 index of <= 96 bytes, 16 KB of blobs):
blobs   worker, route, method, status, model, provider, key, cache, error_type, trace_id
doubles duration_ms, ttfb_ms, input_tokens, output_tokens, cost_usd, retries,
        events_accepted, events_rejected, export_failures
index   worker (sampling key)
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("flarekit.metrics")

BINDING = "ANALYTICS"
BLOBS = ("worker", "route", "method", "status", "model", "provider", "key", "cache", "error_type", "trace_id")
DOUBLES = (
    "duration_ms",
    "ttfb_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "retries",
    "events_accepted",
    "events_rejected",
    "export_failures",
)


def data_point(record: Any) -> dict[str, Any]:
    """The data point of a record, in the column order documented above."""
    return {
        "blobs": [str(record.get(name) or "")[:256] for name in BLOBS],
        "doubles": [float(record.get(name) or 0) for name in DOUBLES],
        "indexes": [str(record.get("worker") or "")[:96]],
    }


def write_data_point(env: Any, record: Any, binding: str = BINDING) -> bool:
    """Write the record's point when the binding exists (synchronous, not awaited, as the API is)."""
    dataset = getattr(env, binding, None)
    if dataset is None:
        return False
    try:
        dataset.writeDataPoint(data_point(record))
    except Exception as error:  # an analytics write must not lose the record's count
        log.warning("Analytics Engine write failed: %s", error)
        return False
    return True
