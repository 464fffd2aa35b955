"""Storing a request's events and saying exactly what happened to each.

Items are de-duplicated by id within the request, sorted by (timestamp, id), planned into chunks
and written concurrently. An event counts as accepted only once the `put` of its chunk resolved;
events of a chunk whose write failed after its retries are reported by index as not stored.

A batch's outcome is written once, at the end (`batch:{id}`: KV allows one write per key per
second, so "processing" then the outcome under one key would be refused). While a batch with a
client id is being ingested, `batchrun:{id}` marks it, with KV's minimum TTL (60 s): its status
reads `processing` and a replay of the id answers that instead of ingesting twice. The marker is
written alongside the chunks (no added latency) and never deleted (a delete is a write too): the
outcome, once stored, is read first. A request that dies mid-way leaves only the marker, which
expires, so the batch can be sent again a minute later. KV is eventually consistent across
locations, so the marker guards against replays reaching the same location (retries do), not a
replay sent elsewhere within the same second.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from operator import attrgetter

from flarekit.errors import StorageError
from telemetry_ingest.chunks import Chunk, encode_chunk, plan_chunks
from telemetry_ingest.events import Item, Rejection
from telemetry_ingest.keyspace import batch_key, batch_run_key, chunk_key
from telemetry_ingest.store import KVSession

NOT_STORED = "not stored: storage unavailable after retries; send this event again"
log = logging.getLogger("telemetry.ingest")

PROCESSING = "processing"
RUN_TTL_SECONDS = 60  # KV's minimum expirationTtl
_ORDER = attrgetter("ts", "id")


@dataclass
class Outcome:
    """What happened to one request's events."""

    batch_id: str
    given: int
    accepted: int
    errors: list[Rejection]
    duplicates: int = 0
    storage_failures: int = 0
    received_at: int = 0
    completed_at: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return self.given - self.accepted

    @property
    def status(self) -> str:
        if self.rejected == 0:
            return "completed"
        return "failed" if self.accepted == 0 else "partial"

    @property
    def http_status(self) -> int:
        """200 when anything was stored (or nothing was sent); 503 when storage failed; else 400."""
        if self.accepted or not self.given:
            return 200
        return 503 if self.storage_failures else 400

    def body(self) -> dict:
        body = {
            "batch_id": self.batch_id,
            "status": self.status,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "errors": [{"index": e.index, "reason": e.reason} for e in sorted(self.errors)],
        }
        if self.duplicates:
            body["duplicates"] = self.duplicates
        body.update(self.extra)
        return body

    def record(self) -> dict:
        """The batch's stored outcome (`batch:{id}`)."""
        return {
            **self.body(),
            "events": self.given,
            "received_at": self.received_at,
            "completed_at": self.completed_at,
            "retryable": self.storage_failures > 0,
        }


def _dedupe(items: list[Item]) -> tuple[list[Item], dict[str, list[int]]]:
    """Items with distinct ids (first kept) and, per kept id, the indexes of its repeats."""
    kept: list[Item] = []
    repeats: dict[str, list[int]] = {}
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            repeats.setdefault(item.id, []).append(item.index)
        else:
            seen.add(item.id)
            kept.append(item)
    return kept, repeats


async def _write(session: KVSession, chunk: Chunk, batch_id: str, request_id: str, n: int) -> None:
    value, metadata = encode_chunk(batch_id, chunk.items)
    key = chunk_key(chunk.level, chunk.min_ts, chunk.max_ts, request_id, n)
    await session.put(key, value, metadata)


async def store_items(
    session: KVSession,
    items: list[Item],
    rejections: list[Rejection],
    *,
    batch_id: str,
    request_id: str,
    given: int,
    received_at: int,
    alongside: Awaitable[None] | None = None,
) -> Outcome:
    """Write `items` (the valid events of a request of `given` events) and account for every index.

    `alongside` (the processing mark) is awaited with the chunk writes, in the same gather.
    """
    kept, repeats = _dedupe(items)
    kept.sort(key=_ORDER)
    chunks = plan_chunks(kept)
    writes = [_write(session, chunk, batch_id, request_id, n) for n, chunk in enumerate(chunks)]
    if alongside is not None:
        writes.append(alongside)
    results = await asyncio.gather(*writes, return_exceptions=True)
    if alongside is not None:
        results.pop()  # mark_processing reports its own failure
    errors = list(rejections)
    accepted = 0
    failures = 0
    for chunk, result in zip(chunks, results, strict=True):
        indexes = [i for item in chunk.items for i in (item.index, *repeats.get(item.id, ()))]
        if result is None:
            accepted += len(indexes)
        elif isinstance(result, StorageError):
            failures += 1
            errors.extend(Rejection(i, NOT_STORED) for i in indexes)
        else:
            raise result  # a bug, not a storage failure: let the Worker report it
    duplicates = sum(len(r) for r in repeats.values())
    return Outcome(batch_id, given, accepted, errors, duplicates, failures, received_at)


async def load_record(session: KVSession, batch_id: str) -> dict | None:
    """A batch's stored outcome; else, while it is being ingested, `{"status": "processing", ...}`;
    None when unknown (or expired). One KV operation (a bulk get of both keys)."""
    found = await session.get_many([batch_key(batch_id), batch_run_key(batch_id)])
    text = found[batch_key(batch_id)]
    if text is not None:
        return json.loads(text)
    running = found[batch_run_key(batch_id)]
    return None if running is None else json.loads(running)


async def mark_processing(session: KVSession, batch_id: str, events: int, received_at: int) -> None:
    """Mark the batch as being ingested (best effort: without the mark a replay only ingests again)."""
    record = {"batch_id": batch_id, "status": PROCESSING, "events": events, "received_at": received_at}
    try:
        await session.put(
            batch_run_key(batch_id), json.dumps(record, separators=(",", ":")), ttl_seconds=RUN_TTL_SECONDS
        )
    except StorageError as error:
        # The outcome is what matters; without the mark a replay during the run ingests again.
        log.warning("batch %s: could not mark it as processing: %s", batch_id, error)


async def save_record(session: KVSession, outcome: Outcome) -> bool:
    """Store a batch's outcome once (KV allows one write per key per second); False if that failed."""
    try:
        await session.put(batch_key(outcome.batch_id), json.dumps(outcome.record(), separators=(",", ":")))
    except StorageError:
        return False
    return True
