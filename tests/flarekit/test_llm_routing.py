"""Routing strategies order deployments; circuit breakers open, cool down and probe; prices cost."""

from __future__ import annotations

import pytest

from flarekit.errors import ConfigurationError
from flarekit.llm.circuit_breaker import CLOSED, HALF_OPEN, OPEN, BreakerPolicy, CircuitBreaker, HealthBoard
from flarekit.llm.deployments import Deployment, ProviderSpec
from flarekit.llm.prices import Price, cost_usd, default_price, parse_price
from flarekit.llm.routing import STRATEGIES, strategy
from flarekit.llm.tokens import Usage

P = ProviderSpec("p", "openai")


def _deployments():
    return [
        Deployment("m", P, "a", weight=1, price=Price(1.0, 4.0)),
        Deployment("m", P, "b", weight=3, price=Price(0.1, 0.4)),
        Deployment("m", P, "c", weight=0, price=Price(0.5, 0.5)),
    ]


def test_priority_keeps_the_configured_order():
    assert [d.model for d in STRATEGIES["priority"](_deployments(), {}, lambda: 0.5)] == ["a", "b", "c"]


def test_cheapest_goes_by_price():
    assert [d.model for d in STRATEGIES["cheapest"](_deployments(), {}, lambda: 0.5)] == ["b", "c", "a"]


def test_least_latency_measures_unknown_deployments_first_then_prefers_the_fastest():
    latency = {"p/a": 120.0, "p/b": 30.0, "p/c": 0.0}
    assert [d.model for d in STRATEGIES["least-latency"](_deployments(), latency, lambda: 0.5)] == ["c", "b", "a"]


def test_weighted_splits_first_picks_by_weight_and_never_prefers_weight_zero():
    draws = [i / 1000 for i in range(1000)]
    firsts = [STRATEGIES["weighted"](_deployments(), {}, lambda d=d: d)[0].model for d in draws]
    assert firsts.count("b") == 750 and firsts.count("a") == 250
    assert all(order[-1].model == "c" for order in [STRATEGIES["weighted"](_deployments(), {}, lambda: 0.9)])


def test_an_unknown_strategy_names_itself():
    with pytest.raises(ConfigurationError, match="'fastest'"):
        strategy("fastest")


def test_a_breaker_opens_after_consecutive_failures_and_probes_once_after_cooldown():
    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=2, cooldown=10))
    breaker.record_failure(100.0)
    assert breaker.state == CLOSED and breaker.allow(100.0)
    breaker.record_failure(101.0)
    assert breaker.state == OPEN and not breaker.allow(105.0)
    assert breaker.allow(111.5) and breaker.state == HALF_OPEN
    assert not breaker.allow(111.6)  # one probe at a time
    breaker.record_failure(112.0)
    assert breaker.state == OPEN and not breaker.allow(115.0)
    assert breaker.allow(122.0)
    breaker.record_success()
    assert breaker.state == CLOSED and breaker.allow(122.1)


def test_a_429_opens_the_breaker_for_its_retry_after():
    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=5, cooldown=30))
    breaker.record_failure(0.0, retry_after=2.0)
    assert breaker.state == OPEN and not breaker.allow(1.9) and breaker.allow(2.0)


def test_the_health_board_averages_latency_and_exports_breaker_state():
    board = HealthBoard(["x"], BreakerPolicy(), lambda: 0.0)
    board.observe_latency("x", 100.0)
    board.observe_latency("x", 200.0)
    assert board.snapshot()["x"] == {"state": "closed", "failures": 0, "retry_at": None, "latency_ms": 130.0}


def test_cost_counts_cached_input_at_the_cached_rate():
    price = Price(2.5, 10.0, 1.25)
    assert cost_usd(price, Usage(1_000_000, 100_000, cached_tokens=400_000)) == pytest.approx(1.5 + 0.5 + 1.0)
    assert cost_usd(Price(1.0, 2.0), Usage(1000, 1000, cached_tokens=500)) == pytest.approx(0.003)


def test_dated_model_names_find_their_default_price_and_unknown_ones_are_free():
    assert default_price("gpt-4o-mini-2024-07-18") == default_price("gpt-4o-mini")
    assert default_price("my-local-model").blended == 0


def test_a_bad_price_names_the_field():
    with pytest.raises(ConfigurationError, match=r"models\.m\[0\]\.price\.input_per_mtok"):
        parse_price({"input_per_mtok": "cheap"}, "models.m[0].price")
