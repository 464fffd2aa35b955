#!/usr/bin/env python3
"""Telemetry Worker throughput and query latency, over HTTP on the local runtime.

The Worker runs under `flaresim dev` (uvicorn + httptools + uvloop, one process, KV in SQLite in a
temporary folder); an aiohttp load generator in this process keeps N connections busy with
pre-encoded bodies, so the figures are the Worker's and flaresim's, not the client's encoding.

- events/s in 1,000-event batches (`POST /api/telemetry/batch`, ai.request events of ~390 bytes);
- events/s sent one per request (`POST /api/telemetry/ingest`);
- spans/s over OTLP/HTTP protobuf (`POST /v1/traces`, 512 spans per export as Go's batcher sends,
  8 attributes each);
- query latency over a range holding 10,000 events: the first page (limit 1,000) and all ten pages.

Targets (issue 4): >= 100,000 events/s in batches, >= 50,000 spans/s, a 10,000-event query < 50 ms.
Each rate is the best of three windows (the machine is shared). Writes the "telemetry" section of
docs/performance.md.

Usage: bench/telemetry.py [--seconds S] [--connections N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from report import table, write_section

# bench/flaresim.py is named like the package: take this folder off the import path so that
# `import flaresim` finds the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "workers" / "telemetry"
REPEATS = 3
BATCH_TARGET, SPANS_TARGET, QUERY_TARGET_MS = 100_000, 50_000, 50.0
SPANS_PER_EXPORT = 512


def tokens() -> tuple[dict[str, str], dict[str, str]]:
    """Headers for ingest and query: the tokens `flaresim dev` reads from .dev.vars, if there is one."""
    from flaresim.config import parse_dev_vars

    secrets = parse_dev_vars(WORKER / ".dev.vars") if (WORKER / ".dev.vars").is_file() else {}

    def bearer(name: str) -> dict[str, str]:
        return {"authorization": f"Bearer {secrets[name]}"} if secrets.get(name) else {}

    return bearer("TELEMETRY_INGEST_TOKEN"), bearer("TELEMETRY_QUERY_TOKEN")


@contextlib.asynccontextmanager
async def flaresim_dev(state: str) -> AsyncIterator[str]:
    """`flaresim dev workers/telemetry` in a child process on a free port; yields its URL."""
    from flaresim.dev_process import dev_process

    # development: without a .dev.vars the Worker is open instead of refusing (fail closed)
    async with dev_process([WORKER], state, env={"ENVIRONMENT": "development"}) as server:
        yield server.url


def ai_request(i: int, now_ms: int) -> dict:
    return {
        "event_type": "ai.request",
        "timestamp": now_ms + i,
        "data": {
            "time": now_ms + i,
            "key_name": "team-a",
            "route": "/v1/chat/completions",
            "model_alias": "gpt-4o",
            "provider": "openai",
            "deployment": "openai-east",
            "status": 200,
            "latency_ms": 812.5,
            "ttfb_ms": 201.0,
            "input_tokens": 1200,
            "output_tokens": 350,
            "cost_usd": 0.0123,
            "cache": "miss",
            "retries": 0,
            "error_type": None,
        },
    }


def spans_export(now_ns: int) -> bytes:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    for key, value in (("service.name", "checkout"), ("service.version", "1.4.2"), ("telemetry.sdk.language", "go")):
        group.resource.attributes.add(key=key).value.string_value = value
    scoped = group.scope_spans.add()
    scoped.scope.name = "go.opentelemetry.io/otel/sdk/tracer"
    trace_id = os.urandom(16)
    for i in range(SPANS_PER_EXPORT):
        span = scoped.spans.add(trace_id=trace_id, span_id=os.urandom(8), name="GET /api/orders/{id}", kind=2)
        span.parent_span_id = os.urandom(8)
        span.start_time_unix_nano = now_ns + i * 1000
        span.end_time_unix_nano = now_ns + i * 1000 + 5_000_000
        for key, value in (("http.request.method", "GET"), ("http.route", "/api/orders/{id}"), ("url.scheme", "https")):
            span.attributes.add(key=key).value.string_value = value
        span.attributes.add(key="http.response.status_code").value.int_value = 200
        span.attributes.add(key="server.port").value.int_value = 443
        span.attributes.add(key="user_agent.original").value.string_value = "Go-http-client/1.1"
        span.attributes.add(key="client.address").value.string_value = "10.0.0.7"
        span.attributes.add(key="order.items").value.int_value = i % 7
    return request.SerializeToString()


async def post_rate(
    url: str, path: str, body: bytes, headers: dict, per_request: int, seconds: float, connections: int
) -> float:
    """Items per second accepted by `path` from `connections` keep-alive clients posting `body`."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(deadline: float) -> int:
            done = 0
            while time.perf_counter() < deadline:
                async with session.post(url + path, data=body, headers=headers) as response:
                    answer = await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"POST {path} answered {response.status}: {answer[:300]!r}")
                done += per_request
            return done

        await asyncio.gather(*(client(time.perf_counter() + 0.5) for _ in range(connections)))  # warm up
        best = 0.0
        for _ in range(REPEATS):
            started = time.perf_counter()
            counts = await asyncio.gather(*(client(started + seconds) for _ in range(connections)))
            best = max(best, sum(counts) / (time.perf_counter() - started))
        return best


