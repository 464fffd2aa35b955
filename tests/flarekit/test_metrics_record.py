"""The request record: built by Workers, validated by the aggregator with errors naming the field."""

from __future__ import annotations

import pytest

from flarekit.metrics.buckets import BUCKET_COUNT, bucket_index
from flarekit.metrics.observation import INERT, Observation, current
from flarekit.metrics.record import RecordError, outcome_of, parse_record, request_record


def _record(**overrides):
    fields = {"ts_ms": 1_790_000_000_000, "worker": "ai-proxy", "route": "/v1/chat/completions", "method": "post"}
    fields.update({"status": 200, "duration_ms": 42.0})
    fields.update(overrides)
    return request_record(**fields)


def test_a_record_leaves_out_what_the_request_did_not_have():
    record = _record()
    assert set(record) == {"v", "ts", "worker", "route", "method", "status", "duration_ms"}


def test_a_parsed_record_carries_its_dimensions_and_bucket():
    parsed = parse_record(_record(model="gpt-4o", provider="openai", key="team-a", cache="miss", ttfb_ms=12))
    assert parsed.dims == ("ai-proxy", "/v1/chat/completions", "POST", 200, "ok", "gpt-4o", "openai", "team-a", "miss")
    assert parsed.duration_bucket == bucket_index(42.0)
    assert parsed.ttfb_bucket == bucket_index(12)


def test_a_record_without_time_to_first_byte_counts_in_no_ttfb_bucket():
    assert parse_record(_record()).ttfb_bucket == BUCKET_COUNT


def test_cost_is_kept_in_whole_micro_dollars_so_sums_stay_exact():
    assert parse_record(_record(cost_usd=0.0001234)).cost_micro == 123


@pytest.mark.parametrize(
    ("status", "error_type", "outcome"),
    [
        (200, "", "ok"),
        (304, "", "ok"),
        (400, "", "client_error"),
        (429, "rate_limit_exceeded", "rate_limited"),
        (429, "budget_exceeded", "budget_exceeded"),
        (502, "", "error"),
    ],
)
def test_outcomes_tell_rejections_from_errors(status, error_type, outcome):
    assert outcome_of(status, error_type) == outcome


def test_only_server_errors_count_as_errors():
    assert parse_record(_record(status=503)).errors == 1
    assert parse_record(_record(status=404)).errors == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", 42, "'status'"),
        ("cache", "maybe", "'cache'"),
        ("duration_ms", -1, "'duration_ms'"),
        ("model", 7, "'model'"),
        ("attempts", [["openai", "ok"]], "'attempts'"),
        ("circuits", {"openai": "broken"}, "'circuits'"),
    ],
)
def test_a_bad_record_is_refused_with_the_field_named(field, value, message):
    record = _record()
    record[field] = value
    with pytest.raises(RecordError, match=message):
        parse_record(record)


def test_a_record_of_another_version_is_refused():
    record = _record()
    record["v"] = 99
    with pytest.raises(RecordError, match="'v'"):
        parse_record(record)


def test_a_budget_defaults_to_the_requests_key():
    parsed = parse_record(_record(key="team-a", budget={"spent_usd": 8.5, "limit_usd": 10}))
    assert parsed.budget is not None
    assert (parsed.budget.key, parsed.budget.spent_micro, parsed.budget.limit_micro) == (
        "team-a",
        8_500_000,
        10_000_000,
    )


def test_attempts_and_circuits_are_bounded():
    parsed = parse_record(_record(attempts=[["p", "error", 1.0]] * 50, circuits={f"p{i}": "open" for i in range(40)}))
    assert len(parsed.attempts) == 8
    assert len(parsed.circuits) == 16


def test_an_observation_becomes_a_record_with_its_duration():
    obs = Observation(worker="ai-proxy", method="POST", started_ms=1_000)
    obs.set(route="/v1/chat/completions", status=200, model="m", input_tokens=3, output_tokens=4, cost_usd=0.5)
    obs.attempt("openai", "error", 30.0)
    obs.attempt("anthropic", "ok", 70.0)
    obs.circuit("openai", "open")
    record = obs.to_record(ended_ms=1_250)
    assert record["duration_ms"] == 250.0
    assert record["attempts"] == [["openai", "error", 30.0], ["anthropic", "ok", 70.0]]
    assert record["circuits"] == {"openai": "open"}
    assert parse_record(record).input_tokens == 3


def test_an_observation_refuses_an_unknown_fact():
    obs = Observation(worker="w", method="GET", started_ms=0)
    with pytest.raises(AttributeError, match="'modle'"):
        obs.set(modle="typo")


def test_outside_a_request_the_current_observation_ignores_everything():
    assert current() is INERT
    current().set(model="x")
    current().attempt("p", "ok", 1.0)
    assert INERT.model == ""
    assert INERT.attempts == []
