"""Keeps the events posted to /api/telemetry/ingest (module state: read it from the test); other
posts (the proxy's OTLP span exports to /v1/traces) are accepted and dropped.

Only the latest `KEPT` of each list are kept: bench/gateway.py runs this stand-in in the proxy's
own process, where an ever-growing heap would make every garbage collection (and so every
request the benchmark measures) slower; a test posts far fewer.
"""

import json

from workers import Response, WorkerEntrypoint

KEPT = 1_000
EVENTS = []
POSTS = []
RECORDS = []  # metrics records (the record_metrics RPC, as the telemetry Worker's Default has it)


def keep(items, new):
    items.extend(new)
    if len(items) > 2 * KEPT:
        del items[:-KEPT]


class Default(WorkerEntrypoint):
    async def record_metrics(self, records):
        batch = json.loads(records)  # a JSON array, as flarekit.metrics.sender sends it
        keep(RECORDS, batch)
        return len(batch)

    async def fetch(self, request):
        if request.headers.get("authorization") != "Bearer ingest-dev-token":
            return Response("unauthorized", status=401)
        if not request.url.endswith("/api/telemetry/ingest"):
            return Response.json({})
        status = int(self.env.SINK_STATUS)
        if status >= 300:
            return Response("scripted failure", status=status)
        events = await request.json()
        keep(POSTS, [len(events)])
        keep(EVENTS, events)
        return Response.json({"accepted": len(events), "rejected": 0})