async def query_latency(url: str, ingest: dict, query: dict) -> dict[str, float]:
    """Milliseconds to query a range of 10,000 events: the first page of 1,000, and all ten pages."""
    import aiohttp

    start = 4_000_000_000_000  # a range of its own, far from the other benchmarks' events
    async with aiohttp.ClientSession() as session:
        for b in range(10):
            events = [ai_request(b * 1000 + i, start) for i in range(1000)]
            async with session.post(url + "/api/telemetry/batch", json={"events": events}, headers=ingest) as r:
                assert r.status == 200 and (await r.json())["accepted"] == 1000
        params = {"start": str(start), "end": str(start + 9_999), "limit": "1000"}

        async def page(cursor: str | None) -> dict:
            async with session.get(
                url + "/api/telemetry/query", params={**params, **({"cursor": cursor} if cursor else {})}, headers=query
            ) as r:
                assert r.status == 200
                return json.loads(await r.read())

        first, everything = [], []
        for _ in range(5):
            await page(None)  # warm up
        for _ in range(40):
            started = time.perf_counter()
            body = await page(None)
            first.append((time.perf_counter() - started) * 1000)
            assert body["count"] == 1000
        for _ in range(10):
            started, cursor, count = time.perf_counter(), None, 0
            while True:
                body = await page(cursor)
                count += body["count"]
                cursor = body.get("cursor")
                if cursor is None:
                    break
            everything.append((time.perf_counter() - started) * 1000)
            assert count == 10_000
    return {
        "first page median": statistics.median(first),
        "first page p95": sorted(first)[int(len(first) * 0.95) - 1],
        "all pages median": statistics.median(everything),
    }


async def cpu_rate(path: str, body: bytes, headers: dict, per_request: int, requests: int = 30) -> float:
    """Items per CPU-second for the same requests sent in process (no HTTP): the Worker and flaresim's KV."""
    from flaresim.clock import FakeClock
    from flaresim.runtime import Runtime
    from flaresim.testing import WorkerClient

    with tempfile.TemporaryDirectory() as state:
        runtime = Runtime(state, clock=FakeClock(), environ={}, dev_vars=".dev.vars.example")
        try:
            client = WorkerClient(runtime.load_worker(WORKER))
            headers = {**headers, "authorization": "Bearer ingest-dev-token"}
            for _ in range(5):
                await client.post(path, body=body, headers=headers)
            best = float("inf")
            for _ in range(REPEATS):
                started = time.process_time()
                for _ in range(requests):
                    response = await client.post(path, body=body, headers=headers)
                    assert response.status == 200
                    await runtime.advance(1)  # fresh timestamps keep batch records apart
                best = min(best, (time.process_time() - started) / requests)
        finally:
            await runtime.close()
    return per_request / best


