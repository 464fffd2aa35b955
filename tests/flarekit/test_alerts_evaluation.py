"""Which rules fire, from per-minute figures, circuit states and budget positions."""

from __future__ import annotations

import json

from flarekit.alerts.evaluation import evaluate, last_minutes, snapshot_from
from flarekit.alerts.rules import parse_alert_config
from flarekit.metrics.buckets import BUCKET_COUNT, bucket_index

MINUTE = 1_790_000_040  # start of the minute in progress


def minute(ago, requests=0, errors=0, latency_ms=50.0, rejected=0, worker="ai-proxy"):
    """A row of RollupStore.minutes_by_worker for the minute `ago` minutes before the current one."""
    row = {f"d{i}": 0 for i in range(BUCKET_COUNT)}
    row[f"d{bucket_index(latency_ms)}"] = requests
    row.update(start=MINUTE - ago * 60, worker=worker, requests=requests, errors=errors, events_bad=rejected)
    return row


def config(*rules):
    return parse_alert_config(json.dumps({"rules": list(rules)}))


def fired(cfg, minutes=(), circuits=(), budgets=()):
    return [(f.rule.name, f.subject) for f in evaluate(cfg, snapshot_from(MINUTE, minutes, circuits, budgets))]


ERRORS = {"name": "errors", "kind": "error_rate", "threshold": 0.1, "for_minutes": 3, "min_requests": 5}


def test_error_rate_fires_only_when_every_minute_of_the_period_breaches():
    breaching = [minute(ago, requests=10, errors=5) for ago in (1, 2, 3)]
    assert fired(config(ERRORS), breaching) == [("errors", "")]
    one_good = [*breaching[:2], minute(3, requests=10, errors=0)]
    assert fired(config(ERRORS), one_good) == []


def test_the_minute_in_progress_is_not_judged():
    rows = [minute(ago, requests=10, errors=5) for ago in (0, 1, 2)]
    assert fired(config(ERRORS), rows) == []


def test_quiet_minutes_do_not_breach():
    rows = [minute(ago, requests=2, errors=2) for ago in (1, 2, 3)]
    assert fired(config(ERRORS), rows) == []


def test_a_rule_for_one_worker_ignores_the_others():
    rows = [minute(ago, requests=10, errors=10, worker="telegram-bot") for ago in (1, 2, 3)]
    assert fired(config({**ERRORS, "worker": "ai-proxy"}), rows) == []
    assert fired(config(ERRORS), rows) == [("errors", "")]


def test_workers_are_summed_when_no_worker_is_named():
    rows = [minute(ago, requests=10, errors=1, worker=w) for ago in (1, 2, 3) for w in ("a", "b")]
    assert last_minutes(snapshot_from(MINUTE, rows, (), ()), 3, None)[0].requests == 20


def test_p95_latency_fires_when_slow_for_the_whole_period():
    slow = {"name": "slow", "kind": "latency_p95", "threshold_ms": 2000, "for_minutes": 2}
    assert fired(config(slow), [minute(ago, requests=5, latency_ms=4000) for ago in (1, 2)]) == [("slow", "")]
    assert fired(config(slow), [minute(1, requests=5, latency_ms=4000), minute(2, requests=5, latency_ms=20)]) == []


def test_an_open_circuit_fires_per_provider():
    circuits = [
        {"provider": "openai", "state": "open"},
        {"provider": "anthropic", "state": "closed"},
        {"provider": "groq", "state": "half_open"},
    ]
    assert fired(config({"name": "down", "kind": "circuit_open"}), circuits=circuits) == [("down", "openai")]


def test_budget_rules_fire_per_key_and_period_at_their_threshold():
    budgets = [
        {"key_name": "a", "period": "day", "spent_micro": 8_000_000, "limit_micro": 10_000_000},
        {"key_name": "b", "period": "month", "spent_micro": 10_500_000, "limit_micro": 10_000_000},
        {"key_name": "c", "period": "day", "spent_micro": 1, "limit_micro": 10_000_000},
    ]
    cfg = config(
        {"name": "80", "kind": "budget", "threshold": 0.8}, {"name": "100", "kind": "budget", "threshold": 1.0}
    )
    assert fired(cfg, budgets=budgets) == [("80", "a/day"), ("80", "b/month"), ("100", "b/month")]


def test_ingest_rejections_fire_on_their_sum_over_the_period():
    rule = {"name": "rejections", "kind": "ingest_rejections", "threshold": 50, "for_minutes": 5}
    assert fired(config(rule), [minute(ago, rejected=20) for ago in (1, 2, 3)]) == [("rejections", "")]
    assert fired(config(rule), [minute(ago, rejected=10) for ago in (1, 2, 3)]) == []
