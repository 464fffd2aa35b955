"""The compact RPC text between RateLimitClient and the RateLimiter: what goes in comes out."""

from __future__ import annotations

import pytest

from flarekit.errors import ConfigurationError
from flarekit.ratelimit import Decision, evaluate, per_day, per_minute
from flarekit.ratelimit.wire import decode_request, encode_request, encode_result, parse_spec

LIMITS = (
    per_minute("requests_per_minute", 60),
    per_minute("tokens_per_minute", 10_000, "tokens", "token_bucket", burst=20_000),
    per_day("tokens_per_day", 1_000_000),
)


def test_a_request_carries_the_operation_the_limits_and_each_limits_amount_exactly():
    op, limits, cost = decode_request(encode_request("charge", LIMITS, {"requests": 1, "tokens": 812.125}))
    assert op == "charge" and limits == LIMITS
    assert cost == {"requests": 1, "tokens": 812.125}


def test_a_unit_the_cost_does_not_name_takes_nothing_and_a_peek_takes_no_cost_at_all():
    assert decode_request(encode_request("hit", LIMITS, {"requests": 1}))[2] == {"requests": 1, "tokens": 0}
    assert decode_request(encode_request("peek", LIMITS, None))[2] is None


def test_a_refund_and_a_tiny_fraction_survive_the_trip():
    cost = decode_request(encode_request("charge", LIMITS, {"tokens": -0.1 + 1e-12}))[2]
    assert cost["tokens"] == -0.1 + 1e-12


def test_the_result_text_rebuilds_the_same_decision_as_the_dict_form():
    states: dict = {}
    for _ in range(3):
        result = evaluate(LIMITS, states, {"requests": 1, "tokens": 9000}, 1_790_000_000_000)
        states.update(result.states)
    assert not result.allowed
    assert Decision.from_text(encode_result(result), LIMITS) == Decision.from_wire(result.to_wire(), LIMITS)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hit",
        "take 1 []",
        "hit 1,2 []",
        "hit x []",
        "hit 1 {not json",
        'hit 1 [["a", -1, 60, "requests", "fixed_window", null]]',
    ],
)
def test_a_malformed_request_is_refused_with_a_configuration_error(text):
    with pytest.raises(ConfigurationError):
        decode_request(text)


def test_a_spec_is_parsed_once_per_distinct_text():
    spec = encode_request("peek", LIMITS, None).split(" ", 2)[2]
    assert parse_spec(spec) is parse_spec(spec)
