"""Routes of the monitoring side of the telemetry Worker.

GET  /metrics              Prometheus text (bearer token or dashboard cookie)
GET  /api/stats?window=    JSON stats for 15m, 1h (default), 24h or 7d
GET  /dashboard            the dashboard when logged in, else the login form
POST /dashboard/login      form field `token`; sets the session cookie
POST /dashboard/logout     clears it
"""

from __future__ import annotations

from urllib.parse import parse_qs

from workers import Response

from flarekit.http.request_context import RequestContext
from flarekit.http.responses import json_response
from flarekit.http.router import Router
from flarekit.metrics import prometheus
from flarekit.metrics.aggregator import aggregator
from flarekit.metrics.stats import parse_window
from telemetry_monitoring import auth
from telemetry_monitoring.dashboard_page import CSP_DASHBOARD, CSP_LOGIN, dashboard_html, login_html

_NO_STORE = {"cache-control": "no-store"}
_MAX_LOGIN_BODY = 4096


async def metrics(rc: RequestContext) -> Response:
    auth.require(rc.headers, rc.env)
    text = await aggregator(rc.env).prometheus()
    return Response(text, headers={"content-type": prometheus.CONTENT_TYPE, **_NO_STORE})


async def stats(rc: RequestContext) -> Response:
    auth.require(rc.headers, rc.env)
    window = parse_window(rc.query.get("window"))
    return json_response(await aggregator(rc.env).stats(window.name), headers=_NO_STORE)


def _html(body: str, status: int = 200, csp: str = CSP_LOGIN, extra: dict[str, str] | None = None) -> Response:
    headers = {"content-type": "text/html; charset=utf-8", "content-security-policy": csp, **_NO_STORE}
    headers["x-content-type-options"] = "nosniff"
    headers.update(extra or {})
    return Response(body, status=status, headers=headers)


async def dashboard(rc: RequestContext) -> Response:
    if not auth.is_authorized(rc.headers, rc.env):
        return _html(login_html())
    return _html(dashboard_html(), csp=CSP_DASHBOARD)


async def login(rc: RequestContext) -> Response:
    auth.configured_token(rc.env)  # 503 when there is nothing to log in with
    body = await rc.request.text()
    token = parse_qs(body[:_MAX_LOGIN_BODY]).get("token", [""])[0]
    if not token or not auth.token_matches(token, rc.env):
        # 200, as form frameworks answer: a 4xx document is a console error in browsers.
        return _html(login_html("That token is not valid."))
    cookie = auth.session_cookie(rc.env, secure=rc.request.url.startswith("https:"))
    return Response("", status=303, headers={"location": "/dashboard", "set-cookie": cookie, **_NO_STORE})


async def logout(rc: RequestContext) -> Response:
    return Response(
        "", status=303, headers={"location": "/dashboard", "set-cookie": auth.cleared_cookie(), **_NO_STORE}
    )


def register_routes(router: Router) -> Router:
    """Add the monitoring routes to a router (the test fixture's; the Worker uses ROUTES)."""
    for method, template, handler in ROUTES:
        router.add(method, template, handler)
    return router


ROUTES = (
    ("GET", "/metrics", metrics),
    ("GET", "/api/stats", stats),
    ("GET", "/dashboard", dashboard),
    ("POST", "/dashboard/login", login),
    ("POST", "/dashboard/logout", logout),
)
"""(method, template, handler) rows, as the telemetry Worker's ROUTE_TABLES expects."""
