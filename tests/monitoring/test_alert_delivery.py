"""Alerts end to end: an injected provider outage gives exactly one alert and one resolved message,
on Telegram (a local server playing the Bot API) and on a webhook, evaluated by the cron."""

from __future__ import annotations

import contextlib
import json

import pytest
from aiohttp import web

RULES = json.dumps({"cooldown_minutes": 30, "rules": [{"name": "provider down", "kind": "circuit_open"}]})
TOKEN = "123456:alert-bot-token"


@contextlib.asynccontextmanager
async def channels(telegram_failures=0):
    """A fake Bot API (`/bot<token>/sendMessage`) and a webhook receiver on one local server."""
    received = {"telegram": [], "webhook": []}
    failures = [telegram_failures]

    async def send_message(request):
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        if failures[0] > 0:
            failures[0] -= 1
            return web.json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
        body = await request.json()
        received["telegram"].append(body)
        return web.json_response({"ok": True, "result": {"message_id": len(received["telegram"]), "chat": {"id": 42}}})

    async def hook(request):
        received["webhook"].append(await request.json())
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/bot{token}/sendMessage", send_message)
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}", received
    finally:
        await runner.cleanup()


@pytest.fixture
def start_of_minute(flaresim_clock):
    flaresim_clock.set(1_790_000_040)  # a minute boundary, as the cron fires
    return flaresim_clock


async def traffic(client, flaresim, circuit_state, n=5):
    attempts = (
        [["openai", "error", 30.0], ["anthropic", "ok", 80.0]] if circuit_state == "open" else [["openai", "ok", 50.0]]
    )
    for _ in range(n):
        body = {"provider": "anthropic" if circuit_state == "open" else "openai", "model": "m", "attempts": attempts,
                "circuits": {"openai": circuit_state}}  # fmt: skip
        await client.post("/v1/chat/completions", json=body)
    await flaresim.drain()


async def cron(telemetry, flaresim):
    await flaresim.advance(60)
    await telemetry.scheduled("* * * * *")
    await flaresim.drain()


async def test_a_provider_outage_gives_one_alert_and_one_resolved_message(
    load_monitoring, worker_client, flaresim, start_of_minute
):
    async with channels() as (url, received):
        flaresim.outbound.route("api.telegram.org", url)
        overrides = {"ALERT_RULES": RULES, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_ADMIN_CHAT_ID": "42",
                     "ALERT_WEBHOOK_URL": f"{url}/hook", "DASHBOARD_URL": "https://telemetry.example/dashboard"}  # fmt: skip
        telemetry, app = load_monitoring(app_isolates=2, telemetry_overrides=overrides)
        client = worker_client(app)

        await traffic(client, flaresim, "closed")
        await cron(telemetry, flaresim)
        assert received == {"telegram": [], "webhook": []}

        await traffic(client, flaresim, "open")  # the outage: openai fails, its circuit opens
        for _ in range(4):  # the outage lasts several evaluations
            await cron(telemetry, flaresim)
            await traffic(client, flaresim, "open")
        assert len(received["telegram"]) == 1 and len(received["webhook"]) == 1
        alert = received["telegram"][0]
        assert alert["chat_id"] == "42"
        assert alert["text"].startswith("ALERT: provider down [openai]\nprovider openai: circuit open")
        assert "https://telemetry.example/dashboard" in alert["text"]
        webhook = received["webhook"][0]
        assert (webhook["status"], webhook["rule"], webhook["subject"]) == ("firing", "provider down", "openai")

        stats = await (
            await worker_client(telemetry).get(
                "/api/stats?window=15m", headers={"authorization": "Bearer query-test-token"}
            )
        ).json()
        assert [(i["rule"], i["subject"]) for i in stats["incidents"]] == [("provider down", "openai")]
        assert next(p for p in stats["providers"] if p["provider"] == "openai")["circuit"] == "open"

        await traffic(client, flaresim, "closed")  # recovered
        for _ in range(3):
            await cron(telemetry, flaresim)
        assert len(received["telegram"]) == 2 and len(received["webhook"]) == 2
        assert received["telegram"][1]["text"].startswith("RESOLVED: provider down [openai]\nafter 4 min")
        assert received["webhook"][1]["status"] == "resolved"


async def test_an_alert_that_could_not_be_delivered_is_sent_at_the_next_evaluation(
    load_monitoring, worker_client, flaresim, start_of_minute
):
    async with channels(telegram_failures=1) as (url, received):
        flaresim.outbound.route("api.telegram.org", url)
        overrides = {"ALERT_RULES": RULES, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_ADMIN_CHAT_ID": "42"}
        telemetry, app = load_monitoring(telemetry_overrides=overrides)
        await traffic(worker_client(app), flaresim, "open")
        await cron(telemetry, flaresim)
        assert received["telegram"] == []  # the Bot API answered 502
        await cron(telemetry, flaresim)
        await cron(telemetry, flaresim)
        assert len(received["telegram"]) == 1
