"""The dashboard in a real headless Chromium: after traffic generated through the real AI proxy and
Telegram bot it shows non-empty charts and the expected totals, without console errors. Set
UPDATE_DASHBOARD_SCREENSHOT=1 to refresh docs/dashboard.png from this run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import openai
import pytest
from cdp import browser_page
from stack import PRICE, cost_of, running_stack

from flaresim.testing import serve_workers

ROOT = Path(__file__).resolve().parents[2]
MINUTES = 10
OUTAGE = range(4, 7)  # the primary provider answers 503 in these minutes
SLOW = 6.0  # seconds the provider takes over the one slow question


def gateway(primary, backup):
    """gpt-4o-mini fails over from primary to backup; gpt-4.1 is on primary only; every key has a budget."""
    deployment = lambda server, model: {"provider": server.name, "model": model, "price": PRICE}  # noqa: E731
    return {
        "providers": {
            s.name: {"type": "openai", "base_url": s.url + "/v1", "api_key_env": "UPSTREAM_KEY"}
            for s in (primary, backup)
        },
        "models": {
            "gpt-4o-mini": [deployment(primary, "gpt-4o-mini"), deployment(backup, "gpt-4o-mini")],
            "gpt-4.1": [deployment(primary, "gpt-4.1")],
        },
        "routing": {
            "timeouts": {"connect_ms": 2000, "first_byte_ms": 2000, "total_ms": 8000},
            "retry": {"max_attempts": 2, "base_delay_ms": 5, "max_delay_ms": 10},
        },
        "budgets": {"daily_usd": 0.25},
    }


def latency(body):
    """Provider time on the fake clock: 80 ms to 230 ms, and 6 s for the slow question."""
    text = body["messages"][-1]["content"]
    return SLOW if "[slow]" in text else 0.08 + 0.05 * (len(text) % 4)


async def generate_traffic(stack, flaresim):
    """Ten minutes of traffic: two models, three keys (one of them the bot's), a cache hit, streams,
    Telegram messages, an outage of the primary provider (failover, then errors) and a slow request.
    Returns the tokens the clients were told about."""
    primary, _backup = stack.upstreams
    team_a, team_b = stack.client("team-a"), stack.client("team-b")
    tokens = {"input": 0, "output": 0, "errors": 0}
    for minute in range(MINUTES):
        await flaresim.advance(60)
        primary.default = ("status", 503) if minute in OUTAGE else "ok"
        slow = " [slow]" if minute == 7 else ""
        answer = await team_a.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"minute {minute}{slow}"}]
        )
        tokens["input"] += answer.usage.prompt_tokens
        tokens["output"] += answer.usage.completion_tokens
        stream = await team_b.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": f"stream {minute}"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        usage = [chunk async for chunk in stream][-1].usage
        tokens["input"] += usage.prompt_tokens
        tokens["output"] += usage.completion_tokens
        try:
            answer = await team_a.chat.completions.create(
                model="gpt-4.1", messages=[{"role": "user", "content": f"big model {minute}"}]
            )
            tokens["input"] += answer.usage.prompt_tokens
            tokens["output"] += answer.usage.completion_tokens
        except openai.APIStatusError as error:
            assert minute in OUTAGE and error.status_code in (502, 503)
            tokens["errors"] += 1
        if minute == 0:  # the same question again: answered from the cache, free
            await team_a.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "minute 0"}]
            )
        assert (await stack.telegram(f"telegram {minute}", user_id=500 + minute % 2)).status == 200
        await flaresim.drain()
    for user_id in (500, 501):
        answers = stack.bot_api.chat(user_id)
        assert len(answers) == MINUTES // 2 and all(" says: telegram " in text for text in answers)
        # The bot's answers are the provider's text: its completion tokens are its words.
        tokens["input"] += 10 * len(answers)
        tokens["output"] += sum(len(text.split()) for text in answers)
    assert tokens["errors"] == len(OUTAGE)
    return tokens


async def test_the_dashboard_renders_traffic_from_the_real_workers_in_headless_chromium(flaresim, tmp_path):
    async with running_stack(
        flaresim, proxy_isolates=2, upstreams=("primary", "backup"), latency=latency, gateway=gateway
    ) as stack:
        tokens = await generate_traffic(stack, flaresim)
        proxy_requests = MINUTES * 4 + 1  # three SDK calls and the bot's each minute, one cache hit
        async with serve_workers(stack.telemetry) as urls, browser_page(tmp_path / "profile") as page:
            base = urls["telemetry"]
            await page.navigate(f"{base}/dashboard")
            assert await page.evaluate("!!document.querySelector('form.login')")
            await page.evaluate(
                "document.getElementById('token').value = 'query-dev-token';"
                "document.querySelector('form.login').submit()"
            )
            await page.wait_for("!!document.querySelector('[data-metric=requests]')")
            await page.wait_for("document.getElementById('status').textContent.startsWith('updated')")

            # Totals of the traffic sent (the telemetry Worker's own requests count too, but spend nothing).
            cost = cost_of(tokens["input"], tokens["output"])
            assert await page.evaluate("document.querySelector('[data-metric=cost]').textContent") == f"${cost:.4f}"
            shown = await page.evaluate("document.querySelector('[data-metric=tokens]').textContent")
            assert shown == f"{tokens['input']:,} in · {tokens['output']:,} out"
            assert await page.evaluate("document.querySelector('[data-metric=rate_limited]').textContent") == "0"
            routes = await page.evaluate(
                "Object.fromEntries([...document.querySelectorAll('#routes tbody tr')]"
                ".map(r => [r.cells[0].textContent, [...r.cells].slice(1, 3).map(c => c.textContent)]))"
            )
            errors = f"{100 * len(OUTAGE) / proxy_requests:.1f} %"
            assert routes["ai-proxy POST /v1/chat/completions"] == [str(proxy_requests), errors]
            assert routes["telegram-bot POST /telegram/webhook"] == [str(MINUTES), "0.00 %"]
            workers = await page.evaluate(
                "[...document.querySelectorAll('#workers tbody tr')].map(r => r.cells[0].textContent)"
            )
            assert {"ai-proxy", "telegram-bot", "telemetry"} <= set(workers)

            charts = await page.evaluate(
                "Object.fromEntries([...document.querySelectorAll('.chart')]"
                ".map(c => [c.id, [Number(c.dataset.points), c.querySelectorAll('path.series').length]]))"
            )
            for chart_id, (points, paths) in charts.items():
                assert points > 0 and paths > 0, f"{chart_id} is empty: {charts}"

            rows = await page.evaluate(
                "Object.fromEntries([...document.querySelectorAll('table')].map(t => [t.id, Number(t.dataset.rows)]))"
            )
            assert rows["models"] == 2 and rows["keys"] == 3 and rows["budgets"] == 3
            providers = await page.evaluate(
                "Object.fromEntries([...document.querySelectorAll('#providers tbody tr')]"
                ".map(r => [r.cells[0].textContent, r.cells[1].textContent]))"
            )
            assert set(providers) == {"primary/gpt-4o-mini", "backup/gpt-4o-mini", "primary/gpt-4.1"}
            await page.wait_for("Number(document.getElementById('error-groups').dataset.rows) > 0")  # the 502s

            slowest = await page.evaluate("[...document.querySelector('#slow tbody tr').cells].map(c => c.textContent)")
            assert slowest[1:5] == ["ai-proxy /v1/chat/completions", "gpt-4o-mini", "200", f"{SLOW * 1000:,.0f} ms"]
            link = await page.evaluate("document.querySelector('#slow a.trace').getAttribute('href')")
            assert link.startswith("/api/telemetry/query?event_type=otel.span&trace_id=")
            await page.evaluate("document.querySelector('#slow a.trace').click()")
            await page.wait_for("Number(document.getElementById('trace-panel').dataset.spans) > 0")
            names = await page.evaluate(
                "[...document.querySelectorAll('#trace-spans .span-name')].map(n => n.textContent)"
            )
            assert names[0] == "ai-proxy · POST /v1/chat/completions"
            assert sorted(names[1:]) == [
                "ai-proxy · cache lookup",
                "ai-proxy · chat gpt-4o-mini",
                "ai-proxy · limit check",
            ]

            await page.evaluate("document.querySelector('[data-window=\"24h\"]').click()")
            await page.wait_for("document.body.dataset.window === '24h' && location.hash === '#24h'")
            await page.wait_for("Number(document.getElementById('chart-rate').dataset.points) > 0")

            shot = tmp_path / "dashboard.png"
            await page.evaluate("document.querySelector('[data-window=\"15m\"]').click()")
            await page.wait_for("document.body.dataset.window === '15m'")
            await page.screenshot(shot)
            assert shot.stat().st_size > 10_000
            if os.environ.get("UPDATE_DASHBOARD_SCREENSHOT"):
                shutil.copy(shot, ROOT / "docs" / "dashboard.png")
            assert page.errors == [], json.dumps(page.errors, indent=2)


@pytest.mark.parametrize("path", ["/dashboard"])
async def test_the_login_page_itself_has_no_console_errors(load_monitoring, flaresim, tmp_path, path):
    telemetry, _app = load_monitoring()
    async with serve_workers(telemetry) as urls, browser_page(tmp_path / "profile") as page:
        await page.navigate(urls["telemetry"] + path)
        await page.evaluate(
            "document.getElementById('token').value = 'wrong'; document.querySelector('form.login').submit()"
        )
        await page.wait_for("!!document.querySelector('.error')")
        assert page.errors == []
