"""Failover: the next deployment on a retryable failure, backoff and Retry-After within the deadline,
client errors returned at once, and a clean error when nothing answers."""

from __future__ import annotations

import pytest

from flarekit.llm.circuit_breaker import BreakerPolicy, HealthBoard
from flarekit.llm.deployments import Deployment, ProviderSpec, RetryPolicy
from flarekit.llm.errors import ProviderError, connection_error, status_error, timeout_error
from flarekit.llm.failover import FailoverError, call_with_failover

P = ProviderSpec("p", "openai")
A, B = Deployment("m", P, "a"), Deployment("m", P, "b")


def run(coroutine):
    """Drive a coroutine that never really waits (every fake here returns at once): no event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the coroutine suspended: something real was awaited")


class FakeTime:
    """A timer the fake sleep advances, so backoff is observable without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def timer(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


DEFAULT_POLICY = RetryPolicy()


def _run(script, deployments=(A, B), policy=DEFAULT_POLICY, deadline=30.0, board=None):
    """`script` maps a deployment model to a list of outcomes (an exception to raise, else a value)."""
    time = FakeTime()
    calls: list[str] = []
    board = board or HealthBoard([d.id for d in deployments], BreakerPolicy(failure_threshold=3), time.timer)

    async def call(deployment, left):
        calls.append(deployment.model)
        outcome = script[deployment.model].pop(0)
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome

    def go():
        return run(
            call_with_failover(
                list(deployments),
                call,
                health=board,
                policy=policy,
                deadline=deadline,
                timer=time.timer,
                rng=lambda: 0.5,
                sleep=time.sleep,
            )
        )

    return go, calls, time, board


@pytest.mark.parametrize(
    "failure",
    [status_error(500, "boom"), timeout_error("slow"), connection_error("reset")],
    ids=["500", "timeout", "reset"],
)
def test_a_retryable_failure_fails_over_to_the_next_deployment_at_once(failure):
    go, calls, time, _ = _run({"a": [failure], "b": ["answer"]})
    outcome = go()
    assert outcome.value == "answer" and outcome.deployment is B
    assert calls == ["a", "b"] and time.slept == []
    assert [a.error for a in outcome.attempts] == [failure.kind, None]
    assert outcome.retries == 1


def test_a_client_error_is_returned_without_trying_elsewhere():
    go, calls, _, board = _run(
        {"a": [status_error(400, "prompt too long", code="context_length_exceeded")], "b": ["x"]}
    )
    with pytest.raises(FailoverError) as caught:
        go()
    assert caught.value.status == 400 and caught.value.code == "context_length_exceeded"
    assert calls == ["a"]
    assert board.breaker(A.id).state == "closed"


def test_a_single_deployment_is_retried_after_an_exponential_backoff():
    go, calls, time, _ = _run({"a": [status_error(503, "x"), status_error(503, "y"), "ok"]}, deployments=(A,))
    assert (go()).value == "ok"
    assert calls == ["a", "a", "a"]
    # Equal jitter with rng 0.5: three quarters of 0.1 s, then of 0.2 s.
    assert time.slept == pytest.approx([0.075, 0.15])


def test_a_retry_after_is_honoured_when_it_fits_the_deadline():
    go, _calls, time, board = _run({"a": [status_error(429, "slow down", retry_after=2.0), "ok"]}, deployments=(A,))
    assert (go()).value == "ok"
    assert time.slept == [2.0]
    assert board.breaker(A.id).state == "closed"


def test_a_retry_after_beyond_the_deadline_returns_the_429_at_once():
    go, _calls, time, _ = _run(
        {"a": [status_error(429, "slow down", retry_after=20.0)]}, deployments=(A,), deadline=5.0
    )
    with pytest.raises(FailoverError) as caught:
        go()
    assert caught.value.status == 429 and caught.value.retry_after == 20.0
    assert time.slept == []


def test_when_every_deployment_times_out_the_answer_is_a_504():
    go, _calls, _, _ = _run({"a": [timeout_error("t")] * 3, "b": [timeout_error("t")] * 3})
    with pytest.raises(FailoverError) as caught:
        go()
    assert caught.value.status == 504 and len(caught.value.attempts) == 3


def test_when_every_deployment_fails_the_answer_is_a_502_naming_the_last_error():
    go, _, _, _ = _run({"a": [status_error(500, "a broke")] * 3, "b": [status_error(502, "b broke")] * 3})
    with pytest.raises(FailoverError) as caught:
        go()
    assert caught.value.status == 502 and "a broke" in caught.value.message  # the last attempt was a


def test_open_breakers_are_skipped_and_all_open_is_a_503():
    go, calls, _time, board = _run({"a": [], "b": []})
    for deployment in (A, B):
        board.breaker(deployment.id).record_failure(0.0, retry_after=60.0)
    with pytest.raises(FailoverError) as caught:
        go()
    assert caught.value.status == 503 and calls == []
    assert caught.value.retry_after == 60.0


def test_the_deadline_stops_retries():
    go, calls, time, _ = _run(
        {"a": [status_error(500, "x")] * 3},
        deployments=(A,),
        policy=RetryPolicy(max_attempts=3, base_delay=1.0),
        deadline=0.5,
    )
    with pytest.raises(FailoverError):
        go()
    assert calls == ["a"] and time.slept == []
