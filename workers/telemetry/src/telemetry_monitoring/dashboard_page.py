"""The dashboard and its login page: self-contained HTML (inline CSS, inline script, no CDN).

The Content-Security-Policy allows only this page's own script (by its hash, computed once per
isolate) and requests to this origin, so nothing injected into the data can run or phone out.
"""

from __future__ import annotations

import base64
import hashlib
import html
from functools import cache

from telemetry_monitoring.dashboard_script import SCRIPT

ERRORS_URL = "/api/telemetry/errors?limit=10"
TRACE_URL = "/api/telemetry/query?event_type=otel.span&trace_id={trace_id}&start={start}&end={end}"
"""Where a slow request's trace is read: the telemetry query API's span events of one trace."""

STYLE = """
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;background:#f4f5f7;color:#1d2330}
header{display:flex;align-items:center;gap:16px;padding:12px 20px;background:#1d2330;color:#fff}
header h1{font-size:17px;margin:0;flex:1}header button{background:#39404f;color:#fff;border:0;padding:5px 11px;
border-radius:4px;cursor:pointer}header button.on{background:#2f7ed8}#status{font-size:12px;color:#b8c0d0}
#status.bad{color:#ff8a7a}main{padding:16px 20px;display:grid;gap:14px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.tile,.card{background:#fff;border-radius:6px;padding:10px 12px;box-shadow:0 1px 2px #0002}
.tile b{display:block;font-size:20px}.tile small,.tile span{color:#667085;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}
.card h2{font-size:13px;margin:0 0 6px;color:#475467;text-transform:uppercase;letter-spacing:.04em}
svg{width:100%;height:150px}.series{fill:none;stroke-width:2}.axis{stroke:#c9ced6}.tick{font-size:10px;fill:#667085}
.legend{font-size:12px;display:flex;gap:10px}.tables{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}
table{width:100%;border-collapse:collapse;font-size:12.5px}th{text-align:left;color:#667085;font-weight:600}
td,th{padding:3px 6px;border-bottom:1px solid #eef0f3;overflow-wrap:anywhere}
.badge{padding:1px 7px;border-radius:9px;font-size:11px;background:#ddd}.badge.closed{background:#cdeccd}
.badge.open{background:#ffc9c0}.badge.half_open{background:#ffe9a8}a.trace{font-family:monospace}
form.login{max-width:340px;margin:12vh auto;background:#fff;padding:24px;border-radius:8px;box-shadow:0 1px 3px #0003}
form.login input{width:100%;padding:8px;margin:8px 0 12px}form.login button{padding:8px 14px}.error{color:#c0392b}
form.logout{margin:0}
.span-row{display:grid;grid-template-columns:minmax(180px,28%) 70px 1fr;gap:8px;align-items:center;font-size:12.5px}
.track{background:#eef0f3;height:10px;border-radius:3px}.bar{background:#2f7ed8;height:10px;border-radius:3px}
.bar.failed{background:#d8432f}#trace-panel[hidden]{display:none}h2 code{text-transform:none}.card.wide{grid-column:span 2}
"""


def _tile(metric: str, label: str, sub: str | None = None) -> str:
    extra = f'<span data-metric="{sub}">&ndash;</span>' if sub else ""
    return f'<div class="tile"><small>{label}</small><b data-metric="{metric}">&ndash;</b>{extra}</div>'


def _chart(chart_id: str, title: str) -> str:
    return (
        f'<div class="card chart" id="{chart_id}" data-points="0"><h2>{title}</h2>'
        f'<svg viewBox="0 0 480 150" preserveAspectRatio="none" role="img" aria-label="{title}"></svg>'
        '<div class="legend"></div></div>'
    )


def _table(table_id: str, title: str, headings: list[str], wide: bool = False) -> str:
    head = "".join(f"<th>{h}</th>" for h in headings)
    return (
        f'<div class="card{" wide" if wide else ""}"><h2>{title}</h2><table id="{table_id}" data-rows="0">'
        f"<thead><tr>{head}</tr></thead><tbody></tbody></table></div>"
    )


