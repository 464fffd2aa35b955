"""The /api/stats document: windows, rates, error rates, quantiles and breakdowns from rollup rows."""

from __future__ import annotations

import pytest

from flarekit.errors import HTTPError
from flarekit.metrics.buckets import BUCKET_COUNT, bucket_index
from flarekit.metrics.rollup_store import DIM_COLUMNS, VALUE_COLUMNS
from flarekit.metrics.stats import WINDOWS, build_stats, parse_window

NOW = 1_790_000_030.0  # 30 s into a minute


def row(**values):
    """A rollup row as the store returns it: every dimension and every value column."""
    out = dict.fromkeys(DIM_COLUMNS, "")
    out.update(dict.fromkeys(VALUE_COLUMNS, 0))
    out.update(worker="ai-proxy", route="/v1/chat/completions", method="POST", status=200, outcome="ok")
    out.update(values)
    return out


def _observe(durations_ms, **labels):
    values = {f"d{i}": 0 for i in range(BUCKET_COUNT)}
    for duration in durations_ms:
        values[f"d{bucket_index(duration)}"] += 1
    return row(requests=len(durations_ms), dur_sum=float(sum(durations_ms)), **values, **labels)


def test_windows_cover_whole_buckets_ending_with_the_current_one():
    window = WINDOWS["15m"]
    since = window.since(NOW)
    assert since % 60 == 0
    assert (NOW - since) // 60 == 14  # 14 full minutes plus the current partial one
    assert WINDOWS["7d"].since(NOW) % 3600 == 0


@pytest.mark.parametrize("name", ["15m", "1h", "24h", "7d"])
def test_every_documented_window_is_accepted(name):
    assert parse_window(name).name == name


def test_an_unknown_window_is_a_400_listing_the_valid_ones():
    with pytest.raises(HTTPError) as error:
        parse_window("2w")
    assert error.value.status == 400
    assert "15m, 1h, 24h, 7d" in error.value.message


def test_totals_rates_and_quantiles_come_from_the_rows():
    rows = [
        _observe([20] * 95, model="m1", key_name="a", cache="miss", cost_micro=2_000_000, in_tok=100),
        _observe([3000] * 5, model="m2", key_name="b", status=502, outcome="error", errors=5),
    ]
    stats = build_stats(WINDOWS["15m"], NOW, rows, [])
    assert stats["requests"] == 100
    assert stats["errors"] == 5
    assert stats["error_rate"] == 0.05
    assert stats["latency_ms"]["p50"] <= 25
    assert stats["latency_ms"]["p99"] > 2500
    assert stats["cost_usd"] == 2.0
    assert [m["model"] for m in stats["by_model"]] == ["m1", "m2"]
    assert stats["by_key"][0] | {"key": "a", "requests": 95, "input_tokens": 100} == stats["by_key"][0]


def test_cache_hit_rate_ignores_bypasses():
    rows = [row(requests=3, cache="hit"), row(requests=1, cache="miss"), row(requests=6, cache="bypass")]
    assert build_stats(WINDOWS["1h"], NOW, rows, [])["cache"] == {"hit": 3, "miss": 1, "bypass": 6, "hit_rate": 0.75}


def test_rejections_are_reported_by_reason():
    rows = [row(requests=2, status=429, outcome="rate_limited"), row(requests=1, status=429, outcome="budget_exceeded")]
    assert build_stats(WINDOWS["1h"], NOW, rows, [])["rejections"] == {"rate_limited": 2, "budget_exceeded": 1}


def test_the_timeline_has_a_point_per_step_with_gaps_filled():
    window = WINDOWS["15m"]
    since = window.since(NOW)
    steps = [{**_observe([10, 10]), "t": since + 120, "cache_hit": 1, "cache_miss": 1}]
    timeline = build_stats(window, NOW, [], steps)["timeline"]
    assert len(timeline) == 15
    assert [p["requests"] for p in timeline[:4]] == [0, 0, 2, 0]
    assert timeline[2]["p50"] == pytest.approx(7.5)
    assert timeline[2]["cache_hit_rate"] == 0.5


def test_providers_combine_attempts_with_the_last_circuit_state():
    upstream = [
        {"provider": "openai", "outcome": "ok", "attempts": 8, "dur_sum": 800.0},
        {"provider": "openai", "outcome": "error", "attempts": 2, "dur_sum": 100.0},
    ]
    circuits = [
        {"provider": "openai", "state": "closed", "changed_ms": 1, "updated_ms": 2},
        {"provider": "anthropic", "state": "open", "changed_ms": 3, "updated_ms": 4},
    ]
    providers = build_stats(WINDOWS["1h"], NOW, [], [], upstream, circuits)["providers"]
    assert providers == [
        {"provider": "anthropic", "attempts": 0, "failures": 0, "circuit": "open", "circuit_since": 3,
         "success_rate": None, "avg_ms": None},
        {"provider": "openai", "attempts": 10, "failures": 2, "circuit": "closed", "circuit_since": 1,
         "success_rate": 0.8, "avg_ms": 90.0},
    ]  # fmt: skip


def test_budgets_report_the_fraction_used():
    budgets = [{"key_name": "a", "period": "day", "spent_micro": 9_000_000, "limit_micro": 10_000_000, "updated_ms": 5}]
    (budget,) = build_stats(WINDOWS["1h"], NOW, [], [], budgets=budgets)["budgets"]
    assert budget == {"key": "a", "period": "day", "spent_usd": 9.0, "limit_usd": 10.0, "used": 0.9, "updated_ms": 5}


def test_slow_requests_keep_their_trace_id():
    slow = [{"ts": 1, "dur": 4000.0, "worker": "ai-proxy", "route": "/r", "method": "POST", "status": 200,
             "model": "m", "provider": "p", "key_name": "k", "trace_id": "ab" * 16}]  # fmt: skip
    (entry,) = build_stats(WINDOWS["1h"], NOW, [], [], slow=slow)["slow_requests"]
    assert entry["trace_id"] == "ab" * 16
    assert entry["duration_ms"] == 4000.0
    assert bucket_index(entry["duration_ms"]) == 9
