"""What leaves an isolate after its requests: metrics records and finished spans, sent in batches.

Each observed request puts its record (and, when sampled, its spans) here from its `waitUntil`
task. One flush at a time sends everything pending: the spans in one OTLP export, then the
records in one `record_metrics` RPC. A flush first waits `FLUSH_WINDOW_S` (no CPU: `waitUntil`
keeps the request alive meanwhile) so that what concurrent requests add goes along; a request
that finds a flush already waiting or running leaves its items to it. Under load one export and
one RPC carry many requests instead of two sends per request.

Exactly once: a flush takes what is pending synchronously (no await between the check and the
swap), so every record is in exactly one batch, and a batch is never retried. Bounded: past
`MAX_PENDING` records or spans the oldest are dropped and counted.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from flarekit.tracing.spans import RecordingSpan

FLUSH_WINDOW_S = 0.02
MAX_PENDING = 2000

SpanSender = Callable[[Sequence[RecordingSpan], int], Awaitable[bool]]
RecordSender = Callable[[list[dict[str, Any]]], Awaitable[Any]]


class Outbox:
    """The isolate's pending records and spans, and the one flush that sends them."""

    def __init__(self, window_s: float = FLUSH_WINDOW_S, max_pending: int = MAX_PENDING) -> None:
        self.window_s = window_s
        self.max_pending = max_pending
        # [record, whether its spans are in `spans`]: a failed export is reported on those records.
        self.records: deque[tuple[dict[str, Any], bool]] = deque()
        self.spans: list[RecordingSpan] = []
        self.dropped_spans = 0  # dropped by request buffers and here, reported with the next export
        self.dropped_records = 0
        self.flushing = False
        self.scheduled = False
        self.flushes = 0

    @property
    def pending(self) -> bool:
        return bool(self.records or self.spans)

    def add(self, record: dict[str, Any], spans: Sequence[RecordingSpan] = (), dropped_spans: int = 0) -> None:
        """Queue one request's record and spans."""
        if len(self.records) >= self.max_pending:
            self.records.popleft()
            self.dropped_records += 1
        room = self.max_pending - len(self.spans)
        kept = spans if len(spans) <= room else spans[: max(room, 0)]
        self.spans.extend(kept)
        self.dropped_spans += dropped_spans + len(spans) - len(kept)
        self.records.append((record, bool(kept)))

    def add_spans(self, spans: Sequence[RecordingSpan], dropped_spans: int = 0) -> None:
        """Queue spans that belong to no request record (background work in a Durable Object)."""
        room = self.max_pending - len(self.spans)
        kept = spans if len(spans) <= room else spans[: max(room, 0)]
        self.spans.extend(kept)
        self.dropped_spans += dropped_spans + len(spans) - len(kept)

    def claim_flush(self) -> bool:
        """True when the caller should start a flush (in `waitUntil`): none is scheduled or running."""
        if self.flushing or self.scheduled:
            return False
        self.scheduled = True
        return True

    async def flush(self, send_spans: SpanSender, send_records: RecordSender) -> None:
        """Send everything pending, after the window; return at once if another flush will take it."""
        self.scheduled = False
        if self.flushing:
            return
        self.flushing = True
        try:
            if self.window_s > 0:
                await asyncio.sleep(self.window_s)
            while self.records or self.spans:
                entries, self.records = self.records, deque()
                spans, self.spans = self.spans, []
                dropped, self.dropped_spans = self.dropped_spans, 0
                self.flushes += 1
                exported = await send_spans(spans, dropped) if spans else True
                records = [record for record, _ in entries]
                if not exported:
                    for record, traced in entries:
                        if traced:
                            record["export_failures"] = 1
                if records:
                    await send_records(records)
        finally:
            self.flushing = False
