"""Fixtures for the AI proxy's tests: real upstream servers, the proxy served over real HTTP, and
the official `openai` client pointed at it."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest_asyncio

from flaresim.testing import serve_workers

sys.path.insert(0, str(Path(__file__).resolve().parent))

from proxy_harness import Proxy
from upstreams import FakeAnthropic, FakeOpenAI, serving


@pytest_asyncio.fixture
async def start_proxy(flaresim, worker_dirs):
    """`await start_proxy(config, isolates=1, env={...})` -> Proxy served on a free port."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(config: dict[str, Any] | None = None, *, isolates: int = 1, env: dict[str, str] | None = None):
            overrides = {"UPSTREAM_KEY": "sk-upstream", **(env or {})}
            if config is not None:
                overrides["GATEWAY_CONFIG"] = json.dumps(config)
            host = flaresim.load_worker(worker_dirs["ai-proxy"], isolates=isolates, overrides=overrides)
            urls = await stack.enter_async_context(serve_workers(host))
            return Proxy(host, urls["ai-proxy"], stack)

        yield start
        await flaresim.drain()


@pytest_asyncio.fixture
async def upstreams():
    """Two OpenAI-compatible servers, `primary` and `backup`."""
    primary, backup = FakeOpenAI("primary"), FakeOpenAI("backup")
    async with serving(primary, backup):
        yield primary, backup


@pytest_asyncio.fixture
async def anthropic_upstream():
    server = FakeAnthropic("claude")
    async with serving(server):
        yield server
