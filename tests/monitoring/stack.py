"""The three real Workers in one flaresim runtime, as `make dev` runs them, for the monitoring tests.

The AI proxy routes one model to a local OpenAI-compatible server (`tests/ai_proxy/upstreams.py`,
scriptable faults, every request's headers kept); the bot talks to a fake Bot API
(`flaresim.fake_telegram`) and to the proxy over its service binding; both send their records and
spans to the real telemetry Worker. Traffic goes in through real interfaces: the official `openai`
client over HTTP to the proxy, Telegram updates posted to the bot's webhook; figures come out of
`/metrics` (parsed by prometheus_client), `/api/stats` and the telemetry query API.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
from prometheus_client.parser import text_string_to_metric_families

from flaresim.fake_telegram import FakeBotApi, UpdateFactory
from flaresim.testing import WorkerClient, serve_workers

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "ai_proxy"))

from upstreams import FakeOpenAI, serving  # noqa: E402  (the proxy tests' OpenAI-compatible server)

MODEL = "gpt-4o-mini"
UPSTREAM_MODEL = "gpt-4o-mini-2024-07-18"
PRICE = {"input_per_mtok": 150.0, "output_per_mtok": 600.0}  # $ per million tokens: visible costs
KEYS = {"team-a": "sk-team-a", "team-b": "sk-team-b", "dev": "sk-flarekit-dev"}  # dev: the bot's key
QUERY = {"authorization": "Bearer query-dev-token"}  # workers/telemetry/.dev.vars.example
WEBHOOK_SECRET = "dev-webhook-secret"
BOT_TOKEN = "123456:dev-bot-token"


class TimedOpenAI(FakeOpenAI):
    """The proxy tests' OpenAI server, taking time on the runtime's fake clock: `latency(body)` seconds
    pass before each answer (what the Workers measure durations with), without sleeping."""

    def __init__(self, name: str, clock: Any, latency: Callable[[dict[str, Any]], float]) -> None:
        super().__init__(name)
        self.clock = clock
        self.latency = latency

    async def chat(self, request: Any) -> Any:
        body = await request.json()
        self.clock.advance(self.latency(body))
        return await super().chat(request)


def no_latency(_body: dict[str, Any]) -> float:
    return 0.0


def gateway_config(upstream_url: str, **sections: Any) -> dict[str, Any]:
    """One model on one OpenAI-compatible deployment, fast timeouts and retries."""
    config: dict[str, Any] = {
        "providers": {"openai": {"type": "openai", "base_url": upstream_url + "/v1", "api_key_env": "UPSTREAM_KEY"}},
        "models": {MODEL: [{"provider": "openai", "model": UPSTREAM_MODEL, "price": PRICE}]},
        "routing": {
            "timeouts": {"connect_ms": 2000, "first_byte_ms": 2000, "total_ms": 8000},
            "retry": {"max_attempts": 2, "base_delay_ms": 5, "max_delay_ms": 10},
        },
    }
    config.update(sections)
    return config


def cost_of(input_tokens: int, output_tokens: int) -> float:
    return (input_tokens * PRICE["input_per_mtok"] + output_tokens * PRICE["output_per_mtok"]) / 1_000_000


def samples(text: str) -> list[Any]:
    """Every sample of a Prometheus exposition, parsed by the reference parser."""
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def total(found: list[Any], name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels match."""
    return sum(s.value for s in found if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


@dataclass
class Stack:
    runtime: Any
    telemetry: Any
    proxy: Any
    bot: Any
    upstreams: tuple[FakeOpenAI, ...]
    bot_api: FakeBotApi
    proxy_url: str
    exits: contextlib.AsyncExitStack
    updates: UpdateFactory = field(default_factory=UpdateFactory)

    @property
    def upstream(self) -> FakeOpenAI:
        return self.upstreams[0]

    def client(self, key: str = "team-a") -> openai.AsyncOpenAI:
        """The official client against the proxy over HTTP (no SDK retries)."""
        client = openai.AsyncOpenAI(base_url=self.proxy_url + "/v1", api_key=KEYS[key], max_retries=0)
        self.exits.push_async_callback(client.close)
        return client

    async def telegram(self, text: str, user_id: int = 1111111) -> Any:
        """Deliver a text message to the bot's webhook as Telegram does; returns the webhook's response."""
        update = self.updates.text(text, user=UpdateFactory.user(user_id))
        headers = {"x-telegram-bot-api-secret-token": WEBHOOK_SECRET}
        return await WorkerClient(self.bot, "https://bot.example").post(
            "/telegram/webhook", json=update, headers=headers
        )

    async def metrics(self) -> list[Any]:
        response = await WorkerClient(self.telemetry).get("/metrics", headers=QUERY)
        assert response.status == 200
        return samples(await response.text())

    async def get_json(self, path: str) -> Any:
        response = await WorkerClient(self.telemetry).get(path, headers=QUERY)
        assert response.status == 200, await response.text()
        return json.loads(await response.text())


@contextlib.asynccontextmanager
async def running_stack(
    runtime: Any,
    *,
    proxy_isolates: int = 1,
    upstreams: tuple[str, ...] = ("upstream",),
    latency: Callable[[dict[str, Any]], float] = no_latency,
    gateway: Callable[..., dict[str, Any]] | None = None,
    telemetry_env: dict[str, str] | None = None,
    bot_env: dict[str, str] | None = None,
) -> AsyncIterator[Stack]:
    """Start the upstreams and the fake Bot API, load the three Workers, serve the proxy over HTTP.

    `gateway(*upstreams)` makes the proxy's GATEWAY_CONFIG (default: one model on the first upstream).
    """
    servers = tuple(TimedOpenAI(name, runtime.clock, latency) for name in upstreams)
    async with contextlib.AsyncExitStack() as exits:
        await exits.enter_async_context(serving(*servers))
        bot_api = await exits.enter_async_context(FakeBotApi(BOT_TOKEN, clock=runtime.clock.now))
        config = gateway(*servers) if gateway is not None else gateway_config(servers[0].url)
        telemetry = runtime.load_worker(ROOT / "workers" / "telemetry", overrides=telemetry_env)
        proxy = runtime.load_worker(
            ROOT / "workers" / "ai_proxy",
            isolates=proxy_isolates,
            overrides={
                "GATEWAY_CONFIG": json.dumps(config),
                "UPSTREAM_KEY": "sk-upstream",
                "PROXY_API_KEYS": ",".join(f"{name}={key}" for name, key in KEYS.items()),
            },
        )
        bot = runtime.load_worker(
            ROOT / "workers" / "telegram_bot",
            overrides={
                "TELEGRAM_API_BASE": bot_api.url,
                "BOT_MODEL": MODEL,
                "BOT_MESSAGES_PER_MINUTE": "0",
                **(bot_env or {}),
            },
        )
        urls = await exits.enter_async_context(serve_workers(proxy))
        yield Stack(runtime, telemetry, proxy, bot, servers, bot_api, urls["ai-proxy"], exits)
        await runtime.drain()
