"""The aggregator's SQL store on SQLite: exact totals, window rollups, pruning, bounded slow list."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlite_sql import SqliteSql

from flarekit.metrics import prometheus
from flarekit.metrics.record import parse_record, request_record
from flarekit.metrics.rollup_store import HOUR_RETENTION_S, MINUTE_RETENTION_S, SLOW_PER_MINUTE, RollupStore
from flarekit.metrics.stats import WINDOWS, build_stats

T0 = 1_790_000_000  # seconds


def record(ts_s=T0, **fields):
    values = {"worker": "ai-proxy", "route": "/v1/chat/completions", "method": "POST", "status": 200}
    values.update({"duration_ms": 50.0, "model": "gpt-4o", "provider": "openai", "key": "team-a", "cache": "miss"})
    values.update(fields)
    return parse_record(request_record(ts_ms=int(ts_s * 1000), **values))


@pytest.fixture
def sql():
    return SqliteSql()


@pytest.fixture
def store(sql):
    return RollupStore(sql)


def _stats(store, window, now):
    w = WINDOWS[window]
    since = w.since(now)
    return build_stats(
        w,
        now,
        store.window(w.res, since),
        store.timeline(w.res, since, w.step),
        store.upstream(w.res, since),
        store.circuits(),
        store.budgets(),
        store.slow_requests(since, 20),
    )


def test_applying_a_record_is_a_constant_number_of_statements(store, sql):
    store.apply(record())  # the first record of a minute also reads the slow list once
    before = sql.statements
    store.apply(record(attempts=[["openai", "ok", 40.0]], circuits={"openai": "closed"}, duration_ms=1.0))
    assert sql.statements - before <= 4  # rollups, one attempt, one circuit, (slow list kept in memory)


def test_every_statement_stays_under_the_durable_object_parameter_limit(store):
    store.apply(record(ttfb_ms=5, attempts=[["openai", "ok", 4.0]] * 8, budget={"spent_usd": 1, "limit_usd": 2}))


def test_totals_count_every_record_exactly(store):
    for i in range(250):
        store.apply(record(ts_s=T0 + i * 7, status=200 if i % 10 else 503, input_tokens=3, cost_usd=0.001))
    text = prometheus.render(store.totals())
    families = {f.name: f for f in text_string_to_metric_families(text)}
    requests = sum(s.value for s in families["flarekit_requests"].samples)
    errors = sum(s.value for s in families["flarekit_request_errors"].samples)
    tokens = sum(s.value for s in families["flarekit_input_tokens"].samples)
    cost = sum(s.value for s in families["flarekit_cost_usd"].samples)
    assert (requests, errors, tokens) == (250, 25, 750)
    assert cost == pytest.approx(0.25)


def test_a_window_only_counts_its_own_buckets(store):
    store.apply(record(ts_s=T0 - 3 * 3600))  # three hours ago
    store.apply(record(ts_s=T0 - 30 * 60))  # half an hour ago
    store.apply(record(ts_s=T0 - 5))
    now = T0 + 1
    assert _stats(store, "15m", now)["requests"] == 1
    assert _stats(store, "1h", now)["requests"] == 2
    assert _stats(store, "24h", now)["requests"] == 3
    assert _stats(store, "7d", now)["requests"] == 3


def test_pruning_drops_old_buckets_but_keeps_totals(store, sql):
    store.apply(record(ts_s=T0))
    store.prune(T0 + MINUTE_RETENTION_S + 120)
    assert sql.exec("SELECT count(*) AS n FROM rollup WHERE res = 'm'").one()["n"] == 0
    assert sql.exec("SELECT count(*) AS n FROM rollup WHERE res = 'h'").one()["n"] == 1
    store.prune(T0 + HOUR_RETENTION_S + 7200)
    assert sql.exec("SELECT count(*) AS n FROM rollup WHERE res = 'h'").one()["n"] == 0
    assert sum(r["requests"] for r in store.totals()) == 1


def test_only_the_slowest_requests_of_each_minute_are_kept(store, sql):
    for i, duration in enumerate([10, 500, 20, 9000, 300, 40]):
        store.apply(record(ts_s=T0 + i, duration_ms=float(duration), trace_id=f"{i:032x}"))
    kept = [row["dur"] for row in store.slow_requests(T0 - 60, 10)]
    assert kept == [9000.0, 500.0, 300.0]
    assert len(kept) == SLOW_PER_MINUTE
    assert sql.exec("SELECT count(*) AS n FROM slow").one()["n"] == SLOW_PER_MINUTE


def test_a_restarted_store_continues_the_slow_list_from_storage(sql):
    RollupStore(sql).apply(record(duration_ms=100.0))
    again = RollupStore(sql)  # a new object instance over the same storage
    for duration in (1.0, 2.0, 3.0, 4.0):
        again.apply(record(duration_ms=duration))
    assert [r["dur"] for r in again.slow_requests(T0 - 60, 10)] == [100.0, 4.0, 3.0]


def test_stats_report_tokens_and_cost_by_model_and_key(store):
    store.apply(record(model="gpt-4o", key="a", input_tokens=10, output_tokens=20, cost_usd=0.5))
    store.apply(record(model="claude", provider="anthropic", key="b", input_tokens=1, output_tokens=2, cost_usd=0.25))
    store.apply(record(model="gpt-4o", key="b", input_tokens=5, output_tokens=5, cost_usd=0.25))
    stats = _stats(store, "15m", T0 + 1)
    models = {m["model"]: (m["input_tokens"], m["output_tokens"], m["cost_usd"]) for m in stats["by_model"]}
    keys = {k["key"]: (k["requests"], k["cost_usd"]) for k in stats["by_key"]}
    assert models == {"gpt-4o": (15, 25, 0.75), "claude": (1, 2, 0.25)}
    assert keys == {"a": (1, 0.5), "b": (2, 0.5)}


def test_provider_health_and_the_latest_circuit_state_are_reported(store):
    store.apply(
        record(ts_s=T0, attempts=[["openai", "error", 30.0], ["anthropic", "ok", 70.0]], circuits={"openai": "open"})
    )
    store.apply(record(ts_s=T0 + 1, attempts=[["anthropic", "ok", 50.0]], circuits={"openai": "open"}))
    providers = {p["provider"]: p for p in _stats(store, "15m", T0 + 2)["providers"]}
    assert providers["openai"]["circuit"] == "open" and providers["openai"]["success_rate"] == 0.0
    assert providers["openai"]["circuit_since"] == T0 * 1000  # unchanged by a repeat of the same state
    assert providers["anthropic"]["attempts"] == 2 and providers["anthropic"]["avg_ms"] == 60.0


def test_a_late_record_does_not_roll_a_circuit_state_back(store):
    store.apply(record(ts_s=T0 + 10, circuits={"openai": "closed"}))
    store.apply(record(ts_s=T0, circuits={"openai": "open"}))
    assert store.circuits()[0]["state"] == "closed"


def test_the_last_budget_position_of_each_key_is_kept(store):
    store.apply(record(ts_s=T0, budget={"spent_usd": 5, "limit_usd": 10}))
    store.apply(record(ts_s=T0 + 1, budget={"spent_usd": 8.5, "limit_usd": 10}))
    (budget,) = _stats(store, "15m", T0 + 2)["budgets"]
    assert (budget["key"], budget["used"]) == ("team-a", 0.85)