def _hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()


CSP_DASHBOARD = (
    f"default-src 'none'; script-src '{_hash(SCRIPT)}'; style-src 'unsafe-inline'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
CSP_LOGIN = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"


@cache
def dashboard_html(refresh_ms: int = 15000) -> str:
    """The dashboard page (built once per isolate)."""
    tiles = "".join(
        [
            _tile("requests", "Requests", "rate"),
            _tile("error_rate", "Error rate", "errors"),
            _tile("p50", "Latency p50"),
            _tile("p95", "Latency p95"),
            _tile("p99", "Latency p99"),
            _tile("ttfb", "Time to first byte p50"),
            _tile("cache_hit_rate", "Cache hit rate", "cache"),
            _tile("cost", "Cost", "tokens"),
            _tile("rate_limited", "Rate-limited", "budget_exceeded"),
            _tile("ingested", "Telemetry events", "rejected"),
        ]
    )
    charts = "".join(
        [
            _chart("chart-rate", "Request rate"),
            _chart("chart-errors", "Error rate"),
            _chart("chart-latency", "Latency and time to first byte"),
            _chart("chart-cache", "Cache hit rate"),
            _chart("chart-ingest", "Telemetry ingest volume"),
        ]
    )
    tables = "".join(
        [
            _table("incidents", "Open alerts", ["rule", "subject", "summary", "since"]),
            _table("workers", "Workers", ["worker", "requests", "errors", "p95"]),
            _table("providers", "Providers", ["provider", "circuit", "calls", "success", "avg"]),
            _table("models", "Tokens and cost by model", ["model", "requests", "input", "output", "cost", "p95"]),
            _table("keys", "Tokens and cost by key", ["key", "requests", "input", "output", "cost", "rejected"]),
            _table("budgets", "Budgets", ["key", "period", "spent", "limit", "used"]),
            _table("routes", "Routes", ["route", "requests", "errors", "p95"]),
            _table("error-groups", "Top error groups", ["error", "count", "last seen"]),
            _table(
                "slow", "Recent slow requests", ["time (UTC)", "request", "model", "status", "duration", "trace"], True
            ),
        ]
    )
    windows = "".join(f'<button type="button" data-window="{w}">{w}</button>' for w in ("15m", "1h", "24h", "7d"))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"><title>Flarekit monitoring</title>'
        '<link rel="icon" href="data:,">'
        f"<style>{STYLE}</style></head>"
        f'<body data-refresh-ms="{refresh_ms}" data-errors-url="{html.escape(ERRORS_URL)}" '
        f'data-trace-url="{html.escape(TRACE_URL)}">'
        f'<header><h1>Flarekit monitoring</h1>{windows}<span id="status">loading…</span>'
        '<form class="logout" method="post" action="/dashboard/logout">'
        '<button type="submit">log out</button></form></header>'
        f'<main><section class="tiles">{tiles}</section><section class="charts">{charts}</section>'
        '<section class="card" id="trace-panel" data-spans="0" hidden><h2>Trace <code id="trace-id"></code></h2>'
        '<div id="trace-spans"></div></section>'
        f'<section class="tables">{tables}</section></main><script>{SCRIPT}</script></body></html>'
    )


def login_html(message: str | None = None) -> str:
    """The login form (a token field posting to /dashboard/login)."""
    error = f'<p class="error">{html.escape(message)}</p>' if message else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Flarekit monitoring: log in</title><link rel="icon" href="data:,">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style></head><body>'
        '<form class="login" method="post" action="/dashboard/login"><h1>Flarekit monitoring</h1>'
        '<label for="token">Query token (TELEMETRY_QUERY_TOKEN)</label>'
        f'<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>{error}'
        '<button type="submit">Log in</button></form></body></html>'
    )