async def run(seconds: float, connections: int) -> tuple[list[list[object]], dict[str, float]]:
    ingest, query = tokens()
    now_ms = int(time.time() * 1000)
    batch = json.dumps({"events": [ai_request(i, now_ms) for i in range(1000)]}).encode()
    single = json.dumps(ai_request(0, now_ms)).encode()
    spans = spans_export(now_ms * 1_000_000)
    json_headers = {**ingest, "content-type": "application/json"}
    proto_headers = {**ingest, "content-type": "application/x-protobuf"}
    rows = []
    with tempfile.TemporaryDirectory() as state:
        async with flaresim_dev(state) as url:
            rate = await post_rate(url, "/api/telemetry/batch", batch, json_headers, 1000, seconds, connections)
            rows.append(
                [
                    "events/s, 1,000-event batches",
                    f"{rate:,.0f}",
                    f">= {BATCH_TARGET:,}",
                    "yes" if rate >= BATCH_TARGET else "no",
                ]
            )
            rate = await post_rate(url, "/api/telemetry/ingest", single, json_headers, 1, seconds, connections)
            rows.append(["events/s, one event per request", f"{rate:,.0f}", "-", "-"])
            rate = await post_rate(url, "/v1/traces", spans, proto_headers, SPANS_PER_EXPORT, seconds, connections)
            rows.append(
                [
                    f"OTLP spans/s (protobuf, {SPANS_PER_EXPORT} per export)",
                    f"{rate:,.0f}",
                    f">= {SPANS_TARGET:,}",
                    "yes" if rate >= SPANS_TARGET else "no",
                ]
            )
        with tempfile.TemporaryDirectory() as fresh:
            async with flaresim_dev(fresh) as url:
                latency = await query_latency(url, ingest, query)
    batch_cpu = await cpu_rate("/api/telemetry/batch", batch, json_headers, 1000)
    spans_cpu = await cpu_rate("/v1/traces", spans, proto_headers, SPANS_PER_EXPORT)
    rows.append(["in process, no HTTP: events/s in batches, per CPU-second", f"{batch_cpu:,.0f}", "-", "-"])
    rows.append(["in process, no HTTP: OTLP spans/s, per CPU-second", f"{spans_cpu:,.0f}", "-", "-"])
    first = latency["first page median"]
    rows.append(
        [
            "query, 10,000 events in range: first page of 1,000 (median ms)",
            f"{first:.1f}",
            f"< {QUERY_TARGET_MS:.0f}",
            "yes" if first < QUERY_TARGET_MS else "no",
        ]
    )
    rows.append(["query, same: first page p95 (ms)", f"{latency['first page p95']:.1f}", "-", "-"])
    rows.append(["query, same: all 10 pages (median ms)", f"{latency['all pages median']:.1f}", "-", "-"])
    return rows, latency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each measuring window")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    args = parser.parse_args()
    rows, _ = asyncio.run(run(args.seconds, args.connections))
    body = table(["measure", "result", "target", "met"], rows)
    notes = (
        f"Over HTTP to `flaresim dev` (one process), {args.connections} connections from an aiohttp client in a "
        f"second process, best of {REPEATS} windows of {args.seconds:g} s; KV is flaresim's SQLite (WAL). "
        "A batch is one chunk write plus one batch-record write; an export of 512 spans is one chunk write. "
        "The in-process rows send the same requests without HTTP and divide by the process's CPU time "
        "(what one core could do without contention from the load generator and other processes). "
        "Where a batch's time went (py-spy on `flaresim dev`, 2026-11-22): the json module's C scanner ~20%, "
        "flaresim's KV put of the 400 KB chunk (SQLite) ~20%, uvicorn/adapter/event loop ~30%, the Worker's "
        "own Python ~30%. A 512-span export: reading the protobuf ~40%, building the event lines ~20%, KV ~20%."
    )
    write_section("telemetry", "Telemetry ingest (bench/telemetry.py)", notes + "\n\n" + body)


if __name__ == "__main__":
    main()
