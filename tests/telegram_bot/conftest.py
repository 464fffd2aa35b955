"""The bot under test: the telegram-bot Worker and the real AI proxy (its default provider: flaresim's
simulated Workers AI) in one flaresim runtime, and a fake Bot API on 127.0.0.1.

`bot.post(update)` delivers an Update to the webhook as Telegram does (with the secret header);
`bot.send(update)` also waits for the work the webhook left running. What the user saw is in
`bot_api.chat(chat_id)`; what the model was asked is in `bot.model_calls()`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from flaresim.ai import simulator
from flaresim.fake_telegram import FakeBotApi, UpdateFactory

ROOT = Path(__file__).resolve().parents[2]
BOT_DIR = ROOT / "workers" / "telegram_bot"
PROXY_DIR = ROOT / "workers" / "ai_proxy"
TELEMETRY_DIR = ROOT / "workers" / "telemetry"  # where the proxy sends its request records
SECRET = "dev-webhook-secret"
TOKEN = "123456:dev-bot-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Flarekit", "username": "flarekit_bot"}


# Two chat models behind the proxy, both on (simulated) Workers AI, for /model.
TWO_MODELS = json.dumps(
    {
        "providers": {"wai": {"type": "workers-ai"}},
        "models": {
            "glm-flash": [{"provider": "wai", "model": "@cf/zai-org/glm-4.7-flash"}],
            "gpt-oss": [{"provider": "wai", "model": "@cf/openai/gpt-oss-20b"}],
        },
        "default_model": "glm-flash",
    }
)


class Bot:
    """Drives the webhook and reads what happened."""

    def __init__(self, runtime: Any, host: Any, api: FakeBotApi) -> None:
        self.runtime = runtime
        self.host = host
        self.api = api

    async def post(self, update: Any, *, secret: str | None = SECRET, raw: str | None = None) -> Any:
        from workers import Request

        headers = {"content-type": "application/json"}
        if secret is not None:
            headers["x-telegram-bot-api-secret-token"] = secret
        body = raw if raw is not None else json.dumps(update)
        return await self.host.fetch(
            Request("https://bot.example/telegram/webhook", method="POST", headers=headers, body=body)
        )

    async def send(self, update: Any, **kwargs: Any) -> Any:
        response = await self.post(update, **kwargs)
        await self.runtime.drain()
        return response

    def model_calls(self) -> list[dict[str, Any]]:
        """The inputs Workers AI received, oldest first (through the proxy)."""
        return [inputs for _model, inputs in simulator(self.runtime).calls]

    def answers(self, chat_id: int) -> list[str]:
        return self.api.chat(chat_id)


@pytest.fixture
def updates() -> UpdateFactory:
    return UpdateFactory()


@pytest_asyncio.fixture
async def bot_api(flaresim_clock):
    async with FakeBotApi(TOKEN, clock=flaresim_clock.now) as api:
        yield api


@pytest.fixture
def load_bot(flaresim, bot_api):
    """`load_bot(proxy={...}, **overrides)`: the proxy and the bot, the bot's Bot API pointed at the fake."""

    def load(isolates: int = 1, proxy: dict[str, str] | None = None, **overrides: str) -> Bot:
        if "ai-proxy" not in flaresim.workers:
            flaresim.load_worker(PROXY_DIR, overrides=proxy)
            flaresim.load_worker(TELEMETRY_DIR)
        settings = {"TELEGRAM_API_BASE": bot_api.url, **overrides}
        host = flaresim.load_worker(BOT_DIR, isolates=isolates, overrides=settings)
        return Bot(flaresim, host, bot_api)

    return load


@pytest.fixture
def bot(load_bot) -> Bot:
    return load_bot()


class ScriptedModel:
    """An OpenAI-compatible server on 127.0.0.1 that Workers AI forwards to (FLARESIM_AI_UPSTREAM).

    It answers with the texts queued in `answers` (then `default`), and records each request body.
    """

    def __init__(self) -> None:
        self.answers: list[str] = []
        self.default = "A scripted answer."
        self.requests: list[dict[str, Any]] = []
        self.url = ""
        self._runner: Any = None

    async def _chat(self, request: Any) -> Any:
        from aiohttp import web

        body = await request.json()
        self.requests.append(body)
        content = self.answers.pop(0) if self.answers else self.default
        usage = {"prompt_tokens": 50, "completion_tokens": max(1, len(content) // 4)}
        return web.json_response(
            {
                "id": "chatcmpl-scripted",
                "object": "chat.completion",
                "created": 1,
                "model": body.get("model", "scripted"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": usage,
            }
        )

    async def start(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/v1"

    async def stop(self) -> None:
        await self._runner.cleanup()


@pytest_asyncio.fixture
async def scripted_model(flaresim):
    """Make the simulated Workers AI answer with scripted texts (long Markdown, code blocks...)."""
    model = ScriptedModel()
    await model.start()
    flaresim.environ["FLARESIM_AI_UPSTREAM"] = model.url
    try:
        yield model
    finally:
        await model.stop()
