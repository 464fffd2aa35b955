"""The dashboard in a real headless Chromium: after generated traffic it shows non-empty charts and
the expected totals, without console errors. Set UPDATE_DASHBOARD_SCREENSHOT=1 to refresh
docs/dashboard.png from this run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from cdp import browser_page
from monitoring_workers import worker_copy

from flaresim.testing import serve_workers

ROOT = Path(__file__).resolve().parents[2]
MODELS = [
    ("gpt-4o-mini", "openai", "team-a"),
    ("claude-haiku", "anthropic", "team-b"),
    ("glm-4.7-flash", "workers-ai", "bot"),
]
REQUESTS = 40


async def generate_traffic(client, flaresim):
    """Ten minutes of varied traffic: three models and keys, cache hits, errors, a slow request, an outage."""
    sent = 0
    for minute in range(10):
        await flaresim.advance(60)
        for i in range(4):
            model, provider, key = MODELS[(minute + i) % 3]
            outage = 4 <= minute <= 6 and provider == "openai"
            body = {
                "model": model, "provider": "anthropic" if outage else provider, "key": key,
                "cache": "hit" if i == 0 else "miss", "input_tokens": 100, "output_tokens": 20, "cost_usd": 0.01,
                "latency_ms": 6000 if (minute, i) == (7, 2) else 80 + 40 * i + 15 * minute, "ttfb_ms": 30 + 10 * i,
                "status": 502 if (minute, i) in ((3, 1), (5, 3)) else 200,
                "attempts": [["openai", "error", 40.0], ["anthropic", "ok", 90.0]] if outage else [[provider, "ok", 70.0]],
                "circuits": {"openai": "open" if outage else "closed"},
                "budget": {"spent_usd": 8.2 + 0.01 * sent, "limit_usd": 10, "period": "day"} if key == "team-a" else None,
                "events_accepted": 25 * (minute % 4), "events_rejected": 2 if minute == 5 else 0,
            }  # fmt: skip
            await client.post("/v1/chat/completions", json={k: v for k, v in body.items() if v is not None})
            sent += 1
    await flaresim.drain()
    assert sent == REQUESTS


async def test_the_dashboard_renders_the_traffic_in_headless_chromium(
    flaresim, worker_dirs, worker_client, tmp_path, vendored_wheels
):
    telemetry = flaresim.load_worker(worker_dirs["telemetry"])  # the real Worker: its query API holds the spans
    app = flaresim.load_worker(
        worker_copy("monitoring_app", tmp_path, vendored_wheels),
        isolates=2,
        overrides={"OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20ingest-dev-token"},
    )
    await generate_traffic(worker_client(app), flaresim)
    async with serve_workers(telemetry) as urls, browser_page(tmp_path / "profile") as page:
        base = urls["telemetry"]
        await page.navigate(f"{base}/dashboard")
        assert await page.evaluate("!!document.querySelector('form.login')")
        await page.evaluate(
            "document.getElementById('token').value = 'query-dev-token'; document.querySelector('form.login').submit()"
        )
        await page.wait_for("!!document.querySelector('[data-metric=requests]')")
        await page.wait_for("document.getElementById('status').textContent.startsWith('updated')")

        # Totals of the traffic sent (the telemetry Worker's own requests count too, but spend no tokens).
        assert await page.evaluate("document.querySelector('[data-metric=cost]').textContent") == "$0.4000"
        assert await page.evaluate("document.querySelector('[data-metric=tokens]').textContent") == "4,000 in · 800 out"
        assert await page.evaluate("document.querySelector('[data-metric=rate_limited]').textContent") == "0"
        routes = await page.evaluate(
            "[...document.querySelectorAll('#routes tbody tr')].map(r => [...r.cells].map(c => c.textContent))"
        )
        assert ["app POST /v1/chat/completions", str(REQUESTS), "5.0 %"] == routes[0][:3]

        charts = await page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('.chart')]"
            ".map(c => [c.id, [Number(c.dataset.points), c.querySelectorAll('path.series').length]]))"
        )
        for chart_id, (points, paths) in charts.items():
            assert points > 0 and paths > 0, f"{chart_id} is empty: {charts}"

        rows = await page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('table')].map(t => [t.id, Number(t.dataset.rows)]))"
        )
        assert rows["models"] == 3 and rows["keys"] == 3 and rows["budgets"] == 1 and rows["workers"] >= 1
        assert rows["providers"] >= 2 and rows["slow"] >= 1
        await page.wait_for("Number(document.getElementById('error-groups').dataset.rows) > 0")  # the 502s' spans
        link = await page.evaluate("document.querySelector('#slow a.trace').getAttribute('href')")
        assert link.startswith("/api/telemetry/query?event_type=otel.span&trace_id=")
        slowest = await page.evaluate("document.querySelector('#slow tbody tr').cells[4].textContent")
        assert slowest == "6,000 ms"
        await page.evaluate("document.querySelector('#slow a.trace').click()")
        await page.wait_for("Number(document.getElementById('trace-panel').dataset.spans) > 0")
        names = await page.evaluate("[...document.querySelectorAll('#trace-spans .span-name')].map(n => n.textContent)")
        assert names[0] == "app · POST /v1/chat/completions"
        assert sorted(names[1:]) == ["app · cache lookup", "app · chat gpt-4o-mini"]

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
