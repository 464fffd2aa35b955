"""What the proxy tests share: the config builder and a running proxy's handle."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
import openai
from upstreams import FakeOpenAI

DEV_KEY = "sk-flarekit-dev"
FAST_ROUTING = {
    "timeouts": {"connect_ms": 1000, "first_byte_ms": 1000, "total_ms": 6000},
    "retry": {"max_attempts": 3, "base_delay_ms": 5, "max_delay_ms": 20},
}


def openai_config(*servers: FakeOpenAI, model: str = "gpt-4o-mini", **sections: Any) -> dict[str, Any]:
    """A GATEWAY_CONFIG routing `model` to the servers in priority order."""
    providers = {s.name: {"type": "openai", "base_url": s.url + "/v1", "api_key_env": "UPSTREAM_KEY"} for s in servers}
    deployments = [{"provider": s.name, "model": f"{model}-at-{s.name}"} for s in servers]
    config: dict[str, Any] = {"providers": providers, "models": {model: deployments}, "routing": dict(FAST_ROUTING)}
    for name, value in sections.items():
        config[name] = {**config.get(name, {}), **value} if isinstance(value, dict) else value
    return config


@dataclass
class Proxy:
    """A running proxy: its flaresim host, base URL, and helpers for clients."""

    host: Any
    url: str
    stack: contextlib.AsyncExitStack

    def client(self, key: str = DEV_KEY, **options: Any) -> openai.AsyncOpenAI:
        """The official client, unchanged but for its base URL (no SDK retries unless asked)."""
        options.setdefault("max_retries", 0)
        client = openai.AsyncOpenAI(base_url=self.url + "/v1", api_key=key, **options)
        self.stack.push_async_callback(client.close)
        return client

    async def http(self) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession()
        self.stack.push_async_callback(session.close)
        return session

    async def post(self, path: str, body: Any = None, key: str | None = DEV_KEY, **kwargs: Any):
        """A raw POST; returns (status, headers, parsed JSON or text)."""
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers.setdefault("authorization", f"Bearer {key}")
        data = kwargs.pop("data", None)
        if data is None and body is not None:
            data = json.dumps(body)
            headers.setdefault("content-type", "application/json")
        return await self.request("POST", path, data=data, headers=headers, **kwargs)

    async def request(self, method: str, path: str, **kwargs: Any):
        session = await self.http()
        async with session.request(method, self.url + path, **kwargs) as response:
            text = await response.text()
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
            return response.status, response.headers, parsed

    def module(self, name: str, isolate: int = 0) -> Any:
        """A module of the proxy as one isolate loaded it (to register interceptors, say)."""
        return self.host.isolates[isolate].isolate.modules[name]
