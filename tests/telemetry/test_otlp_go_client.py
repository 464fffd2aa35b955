"""What the Go `otlptracehttp` exporter sends, reproduced on the wire, and how it retries.

The request is written byte for byte as Go's net/http writes it for otlptracehttp with
`WithCompression(GzipCompression)` and a bearer token in `WithHeaders`: HTTP/1.1, chunked
transfer (the exporter sets ContentLength -1 for gzip), `User-Agent: OTel OTLP Exporter Go/<v>`,
`Content-Type: application/x-protobuf`, `Content-Encoding: gzip`, and the `Accept-Encoding: gzip`
Go's transport adds. The retry rules are Go's: 429/502/503/504 are retried after `Retry-After`
seconds (else a backoff from 5 s), everything else is final; on 2xx a protobuf body is read for
`partial_success`. (exporters/otlp/otlptrace/otlptracehttp/client.go and internal/retry.)
"""

from __future__ import annotations

import asyncio
import gzip
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from telemetry_support import QUERY

from flaresim.testing import serve_workers

GO_VERSION = "1.45.0"
RETRYABLE = {429, 502, 503, 504}
INITIAL_BACKOFF_SECONDS = 5.0


def go_request(host: str, path: str, token: str, gzipped: bytes) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        f"User-Agent: OTel OTLP Exporter Go/{GO_VERSION}",
        "Transfer-Encoding: chunked",
        f"Authorization: Bearer {token}",
        "Content-Encoding: gzip",
        "Content-Type: application/x-protobuf",
        "Accept-Encoding: gzip",
    ]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    chunk = f"{len(gzipped):x}\r\n".encode() + gzipped + b"\r\n"
    return head + chunk + b"0\r\n\r\n"


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while size := int((await reader.readline()).strip(), 16):
            body += await reader.readexactly(size)
            await reader.readline()
        await reader.readline()
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


@dataclass
class GoTraceExporter:
    """otlptracehttp's UploadTraces: one request, retried by Go's rules; `wait` stands in for sleeping."""

    endpoint: str
    token: str
    waits: list[float] = field(default_factory=list)
    attempts: int = 0
    partial: ExportTraceServiceResponse | None = None

    async def wait(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def upload(self, request: ExportTraceServiceRequest, max_attempts: int = 5) -> int:
        url = urlsplit(self.endpoint)
        payload = go_request(url.netloc, url.path, self.token, gzip.compress(request.SerializeToString()))
        backoff = INITIAL_BACKOFF_SECONDS
        while True:
            self.attempts += 1
            reader, writer = await asyncio.open_connection(url.hostname, url.port)
            writer.write(payload)
            await writer.drain()
            status, headers, body = await read_response(reader)
            writer.close()
            await writer.wait_closed()
            if 200 <= status <= 299:
                if body and headers.get("content-type") == "application/x-protobuf":
                    self.partial = ExportTraceServiceResponse.FromString(body)
                return status
            if status not in RETRYABLE or self.attempts >= max_attempts:
                return status
            retry_after = headers.get("retry-after", "")
            await self.wait(float(retry_after) if retry_after.isdigit() else backoff)
            backoff = min(backoff * 1.5, 30.0)


def spans_request(count: int, trace_id: bytes | None = None) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    group.resource.attributes.add(key="service.name").value.string_value = "go-runtime"
    scoped = group.scope_spans.add()
    scoped.scope.name = "go.opentelemetry.io/otel/sdk/tracer"
    trace_id = trace_id or os.urandom(16)
    for i in range(count):
        span = scoped.spans.add(trace_id=trace_id, span_id=(i + 1).to_bytes(8, "big"), name=f"op-{i}", kind=2)
        span.start_time_unix_nano = 1_790_000_000_000_000_000 + i * 1_000_000
        span.end_time_unix_nano = span.start_time_unix_nano + 5_000_000
        span.attributes.add(key="goroutine").value.int_value = i
    return request


async def stored_span_names(url: str) -> list[str]:
    async with aiohttp.ClientSession() as session:
        params = {"start": "1790000000000", "end": "1790000010000", "limit": "1000", "event_type": "otel.span"}
        async with session.get(f"{url}/api/telemetry/query", params=params, headers=QUERY) as response:
            return [e["data"]["name"] for e in (await response.json())["events"]]


async def test_the_go_exporters_gzip_protobuf_request_is_accepted_and_stored(telemetry):
    async with serve_workers(telemetry) as urls:
        exporter = GoTraceExporter(f"{urls['telemetry']}/v1/traces", "ingest-dev-token")
        assert await exporter.upload(spans_request(512)) == 200
        assert exporter.attempts == 1 and exporter.partial is None  # empty body: full success
        assert len(await stored_span_names(urls["telemetry"])) == 512


async def test_the_go_exporter_retries_a_storage_outage_after_retry_after_and_nothing_is_stored_twice(
    telemetry, flaresim
):
    flaresim.kv.faults.write_failure_rate = 1.0
    async with serve_workers(telemetry) as urls:
        exporter = GoTraceExporter(f"{urls['telemetry']}/v1/traces", "ingest-dev-token")

        async def outage_ends(seconds: float) -> None:
            exporter.waits.append(seconds)
            flaresim.kv.faults.write_failure_rate = 0.0

        exporter.wait = outage_ends  # type: ignore[method-assign]
        assert await exporter.upload(spans_request(20)) == 200
        assert exporter.attempts == 2
        assert exporter.waits == [2.0]  # the Worker's Retry-After, in seconds
        assert sorted(await stored_span_names(urls["telemetry"])) == sorted(f"op-{i}" for i in range(20))


async def test_a_partial_success_reaches_the_go_exporter_as_protobuf(telemetry):
    request = spans_request(3)
    request.resource_spans[0].scope_spans[0].spans[1].span_id = b"\x00" * 8
    async with serve_workers(telemetry) as urls:
        exporter = GoTraceExporter(f"{urls['telemetry']}/v1/traces", "ingest-dev-token")
        assert await exporter.upload(request) == 200
        assert exporter.partial.partial_success.rejected_spans == 1
        assert "invalid span_id" in exporter.partial.partial_success.error_message
        assert sorted(await stored_span_names(urls["telemetry"])) == ["op-0", "op-2"]


async def test_a_wrong_token_is_final_for_the_go_exporter(telemetry):
    async with serve_workers(telemetry) as urls:
        exporter = GoTraceExporter(f"{urls['telemetry']}/v1/traces", "not-the-token")
        assert await exporter.upload(spans_request(1)) == 401
        assert exporter.attempts == 1 and exporter.waits == []
