"""Several limits checked at once (all or nothing), the per-isolate fallback, and decisions/headers."""

from __future__ import annotations

import pytest

from flarekit.errors import ConfigurationError
from flarekit.ratelimit import (
    DEGRADED,
    FAIL_CLOSED,
    Decision,
    Limit,
    LocalLimiter,
    evaluate,
    format_duration,
    parse_limits,
    per_day,
    per_minute,
    ratelimit_headers,
)

T0 = 1_790_000_020_000
LIMITS = (
    per_minute("requests_per_minute", 3),
    per_minute("tokens_per_minute", 1000, "tokens", "token_bucket"),
)


class Clock:
    def __init__(self, start: float = T0 / 1000) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_a_refused_call_takes_nothing_from_the_limits_that_would_have_allowed_it():
    states = {}
    first = evaluate(LIMITS, states, {"requests": 1, "tokens": 900}, T0)
    states.update(first.states)
    refused = evaluate(LIMITS, states, {"requests": 1, "tokens": 200}, T0)
    assert not refused.allowed and refused.rejected == ("tokens_per_minute",)
    assert refused.states == {}
    requests = refused.statuses[0]
    assert requests.remaining == 2 and requests.retry_after is None
    # The requests limit was not charged, so two small calls still fit.
    for _ in range(2):
        ok = evaluate(LIMITS, states, {"requests": 1, "tokens": 10}, T0)
        assert ok.allowed
        states.update(ok.states)
    assert not evaluate(LIMITS, states, {"requests": 1, "tokens": 0}, T0).allowed


def test_retry_after_is_the_longest_wait_among_refusing_limits():
    states = {}
    states.update(evaluate(LIMITS, states, {"requests": 3, "tokens": 1000}, T0).states)
    refused = evaluate(LIMITS, states, {"requests": 1, "tokens": 500}, T0)
    assert set(refused.rejected) == {"requests_per_minute", "tokens_per_minute"}
    assert refused.retry_after == max(s.retry_after for s in refused.statuses)


def test_units_missing_from_the_cost_cost_nothing():
    states = {}
    for _ in range(10):
        result = evaluate(LIMITS, states, {"tokens": 10}, T0)
        assert result.allowed
        states.update(result.states)
    assert result.statuses[0].remaining == 3


def test_charging_after_the_fact_ignores_the_limit():
    states = {}
    result = evaluate(LIMITS, states, {"tokens": 5000}, T0, True)
    assert result.allowed and result.statuses[1].remaining == 0


def test_the_wire_form_round_trips_and_rejects_bad_specs():
    limits = parse_limits([LIMITS[0].to_wire(), LIMITS[1].to_row(), per_day("tokens_per_day", 50_000).to_wire()])
    assert limits[:2] == LIMITS
    assert limits[2].algorithm == "fixed_window" and limits[2].window == 86_400
    with pytest.raises(ConfigurationError, match="duplicate"):
        parse_limits([LIMITS[0], LIMITS[0]])
    with pytest.raises(ConfigurationError, match="window"):
        Limit.from_wire({"name": "x", "limit": 1, "window": 0})
    with pytest.raises(ConfigurationError, match="unknown field"):
        Limit.from_wire({"name": "x", "limit": 1, "per": "minute"})
    with pytest.raises(ConfigurationError, match="expected"):
        Limit.from_wire(["x", 1, 60])


def test_local_limiter_enforces_limits_per_subject_in_memory():
    clock = Clock()
    local = LocalLimiter(clock=clock)
    assert [local.hit("key:a", LIMITS, {"requests": 1}).allowed for _ in range(4)] == [True, True, True, False]
    assert local.hit("key:b", LIMITS, {"requests": 1}).allowed  # another subject is unaffected
    assert local.rejections == 1
    clock.now += 120
    assert local.hit("key:a", LIMITS, {"requests": 1}).allowed


def test_local_limiter_is_bounded_and_counts_evictions_oldest_first():
    local = LocalLimiter(max_subjects=2, clock=Clock())
    local.hit("a", LIMITS, {"requests": 3})
    local.hit("b", LIMITS, {"requests": 3})
    local.hit("a", LIMITS, {"requests": 0})  # "a" is now the most recently used
    local.hit("c", LIMITS, {"requests": 3})
    assert len(local) == 2 and local.evictions == 1
    assert not local.hit("a", LIMITS, {"requests": 1}).allowed  # "a" kept its state
    assert local.hit("b", LIMITS, {"requests": 1}).allowed  # "b" was evicted and starts afresh


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (0.012, "12ms"), (1, "1s"), (1.5, "1.5s"), (17.28, "17.28s"), (360, "6m0s"), (3725.5, "1h2m5.5s")],
)
def test_reset_durations_are_formatted_like_openai(seconds, text):
    assert format_duration(seconds) == text


def test_headers_report_the_tightest_limit_of_each_unit_and_retry_after_in_whole_seconds():
    statuses = evaluate((*LIMITS, per_day("tokens_per_day", 950)), {}, {"requests": 1, "tokens": 900}, T0).statuses
    headers = ratelimit_headers(statuses, 2.1)
    assert headers == {
        "x-ratelimit-limit-requests": "3",
        "x-ratelimit-remaining-requests": "2",
        "x-ratelimit-reset-requests": "1m20s",
        "x-ratelimit-limit-tokens": "950",  # 50 left today is tighter than 100 left this minute
        "x-ratelimit-remaining-tokens": "50",
        "x-ratelimit-reset-tokens": headers["x-ratelimit-reset-tokens"],
        "retry-after": "3",
    }
    assert headers["x-ratelimit-reset-tokens"].endswith("s") and "h" in headers["x-ratelimit-reset-tokens"]


def test_a_refusal_becomes_a_429_with_headers_and_a_fail_closed_one_a_503():
    states = {}
    states.update(evaluate(LIMITS, states, {"requests": 3}, T0).states)
    refused = Decision.from_evaluation(evaluate(LIMITS, states, {"requests": 1}, T0), "exact", None)
    error = refused.http_error()
    assert error.status == 429 and error.code == "rate_limit_exceeded"
    assert error.headers["retry-after"] == "40" and error.headers["x-ratelimit-remaining-requests"] == "0"
    assert "x-flarekit-ratelimit-mode" not in error.headers
    closed = Decision(False, (), 1.0, (), FAIL_CLOSED, "OSError: down")
    assert closed.http_error().status == 503 and closed.headers["x-flarekit-ratelimit-mode"] == FAIL_CLOSED
    degraded = Decision.from_evaluation(evaluate(LIMITS, {}, {"requests": 1}, T0), DEGRADED, "OSError: down")
    assert degraded.allowed and degraded.degraded and degraded.headers["x-flarekit-ratelimit-mode"] == DEGRADED


def test_a_request_larger_than_a_limit_says_so_and_names_the_tokens():
    decision = Decision.from_evaluation(evaluate(LIMITS, {}, {"requests": 1, "tokens": 5000}, T0), "exact", None)
    error = decision.http_error()
    assert "too large" in error.message and error.type == "tokens"


def test_the_compact_rpc_result_rebuilds_the_same_decision():
    states = {}
    states.update(evaluate(LIMITS, states, {"requests": 3}, T0).states)
    for cost in ({"requests": 1}, {"tokens": 10}, {"tokens": 5000}):
        result = evaluate(LIMITS, states, cost, T0)
        assert Decision.from_wire(result.to_wire(), LIMITS) == Decision.from_evaluation(result, "exact", None)
