"""One record per request, sent to the telemetry Worker after the response.

Records are queued in a bounded per-isolate buffer and posted, as a JSON array of
`{"event_type": "ai.request", "data": {...}}` events, to `POST /api/telemetry/ingest` over the
`TELEMETRY` service binding with `TELEMETRY_INGEST_TOKEN`. At most one post is in flight per
isolate; records that arrive meanwhile go with the next post (made by the request whose post is
running when it finishes, or by the next request), so under load one post carries many records.
A telemetry failure is counted and logged, never raised: it must not affect any response.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from dataclasses import dataclass, field, fields
from typing import Any

log = logging.getLogger("ai_proxy.telemetry")

EVENT_TYPE = "ai.request"
INGEST_URL = "https://telemetry/api/telemetry/ingest"
BUFFER_SIZE = 1000
MAX_BATCH = 500


@dataclass(slots=True)
class RequestRecord:
    """What happened to one request (times in ms; tokens and cost as billed, 0 for a cache hit)."""

    request_id: str
    timestamp: int
    route: str
    method: str
    key_name: str | None = None
    key_id: str | None = None
    model: str | None = None
    provider: str | None = None
    deployment: str | None = None
    status: int = 0
    latency_ms: float = 0.0
    ttfb_ms: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    usage_estimated: bool = False
    cost_usd: float = 0.0
    cache: str | None = None
    stream: bool = False
    retries: int = 0
    attempts: list[dict[str, Any]] = field(default_factory=list)
    error_type: str | None = None
    error_message: str | None = None
    ratelimit_mode: str | None = None
    circuit: dict[str, Any] = field(default_factory=dict)
    trace_id: str | None = None  # the request's trace, when sampled (links the log to its spans)

    def event(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict deep-copies and costs several times more per request.
        data = {name: getattr(self, name) for name in FIELDS}
        return {"event_type": EVENT_TYPE, "timestamp": self.timestamp, "data": data}


FIELDS = tuple(f.name for f in fields(RequestRecord))


class TelemetrySink:
    """The isolate's outgoing record buffer (bounded; drops are counted)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.buffer: deque[dict[str, Any]] = deque()
        self.flushing = False
        self.sent = 0
        self.dropped = 0
        self.failures = 0

    def add(self, record: RequestRecord) -> None:
        if len(self.buffer) >= BUFFER_SIZE:
            self.buffer.popleft()
            self.dropped += 1
        self.buffer.append(record.event())

    async def flush(self, env: Any) -> None:
        """Post what is buffered; return at once if another request's post is running (it takes ours)."""
        if self.flushing:
            return
        binding = getattr(env, "TELEMETRY", None)
        if binding is None or not self.token:
            self.dropped += len(self.buffer)
            self.buffer.clear()
            return
        self.flushing = True
        try:
            while self.buffer:
                batch = [self.buffer.popleft() for _ in range(min(len(self.buffer), MAX_BATCH))]
                await self._post(binding, batch)
        finally:
            self.flushing = False

    async def _post(self, binding: Any, batch: list[dict[str, Any]]) -> None:
        try:
            response = await binding.fetch(
                INGEST_URL,
                method="POST",
                headers={"content-type": "application/json", "authorization": f"Bearer {self.token}"},
                body=json.dumps(batch, separators=(",", ":")),
            )
            if response.status >= 300:
                raise OSError(f"telemetry answered {response.status}")
            self.sent += len(batch)
        except Exception as error:  # telemetry must never fail a request: count, log, drop
            self.failures += 1
            self.dropped += len(batch)
            if self.failures in (1, 10, 100) or self.failures % 1000 == 0:
                log.warning("telemetry post failed (%d failures so far): %s", self.failures, error)
