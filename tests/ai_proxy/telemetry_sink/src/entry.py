"""Keeps the events posted to /api/telemetry/ingest (module state: read it from the test); other
posts (the proxy's OTLP span exports to /v1/traces) are accepted and dropped."""

import json

from workers import Response, WorkerEntrypoint

EVENTS = []
POSTS = []
RECORDS = []  # metrics records (the record_metrics RPC, as the telemetry Worker's Default has it)


class Default(WorkerEntrypoint):
    async def record_metrics(self, records):
        batch = json.loads(records)  # a JSON array, as flarekit.metrics.sender sends it
        RECORDS.extend(batch)
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
        POSTS.append(len(events))
        EVENTS.extend(events)
        return Response.json({"accepted": len(events), "rejected": 0})
