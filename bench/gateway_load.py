"""The benchmark's load generator: raw asyncio HTTP/1.1 keep-alive clients (no client library in
the way), measuring latency, time to first token, throughput and the server's CPU per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

REPEATS = 3  # throughput windows; the best counts (other work on a shared machine only slows one)


class Client:
    """One keep-alive connection that sends a POST and reads the answer (length or chunked)."""

    def __init__(self, host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        lines = [f"POST {path} HTTP/1.1", f"host: {host}:{port}", f"content-length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()

    async def send(self) -> tuple[int, float, float]:
        """(status, seconds to the first token or None, seconds in total)."""
        started = time.perf_counter()
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        first_token = None
        if b"transfer-encoding: chunked" in lower:
            while True:
                size = int((await self.reader.readuntil(b"\r\n"))[:-2], 16)
                data = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                if first_token is None and _has_token(data):
                    first_token = time.perf_counter() - started
        else:
            at = lower.find(b"content-length:")
            length = int(lower[at + 15 : lower.find(b"\r\n", at)])
            await self.reader.readexactly(length)
        return status, first_token, time.perf_counter() - started


def _has_token(data: bytes) -> bool:
    at = data.find(b'"content":"')
    return at >= 0 and data[at + 11 : at + 12] != b'"'


async def latencies(url: str, path: str, body: bytes, headers: dict[str, str], count: int) -> list[tuple[float, float]]:
    """One connection, `count` requests back to back: (total, first token) seconds each."""
    host, port = url.removeprefix("http://").split(":")
    client = Client(host, int(port), path, body, headers)
    await client.open()
    try:
        for _ in range(min(200, count)):
            await client.send()  # warm up
        samples = []
        for _ in range(count):
            status, first, total = await client.send()
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            samples.append((total, first if first is not None else total))
        return samples
    finally:
        await client.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (from /proc; Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cpu_per_request(
    pid: int, url: str, path: str, body: bytes, headers: dict[str, str], connections: int, count: int
) -> float:
    """CPU seconds the proxy process spends per request, over `count` requests (background work included)."""
    host, port = url.removeprefix("http://").split(":")
    clients = [Client(host, int(port), path, body, headers) for _ in range(connections)]
    await asyncio.gather(*(c.open() for c in clients))
    per_client = count // connections

    async def run(client: Client) -> None:
        for _ in range(per_client):
            status, _, _ = await client.send()
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")

    try:
        await asyncio.gather(*(run(c) for c in clients))  # warm up
        await asyncio.sleep(0.2)
        before = cpu_seconds(pid)
        await asyncio.gather(*(run(c) for c in clients))
        await asyncio.sleep(0.2)  # let the batched after-response work finish
        return (cpu_seconds(pid) - before) / (per_client * connections)
    finally:
        await asyncio.gather(*(c.close() for c in clients))


async def throughput(url: str, path: str, body: bytes, headers: dict[str, str], connections: int, seconds: float):
    """Requests per second from `connections` keep-alive clients: the best of REPEATS windows."""
    host, port = url.removeprefix("http://").split(":")
    clients = [Client(host, int(port), path, body, headers) for _ in range(connections)]
    await asyncio.gather(*(c.open() for c in clients))
    errors = 0

    async def run(client: Client, deadline: float) -> int:
        nonlocal errors
        done = 0
        while time.perf_counter() < deadline:
            status, _, _ = await client.send()
            errors += status != 200
            done += 1
        return done

    try:
        await asyncio.gather(*(run(c, time.perf_counter() + 1.0) for c in clients))
        best = 0.0
        for _ in range(REPEATS):
            started = time.perf_counter()
            counts = await asyncio.gather(*(run(c, started + seconds) for c in clients))
            best = max(best, sum(counts) / (time.perf_counter() - started))
        if errors:
            raise RuntimeError(f"{path}: {errors} answers were not 200")
        return best
    finally:
        await asyncio.gather(*(c.close() for c in clients))
