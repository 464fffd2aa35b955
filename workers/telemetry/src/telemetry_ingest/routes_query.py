"""Reading telemetry: `GET /api/telemetry/query`, `/errors` and `/metrics/summary`."""

from __future__ import annotations

from flarekit.errors import HTTPError
from flarekit.http.request_context import RequestContext
from flarekit.http.responses import json_response
from telemetry_ingest.auth import Scope
from telemetry_ingest.context import authorize, config_of, json_text, now, session_of
from telemetry_ingest.query import parse_params, render_page, run_query, time_range
from telemetry_ingest.reports import Scan, error_groups, request_summary

SUMMARY_DEFAULT_WINDOW_MS = 3600 * 1000
ERRORS_DEFAULT_WINDOW_MS = 24 * 3600 * 1000
DEFAULT_ERROR_GROUPS = 50
MAX_ERROR_GROUPS_SHOWN = 500


async def query(rc: RequestContext):
    config = config_of(rc)
    authorize(rc, config, Scope.QUERY)
    params = parse_params(rc.query, now(), config.ttl_seconds * 1000)
    lines, cursor = await run_query(session_of(rc, config), params)
    return json_text(render_page(lines, cursor))


def _scan(rc: RequestContext, default_window_ms: int) -> Scan:
    query = dict(rc.query)
    moment = now()
    if not query.get("start"):
        query["start"] = str(max(0, moment - default_window_ms))
    start, end = time_range(query, moment, default_window_ms)
    return Scan(start, end)


async def errors(rc: RequestContext):
    config = config_of(rc)
    authorize(rc, config, Scope.QUERY)
    text = rc.query.get("limit") or str(DEFAULT_ERROR_GROUPS)
    if not text.isdigit() or not 1 <= int(text) <= MAX_ERROR_GROUPS_SHOWN:
        raise HTTPError(
            400,
            f"limit must be a whole number from 1 to {MAX_ERROR_GROUPS_SHOWN}",
            code="invalid_parameter",
            param="limit",
        )
    report = await error_groups(session_of(rc, config), _scan(rc, ERRORS_DEFAULT_WINDOW_MS), int(text))
    return json_response(report)


async def summary(rc: RequestContext):
    config = config_of(rc)
    authorize(rc, config, Scope.QUERY)
    group_by = rc.query.get("group_by") or "provider"
    report = await request_summary(session_of(rc, config), _scan(rc, SUMMARY_DEFAULT_WINDOW_MS), group_by)
    return json_response(report)


ROUTES = (
    ("GET", "/api/telemetry/query", query),
    ("GET", "/api/telemetry/errors", errors),
    ("GET", "/api/telemetry/metrics/summary", summary),
)
