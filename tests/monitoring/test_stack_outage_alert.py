"""An outage of the proxy's provider (a local upstream answering 503, or closing connections) gives
exactly one alert and, once it is over, one resolved message: to a Telegram admin chat (a fake Bot
API) and to a webhook, evaluated by the telemetry Worker's cron on the fake clock. The proxy runs as
two isolates, each with its own circuit breakers, as production would."""

from __future__ import annotations

import contextlib
import itertools
import json

import openai
import pytest
from aiohttp import web
from stack import BOT_TOKEN, MODEL, UPSTREAM_MODEL, running_stack

ADMIN_CHAT = 4242
DEPLOYMENT = f"openai/{UPSTREAM_MODEL}"  # circuits are per deployment: provider/model
PROMPTS = itertools.count()  # every question new: none is answered from the cache
RULES = json.dumps(
    {"cooldown_minutes": 30, "rules": [{"name": "provider circuit open", "kind": "circuit_open", "worker": "ai-proxy"}]}
)


@contextlib.asynccontextmanager
async def webhook_receiver():
    received: list[dict] = []

    async def hook(request):
        assert request.headers["authorization"] == "Bearer hook-token"
        received.append(await request.json())
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hook", received
    finally:
        await runner.cleanup()


async def chats(stack, n: int, expect_ok: bool) -> None:
    client = stack.client()
    for _ in range(n):
        question = f"question {next(PROMPTS)}"
        try:
            await client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": question}])
            assert expect_ok
        except openai.APIStatusError as error:
            assert not expect_ok and error.status_code in (502, 503)
    await stack.runtime.drain()


async def cron(stack) -> None:
    await stack.runtime.advance(60)
    await stack.telemetry.scheduled("* * * * *")
    await stack.runtime.drain()


@pytest.mark.parametrize("outage", [("status", 503), "reset"], ids=["503", "connection closed"])
async def test_a_provider_outage_gives_one_alert_and_one_resolved_message(flaresim, flaresim_clock, outage):
    flaresim_clock.set(1_790_000_040)  # a minute boundary, as the cron fires
    async with webhook_receiver() as (hook_url, hooked):
        env = {"ALERT_RULES": RULES, "TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_ADMIN_CHAT_ID": str(ADMIN_CHAT),
               "ALERT_WEBHOOK_URL": hook_url, "ALERT_WEBHOOK_TOKEN": "hook-token"}  # fmt: skip
        async with running_stack(flaresim, telemetry_env=env, proxy_isolates=2) as stack:
            flaresim.outbound.route("api.telegram.org", stack.bot_api.url)  # the alerts' default Bot API
            admin = lambda: stack.bot_api.chat(ADMIN_CHAT)  # noqa: E731

            await chats(stack, 3, expect_ok=True)
            await cron(stack)
            assert admin() == [] and hooked == []

            stack.upstream.default = outage  # the provider goes down: calls fail, the circuit opens
            for _ in range(4):  # it stays down through several evaluations
                await chats(stack, 3, expect_ok=False)
                await cron(stack)
            assert len(admin()) == 1 and len(hooked) == 1
            assert admin()[0].startswith(f"ALERT: provider circuit open [{DEPLOYMENT}]")
            assert (hooked[0]["status"], hooked[0]["subject"], hooked[0]["kind"]) == (
                "firing",
                DEPLOYMENT,
                "circuit_open",
            )
            stats = await stack.get_json("/api/stats?window=15m")
            assert [(i["rule"], i["subject"]) for i in stats["incidents"]] == [("provider circuit open", DEPLOYMENT)]
            assert next(p for p in stats["providers"] if p["provider"] == DEPLOYMENT)["circuit"] == "open"

            stack.upstream.default = "ok"  # recovered: the breaker's probe succeeds and closes it
            await chats(stack, 3, expect_ok=True)
            for _ in range(3):
                await cron(stack)
                await chats(stack, 1, expect_ok=True)
            assert len(admin()) == 2 and len(hooked) == 2
            assert admin()[1].startswith(f"RESOLVED: provider circuit open [{DEPLOYMENT}]")
            assert hooked[1]["status"] == "resolved"
            errors = await stack.metrics()
            assert sum(s.value for s in errors if s.name == "flarekit_request_errors_total") >= 12
