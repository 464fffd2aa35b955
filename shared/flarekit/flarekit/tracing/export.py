"""Send a request's spans as OTLP/HTTP, after the response, without ever failing the request.

Called from a `waitUntil` task. Over the service binding the spans reach the telemetry Worker's
`/v1/traces` without leaving Cloudflare; with an endpoint configured they go to any OTLP receiver
(a collector, Grafana Tempo, Honeycomb...). A failure (network error, non-2xx answer) is logged and
counted in `EXPORT_STATS`; the caller also reports it in the request's metrics record. No retries:
spans are best effort and a retry would hold the isolate past its `waitUntil` budget.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import workers

from flarekit.tracing import otlp_json, otlp_proto
from flarekit.tracing.config import TracingConfig
from flarekit.tracing.spans import RecordingSpan

log = logging.getLogger("flarekit.tracing")

BINDING_URL = "https://telemetry.internal/v1/traces"
"""The URL requested through the service binding (only the path matters to the telemetry Worker)."""

_ENCODERS = {
    "http/json": (otlp_json.encode, otlp_json.CONTENT_TYPE),
    "http/protobuf": (otlp_proto.encode, otlp_proto.CONTENT_TYPE),
}


@dataclass
class ExportStats:
    """Per-isolate counters (diagnostics only: the exact figures are in the metrics records)."""

    exports: int = 0
    spans: int = 0
    failures: int = 0
    dropped_spans: int = 0


EXPORT_STATS = ExportStats()


def resource_attributes(config: TracingConfig, version: str | None = None) -> dict[str, Any]:
    """The resource every span of this Worker carries."""
    resource: dict[str, Any] = {
        "service.name": config.service_name,
        "telemetry.sdk.name": "flarekit",
        "telemetry.sdk.language": "python",
        "cloud.provider": "cloudflare",
        "cloud.platform": "cloudflare.workers",
    }
    if version:
        resource["service.version"] = version
    return resource


async def export_spans(
    env: Any,
    config: TracingConfig,
    resource: dict[str, Any],
    spans: Sequence[RecordingSpan],
    dropped: int = 0,
    binding: Any = None,
) -> bool:
    """POST the spans; True when the receiver accepted them. Never raises.

    `binding`: the service binding object when the caller holds it already (one env read less).
    """
    EXPORT_STATS.dropped_spans += dropped
    if not spans:
        return True
    encode, content_type = _ENCODERS[config.protocol]
    headers = {name: str(value) for name, value in config.headers}
    headers["content-type"] = content_type
    EXPORT_STATS.exports += 1
    EXPORT_STATS.spans += len(spans)
    try:
        body = encode(resource, spans)
        if config.endpoint is not None:
            response = await workers.fetch(config.endpoint, method="POST", headers=headers, body=body)
        else:
            if binding is None:
                binding = getattr(env, config.binding or "")
            response = await binding.fetch(BINDING_URL, method="POST", headers=headers, body=body)
        status = response.status
    except Exception as error:  # any failure of telemetry must stay out of the request
        EXPORT_STATS.failures += 1
        log.warning("span export failed: %s: %s", type(error).__name__, error)
        return False
    if not 200 <= status < 300:
        EXPORT_STATS.failures += 1
        log.warning("span export refused: HTTP %s from %s", status, config.endpoint or config.binding)
        return False
    return True
