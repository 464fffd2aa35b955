"""The three rate-limit algorithms, step by step with an explicit clock (milliseconds)."""

from __future__ import annotations

import pytest

from flarekit.errors import ConfigurationError
from flarekit.ratelimit import Limit, fixed_window, sliding_window, token_bucket
from flarekit.ratelimit.strategies import strategy

T0 = 1_790_000_020_000  # 40 s into an aligned minute
MINUTE_START = T0 - 40_000


def run(step, limit, times_and_amounts):
    """Apply (now_ms, amount) calls in order, keeping state only when allowed; return the steps."""
    state = None
    results = []
    for now_ms, amount in times_and_amounts:
        result = step(limit, state, amount, now_ms)
        if result.allowed:
            state = result.state
        results.append(result)
    return results


@pytest.mark.parametrize("step", [token_bucket.step, sliding_window.step, fixed_window.step])
def test_exactly_the_limit_passes_at_one_instant(step):
    limit = Limit("rpm", 5, 60, algorithm=step.__module__.rsplit(".", 1)[1])
    results = run(step, limit, [(T0, 1)] * 8)
    assert [r.allowed for r in results] == [True] * 5 + [False] * 3
    assert [r.status.remaining for r in results[:5]] == [4, 3, 2, 1, 0]
    assert all(r.status.retry_after > 0 for r in results[5:])


def test_token_bucket_refills_evenly_and_caps_at_burst():
    limit = Limit("tpm", 60, 60, unit="tokens", algorithm="token_bucket", burst=100)
    state = token_bucket.step(limit, None, 100, T0).state  # an idle subject may spend the whole burst
    refused = token_bucket.step(limit, state, 10, T0)
    assert not refused.allowed
    assert refused.status.retry_after == 10.0  # 10 tokens at 1 token/s
    later = token_bucket.step(limit, state, 10, T0 + 10_000)
    assert later.allowed and later.status.remaining == 0
    full = token_bucket.step(limit, state, 0, T0 + 3_600_000)
    assert full.status.remaining == 100  # never above the burst capacity


def test_token_bucket_charge_can_go_into_debt_that_later_calls_wait_out():
    limit = Limit("tpm", 60, 60, unit="tokens", algorithm="token_bucket")
    state = token_bucket.step(limit, None, 50, T0).state
    debt = token_bucket.step(limit, state, 70, T0, True)
    assert debt.allowed and debt.state.level == -60
    assert debt.status.remaining == 0
    refused = token_bucket.step(limit, debt.state, 1, T0 + 30_000)
    assert not refused.allowed and refused.status.retry_after == pytest.approx(31.0)


def test_token_bucket_reset_is_time_until_full():
    limit = Limit("rpm", 60, 60, algorithm="token_bucket")
    result = token_bucket.step(limit, None, 6, T0)
    assert result.status.reset == 6.0


def test_sliding_window_weighs_the_previous_window_down_as_time_passes():
    limit = Limit("rpm", 10, 60)
    state = run(sliding_window.step, limit, [(MINUTE_START + 1_000, 10)])[0].state
    # 15 s into the next window the previous 10 count as 7.5: 2 more fit, a third does not.
    at = MINUTE_START + 60_000 + 15_000
    first = sliding_window.step(limit, state, 2, at)
    assert first.allowed and first.status.remaining == 0
    second = sliding_window.step(limit, first.state, 1, at)
    assert not second.allowed
    # 2 current + 10 * (45 - t)/60 <= 9  <=>  t >= 3 s
    assert second.status.retry_after == pytest.approx(3.0)


def test_sliding_window_forgets_everything_after_two_windows():
    limit = Limit("rpm", 3, 60)
    state = sliding_window.step(limit, None, 3, T0).state
    assert sliding_window.step(limit, state, 3, T0 + 120_000).allowed


def test_sliding_window_retry_after_a_full_current_window_waits_into_the_next():
    limit = Limit("rpm", 3, 60)
    results = run(sliding_window.step, limit, [(T0, 1)] * 4)
    # Window ends in 20 s; then the 3 decay and one more fits once 3 * (1 - t/60) <= 2: t = 20 s.
    assert results[-1].status.retry_after == pytest.approx(40.0)
    assert results[-1].status.reset == pytest.approx(80.0)  # until the window has no memory of the 3


def test_fixed_window_resets_at_the_window_boundary():
    day = 86_400_000
    limit = Limit("tokens_per_day", 100, 86_400, unit="tokens", algorithm="fixed_window")
    noon = 20_000 * day + day // 2
    state = fixed_window.step(limit, None, 100, noon).state
    refused = fixed_window.step(limit, state, 1, noon + 1)
    assert not refused.allowed and refused.status.retry_after == pytest.approx(43_199.999)
    assert fixed_window.step(limit, state, 100, 20_001 * day).allowed


@pytest.mark.parametrize("algorithm", ["token_bucket", "sliding_window", "fixed_window"])
def test_a_cost_larger_than_the_limit_is_impossible(algorithm):
    limit = Limit("tpm", 100, 60, unit="tokens", algorithm=algorithm)
    result = strategy(algorithm)(limit, None, 101, T0, False)
    assert not result.allowed and result.status.impossible


@pytest.mark.parametrize("algorithm", ["token_bucket", "sliding_window", "fixed_window"])
def test_a_clock_behind_the_last_writer_never_refills(algorithm):
    limit = Limit("rpm", 2, 60, algorithm=algorithm)
    state = strategy(algorithm)(limit, None, 2, T0, False).state
    assert not strategy(algorithm)(limit, state, 1, T0 - 30_000, False).allowed


@pytest.mark.parametrize("algorithm", ["token_bucket", "sliding_window", "fixed_window"])
def test_a_changed_window_starts_the_state_afresh(algorithm):
    state = strategy(algorithm)(Limit("rpm", 2, 60, algorithm=algorithm), None, 2, T0, False).state
    assert strategy(algorithm)(Limit("rpm", 2, 30, algorithm=algorithm), state, 2, T0, False).allowed


@pytest.mark.parametrize("algorithm", ["token_bucket", "sliding_window", "fixed_window"])
def test_negative_amounts_refund_but_never_below_zero_usage(algorithm):
    limit = Limit("tpm", 10, 60, unit="tokens", algorithm=algorithm)
    step = strategy(algorithm)
    state = step(limit, None, 8, T0, False).state
    refunded = step(limit, state, -5, T0, True)
    assert refunded.status.remaining == 7
    over = step(limit, refunded.state, -100, T0, True)
    assert over.status.remaining == 10


def test_unknown_algorithm_is_a_configuration_error_naming_it():
    with pytest.raises(ConfigurationError, match="'leaky'"):
        Limit("x", 1, 60, algorithm="leaky")
    with pytest.raises(ConfigurationError, match="'leaky'"):
        strategy("leaky")
