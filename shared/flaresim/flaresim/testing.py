"""Helpers for testing Workers on flaresim: an in-process client and real local HTTP servers."""

from __future__ import annotations

import asyncio
import contextlib
import json as jsonlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from flaresim.asgi_adapter import make_app
from flaresim.runtime import WorkerHost


class WorkerClient:
    """Calls a Worker's `Default.fetch` in process, as the dev server would, without a socket."""

    def __init__(self, host: WorkerHost, base_url: str = "http://localhost") -> None:
        self.host = host
        self.base_url = base_url.rstrip("/")

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send a request; returns the Worker's `workers.Response`."""
        from workers import Request

        headers = dict(headers or {})
        if json is not None:
            body = jsonlib.dumps(json)
            headers.setdefault("content-type", "application/json")
        url = path if "://" in path else self.base_url + path
        return await self.host.fetch(Request(url, method=method.upper(), headers=headers, body=body))

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Any:
        return await self.request("POST", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Any:
        return await self.request("DELETE", path, **kwargs)


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):
        yield


@contextlib.asynccontextmanager
async def serve_workers(*hosts: WorkerHost, host: str = "127.0.0.1") -> AsyncIterator[dict[str, str]]:
    """Serve Workers over real HTTP on free ports; yields {worker name: base URL}."""
    servers = []
    for worker in hosts:
        config = uvicorn.Config(
            make_app(worker), host=host, port=0, loop="none", lifespan="off", access_log=False, log_level="warning"
        )
        servers.append((worker, _QuietServer(config)))
    tasks = [asyncio.create_task(server.serve()) for _, server in servers]
    try:
        while not all(server.started for _, server in servers):
            if any(task.done() for task in tasks):
                raise RuntimeError("a flaresim test server failed to start")
            await asyncio.sleep(0.005)
        urls = {}
        for worker, server in servers:
            port = server.servers[0].sockets[0].getsockname()[1]
            urls[worker.name] = f"http://{host}:{port}"
        yield urls
    finally:
        for _, server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
