"""Error groups and the request summary, computed from what was ingested (AI proxy records and spans)."""

from __future__ import annotations

import pytest
from telemetry_support import NOW_MS


def ai_request(
    n: int, *, provider="openai", model="gpt-4o", route="/v1/chat/completions", status=200, latency=100, **extra
):
    data = {
        "time": NOW_MS - n,
        "key_name": "team-a",
        "route": route,
        "model_alias": model,
        "provider": provider,
        "deployment": f"{provider}-east",
        "status": status,
        "latency_ms": latency,
        "ttfb_ms": latency / 4,
        "input_tokens": 10,
        "output_tokens": 20,
        "cost_usd": 0.001,
        "cache": "hit" if n % 2 else "miss",
        "retries": 0,
        "error_type": None,
        **extra,
    }
    return {"event_type": "ai.request", "timestamp": NOW_MS - 1000 + n, "id": f"req-{n}", "data": data}


async def test_errors_are_grouped_by_type_and_message_with_numbers_and_ids_masked(api, flaresim):
    events = [
        ai_request(
            1, status=502, error_type="upstream_error", error_message="upstream 502 after 1200 ms (req_8fk2j3l9)"
        ),
        ai_request(2, status=502, error_type="upstream_error", error_message="upstream 502 after 87 ms (req_77ab12cd)"),
        ai_request(3, status=429, error_type="rate_limited", error_message="key team-a over 60 requests/min"),
        {"event_type": "app.error", "data": {"type": "KeyError", "message": "user 4bf92f3577b34da6 missing"}},
        {"event_type": "app.error", "data": {"type": "KeyError", "message": "user 00f067aa0ba902b7 missing"}},
        {"event_type": "page.view", "data": {"message": "not an error"}},
        ai_request(4),  # a success is no error
    ]
    await api.post_json("/api/telemetry/batch", {"events": events})
    await flaresim.advance(10)
    status, report = await api.get_json("/api/telemetry/errors")
    assert status == 200 and report["truncated"] is False
    groups = [(g["type"], g["message"], g["count"]) for g in report["groups"]]
    # Most frequent first; at equal counts, the most recently seen first.
    assert groups == [
        ("KeyError", "user <id> missing", 2),
        ("upstream_error", "upstream <n> after <n> ms (<id>)", 2),
        ("rate_limited", "key team-a over <n> requests/min", 1),
    ]
    upstream = next(g for g in report["groups"] if g["type"] == "upstream_error")
    assert (upstream["first_seen"], upstream["last_seen"]) == (NOW_MS - 999, NOW_MS - 998)
    assert upstream["sample"]["id"] == "req-2"  # the latest occurrence
    assert len(upstream["fingerprint"]) == 16


async def test_error_spans_and_error_logs_are_grouped_too(api):
    span = {
        "event_type": "otel.span",
        "data": {
            "name": "charge",
            "kind": 3,
            "status": {"code": 2, "message": "card 4242 declined"},
            "events": [{"name": "exception", "attributes": {"exception.type": "CardError"}}],
        },
    }
    log = {"event_type": "otel.log", "data": {"severity_number": 17, "body": "disk 93% full", "attributes": {}}}
    info = {"event_type": "otel.log", "data": {"severity_number": 9, "body": "all good"}}
    await api.post_json("/api/telemetry/ingest", [span, log, info])
    _, report = await api.get_json("/api/telemetry/errors")
    assert sorted((g["type"], g["message"]) for g in report["groups"]) == [
        ("CardError", "card <n> declined"),
        ("log", "disk <n>% full"),
    ]


async def test_the_summary_gives_counts_error_rate_and_latency_percentiles_by_provider(api):
    events = [ai_request(i, provider="openai", latency=i + 1) for i in range(100)]
    events += [ai_request(100 + i, provider="anthropic", latency=1000, status=500 if i < 5 else 200) for i in range(20)]
    await api.post_json("/api/telemetry/batch", {"events": events})
    status, summary = await api.get_json("/api/telemetry/metrics/summary", {"group_by": "provider"})
    assert status == 200
    assert (summary["requests"], summary["errors"]) == (120, 5)
    by_key = {g["key"]: g for g in summary["groups"]}
    openai = by_key["openai"]
    assert (openai["requests"], openai["errors"], openai["error_rate"]) == (100, 0, 0.0)
    assert openai["latency_ms"] == {"p50": 50, "p95": 95, "p99": 99}  # nearest rank over 1..100
    assert openai["ttfb_ms"]["p50"] == 12.5
    assert (openai["input_tokens"], openai["output_tokens"], openai["cache_hits"]) == (1000, 2000, 50)
    anthropic = by_key["anthropic"]
    assert (anthropic["requests"], anthropic["errors"], anthropic["error_rate"]) == (20, 5, 0.25)
    assert anthropic["latency_ms"] == {"p50": 1000, "p95": 1000, "p99": 1000}


@pytest.mark.parametrize(
    ("group_by", "keys"), [("model", {"gpt-4o", "llama"}), ("route", {"/v1/chat/completions", "/v1/embeddings"})]
)
async def test_the_summary_groups_by_model_or_route(api, group_by, keys):
    events = [ai_request(1), ai_request(2, model="llama", route="/v1/embeddings")]
    await api.post_json("/api/telemetry/ingest", events)
    _, summary = await api.get_json("/api/telemetry/metrics/summary", {"group_by": group_by})
    assert {g["key"] for g in summary["groups"]} == keys


async def test_server_and_genai_spans_count_as_requests_but_internal_spans_do_not(api):
    def span(name, kind, duration, **attributes):
        return {
            "event_type": "otel.span",
            "data": {
                "name": name,
                "kind": kind,
                "duration_ms": duration,
                "status": {"code": 0},
                "attributes": attributes,
                "resource": {"service.name": "ai-proxy"},
            },
        }

    spans = [
        span("POST /v1/chat/completions", 2, 120.0, **{"http.route": "/v1/chat/completions"}),
        span("chat gpt-4o", 3, 100.0, **{"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o"}),
        span("cache lookup", 1, 1.0),
    ]
    await api.post_json("/api/telemetry/ingest", spans)
    _, summary = await api.get_json("/api/telemetry/metrics/summary", {"group_by": "provider"})
    assert summary["requests"] == 2
    assert {g["key"]: g["latency_ms"]["p50"] for g in summary["groups"]} == {"ai-proxy": 120.0, "openai": 100.0}


async def test_an_event_stored_twice_counts_once(api, flaresim):
    await api.post_json("/api/telemetry/ingest", [ai_request(1, status=500, error_type="x")])
    await flaresim.advance(5)
    await api.post_json("/api/telemetry/ingest", [ai_request(1, status=500, error_type="x")])
    _, summary = await api.get_json("/api/telemetry/metrics/summary")
    _, errors = await api.get_json("/api/telemetry/errors")
    assert summary["requests"] == 1 and errors["groups"][0]["count"] == 1


async def test_reports_respect_the_time_range_and_refuse_an_unknown_grouping(api):
    await api.post_json("/api/telemetry/ingest", [ai_request(1)])
    _, summary = await api.get_json("/api/telemetry/metrics/summary", {"start": NOW_MS - 10, "end": NOW_MS})
    assert summary["requests"] == 0
    status, body = await api.get_json("/api/telemetry/metrics/summary", {"group_by": "colour"})
    assert status == 400 and body["error"]["param"] == "group_by"
