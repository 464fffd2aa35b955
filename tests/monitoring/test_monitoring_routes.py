"""The telemetry Worker's monitoring routes: who may read them, and what they answer."""

from __future__ import annotations

import pytest

from flarekit.metrics.prometheus import CONTENT_TYPE

AUTH = {"authorization": "Bearer query-test-token"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def monitoring(load_monitoring, worker_client, flaresim):
    telemetry, app = load_monitoring()
    app_client = worker_client(app)
    for i in range(12):
        body = {"model": "gpt-4o" if i % 3 else "claude", "provider": "openai", "key": "team-a", "cache": "hit" if i < 3 else "miss",
                "input_tokens": 100, "output_tokens": 20, "cost_usd": 0.01, "ttfb_ms": 40 + i}  # fmt: skip
        await app_client.post("/v1/chat/completions", json=body)
    await app_client.post("/v1/chat/completions", json={"status": 429, "key": "team-b"})
    await app_client.post(
        "/v1/chat/completions", json={"status": 429, "key": "team-b", "error_code": "budget_exceeded"}
    )
    await flaresim.drain()
    return worker_client(telemetry)


@pytest.mark.parametrize("path", ["/metrics", "/api/stats"])
@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer wrong"}, {"cookie": "flarekit_dashboard=forged"}])
async def test_metrics_and_stats_need_the_query_token(monitoring, path, headers):
    response = await monitoring.get(path, headers=headers)
    assert response.status == 401
    assert response.headers.get("www-authenticate", "").startswith("Bearer")


async def test_in_production_without_a_configured_token_everything_is_refused(load_monitoring, worker_client):
    overrides = {"TELEMETRY_QUERY_TOKEN": "", "ENVIRONMENT": "production"}
    telemetry, _app = load_monitoring(telemetry_overrides=overrides)
    assert (await worker_client(telemetry).get("/metrics", headers=AUTH)).status == 503
    assert (await worker_client(telemetry).get("/dashboard")).status == 503
    assert (await worker_client(telemetry).post("/dashboard/login", body="token=x", headers=FORM)).status == 503


async def test_in_development_without_a_token_the_dashboard_is_open(load_monitoring, worker_client):
    telemetry, _app = load_monitoring(telemetry_overrides={"TELEMETRY_QUERY_TOKEN": ""})
    assert (await worker_client(telemetry).get("/metrics")).status == 200
    assert 'data-metric="requests"' in await (await worker_client(telemetry).get("/dashboard")).text()


async def test_metrics_is_prometheus_text(monitoring):
    response = await monitoring.get("/metrics", headers=AUTH)
    assert response.headers.get("content-type") == CONTENT_TYPE
    assert response.headers.get("cache-control") == "no-store"


async def test_stats_report_the_window_figures(monitoring):
    response = await monitoring.get("/api/stats?window=15m", headers=AUTH)
    assert response.status == 200
    stats = await response.json()
    app = next(w for w in stats["by_worker"] if w["worker"] == "app")
    assert app["requests"] == 14
    assert stats["cache"]["hit"] == 3 and stats["cache"]["miss"] == 9 and stats["cache"]["hit_rate"] == 0.25
    assert stats["rejections"] == {"rate_limited": 1, "budget_exceeded": 1}
    assert {m["model"]: m["input_tokens"] for m in stats["by_model"]} == {"gpt-4o": 800, "claude": 400}
    assert stats["ttfb_ms"]["p50"] is not None
    assert len(stats["timeline"]) == 15 and sum(p["requests"] for p in stats["timeline"]) >= 14
    assert stats["incidents"] == []


async def test_stats_default_to_one_hour_and_refuse_unknown_windows(monitoring):
    assert (await (await monitoring.get("/api/stats", headers=AUTH)).json())["window"] == "1h"
    bad = await monitoring.get("/api/stats?window=2w", headers=AUTH)
    assert bad.status == 400
    assert "15m, 1h, 24h, 7d" in (await bad.json())["error"]["message"]


async def test_the_dashboard_asks_browsers_to_log_in(monitoring):
    page = await monitoring.get("/dashboard")
    assert page.status == 200
    text = await page.text()
    assert 'action="/dashboard/login"' in text and "data-metric" not in text


async def test_a_wrong_token_in_the_login_form_is_refused(monitoring):
    response = await monitoring.post("/dashboard/login", body="token=nope", headers=FORM)
    assert "That token is not valid." in await response.text()
    assert response.headers.get("set-cookie") is None


async def test_logging_in_sets_an_httponly_cookie_that_opens_the_dashboard_and_the_api(monitoring):
    response = await monitoring.post("/dashboard/login", body="token=query-test-token", headers=FORM)
    assert response.status == 303 and response.headers.get("location") == "/dashboard"
    cookie = response.headers.get("set-cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "query-test-token" not in cookie
    session = {"cookie": cookie.split(";")[0]}
    page = await monitoring.get("/dashboard", headers=session)
    assert 'data-metric="requests"' in await page.text()
    assert "script-src 'sha256-" in page.headers.get("content-security-policy")
    assert (await monitoring.get("/api/stats", headers=session)).status == 200
    logout = await monitoring.post("/dashboard/logout", headers=session)
    assert "Max-Age=0" in logout.headers.get("set-cookie")


async def test_each_record_also_writes_an_analytics_engine_data_point(monitoring, flaresim):
    rows = flaresim.analytics_engine.query(
        "SELECT blob5 AS model, SUM(double3) AS input_tokens, COUNT(*) AS n FROM flarekit_requests "
        "WHERE blob1 = 'app' GROUP BY blob5 ORDER BY blob5"
    )
    assert [(r["model"], r["input_tokens"]) for r in rows if r["model"]] == [("claude", 400.0), ("gpt-4o", 800.0)]
    assert sum(r["n"] for r in rows) == 14
