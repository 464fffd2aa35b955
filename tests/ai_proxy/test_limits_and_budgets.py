"""Per-key limits and budgets as a client sees them: OpenAI-style headers on every answer, 429
with Retry-After past a limit (exact across isolates), and 429 `budget_exceeded` past a budget."""

from __future__ import annotations

import openai
import pytest
from proxy_harness import openai_config


def _ask(client, text: str):
    return client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
    )


@pytest.mark.parametrize("isolates", [1, 2])
async def test_requests_per_minute_are_exact_across_isolates_and_reset_after_the_window(
    start_proxy, upstreams, flaresim, isolates
):
    proxy = await start_proxy(openai_config(*upstreams, limits={"requests_per_minute": 3}), isolates=isolates)
    client = proxy.client()
    remaining = []
    for n in range(3):
        response = await _ask(client, f"q{n}")
        remaining.append(response.headers["x-ratelimit-remaining-requests"])
        assert response.headers["x-ratelimit-limit-requests"] == "3"
    assert remaining == ["2", "1", "0"]
    with pytest.raises(openai.RateLimitError) as caught:
        await _ask(client, "one too many")
    assert caught.value.code == "rate_limit_exceeded"
    assert int(caught.value.response.headers["retry-after"]) >= 1
    assert caught.value.response.headers["x-ratelimit-remaining-requests"] == "0"
    # A sliding window forgets the previous minute gradually: two minutes on, it is all gone.
    await flaresim.advance(120)
    assert (await _ask(client, "two minutes later")).headers["x-ratelimit-remaining-requests"] == "2"


async def test_a_token_bucket_allows_its_burst_then_refills(start_proxy, upstreams, flaresim):
    limits = {"requests_per_minute": 60, "algorithm": "token_bucket", "burst": 2}
    proxy = await start_proxy(openai_config(*upstreams, limits=limits))
    client = proxy.client()
    await _ask(client, "a")
    await _ask(client, "b")
    with pytest.raises(openai.RateLimitError):
        await _ask(client, "c")
    await flaresim.advance(1)  # 60 per minute refills one per second
    await _ask(client, "d")


async def test_tokens_per_minute_count_the_estimate_then_the_real_usage(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams, limits={"tokens_per_minute": 40}))
    client = proxy.client()
    first = await _ask(client, "hi")
    # "hi" is estimated at 7 prompt tokens (3 per message + 3 to prime + 1 of text).
    assert first.headers["x-ratelimit-remaining-tokens"] == "33"
    await proxy.host.runtime.drain()  # the real usage (10 + 3 = 13) is charged after the answer
    second = await _ask(client, "yo")
    assert second.headers["x-ratelimit-remaining-tokens"] == str(40 - 13 - 7)


async def test_a_spent_daily_budget_refuses_with_budget_exceeded_until_the_next_day(start_proxy, upstreams, flaresim):
    primary, _backup = upstreams
    config = openai_config(primary, budgets={"daily_usd": 0.01})
    config["models"]["gpt-4o-mini"][0]["price"] = {"input_per_mtok": 1000, "output_per_mtok": 1000}
    proxy = await start_proxy(config)
    client = proxy.client()
    first = await _ask(client, "expensive")
    assert float(first.headers["x-flarekit-cost-usd"]) == pytest.approx(0.013)  # 13 tokens at $1000/M
    await proxy.host.runtime.drain()  # spend is recorded after the answer
    with pytest.raises(openai.RateLimitError) as caught:
        await _ask(client, "one more")
    assert caught.value.code == "budget_exceeded"
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert "daily" in caught.value.message
    assert primary.count == 1
    await flaresim.advance(86_400)
    await _ask(client, "a new day")
    assert primary.count == 2


async def test_a_cache_hit_still_counts_as_a_request(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams, limits={"requests_per_minute": 2}))
    client = proxy.client()
    await _ask(client, "same")
    assert (await _ask(client, "same")).headers["x-flarekit-cache"] == "HIT"
    with pytest.raises(openai.RateLimitError):
        await _ask(client, "same")


def _limiter_down(proxy, monkeypatch):
    """The RateLimiter namespace stops answering (flaresim has no fault switch for Durable Objects)."""

    def unreachable(_object_id):
        raise OSError("Durable Object unavailable: network connection lost")

    monkeypatch.setattr(proxy.host.isolates[0].env.RATE_LIMITER, "get", unreachable)


async def test_an_unreachable_limiter_degrades_to_per_isolate_limits_and_says_so(start_proxy, upstreams, monkeypatch):
    proxy = await start_proxy(openai_config(*upstreams, limits={"requests_per_minute": 2}))
    _limiter_down(proxy, monkeypatch)
    client = proxy.client()
    first = await _ask(client, "a")
    assert first.headers["x-flarekit-ratelimit-mode"] == "degraded"
    assert first.headers["x-ratelimit-remaining-requests"] == "1"
    await _ask(client, "b")
    with pytest.raises(openai.RateLimitError):
        await _ask(client, "c")


async def test_a_fail_closed_limiter_refuses_while_unreachable(start_proxy, upstreams, monkeypatch):
    proxy = await start_proxy(openai_config(*upstreams, limits={"requests_per_minute": 2, "fail_closed": True}))
    _limiter_down(proxy, monkeypatch)
    with pytest.raises(openai.InternalServerError) as caught:
        await _ask(proxy.client(), "a")
    assert caught.value.status_code == 503 and caught.value.code == "rate_limiter_unavailable"
    assert upstreams[0].count == 0
