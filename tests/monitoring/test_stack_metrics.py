"""Traffic through the real proxy and bot shows up in /metrics (parsed by prometheus_client) exactly:
every request once, also with the proxy running as two isolates, with its tokens, cost and cache."""

from __future__ import annotations

import openai
import pytest
from stack import MODEL, cost_of, gateway_config, running_stack, total

PROXY_REQUESTS = "flarekit_requests_total"


async def send_traffic(stack) -> dict[str, float]:
    """Chats (plain, streamed, one answered from the cache, one for an unknown model) and Telegram
    messages; returns the figures the clients saw."""
    seen = {"input": 0, "output": 0}
    team_a = stack.client("team-a")
    for n in range(6):
        completion = await team_a.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": f"question {n}"}]
        )
        seen["input"] += completion.usage.prompt_tokens
        seen["output"] += completion.usage.completion_tokens
    again = await team_a.chat.completions.with_raw_response.create(
        model=MODEL, messages=[{"role": "user", "content": "question 0"}]
    )
    assert again.headers["x-flarekit-cache"] == "HIT"
    team_b = stack.client("team-b")
    for n in range(3):
        stream = await team_b.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": f"streamed {n}"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
        seen["input"] += chunks[-1].usage.prompt_tokens
        seen["output"] += chunks[-1].usage.completion_tokens
    with pytest.raises(openai.NotFoundError):
        await team_b.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    for n in range(3):
        assert (await stack.telegram(f"hello bot {n}", user_id=1000 + n)).status == 200
    await stack.runtime.drain()
    bot_answers = [body for body in stack.upstream.requests if body["messages"][-1]["content"].startswith("hello bot")]
    assert len(bot_answers) == 3 and all(stack.bot_api.chat(1000 + n) for n in range(3))
    return seen


@pytest.mark.parametrize("proxy_isolates", [1, 2], ids=["one isolate", "two isolates"])
async def test_metrics_count_the_traffic_sent_through_the_proxy_and_the_bot_exactly(flaresim, proxy_isolates):
    async with running_stack(flaresim, proxy_isolates=proxy_isolates) as stack:
        seen = await send_traffic(stack)
        found = await stack.metrics()

        # 6 plain + 1 cached + 3 streamed + 1 unknown model from the SDK, 3 from the bot.
        assert total(found, PROXY_REQUESTS, worker="ai-proxy") == 14
        assert total(found, PROXY_REQUESTS, worker="ai-proxy", route="/v1/chat/completions", status="200") == 13
        assert total(found, PROXY_REQUESTS, worker="ai-proxy", status="404", outcome="client_error") == 1
        assert total(found, PROXY_REQUESTS, worker="ai-proxy", key="team-a") == 7
        assert total(found, PROXY_REQUESTS, worker="ai-proxy", key="dev") == 3  # the bot's key
        assert total(found, PROXY_REQUESTS, worker="telegram-bot", route="/telegram/webhook", status="200") == 3
        assert total(found, "flarekit_request_errors_total") == 0
        assert total(found, "flarekit_cache_lookups_total", worker="ai-proxy", result="hit") == 1
        assert total(found, "flarekit_cache_lookups_total", worker="ai-proxy", result="miss") == 12

        # Tokens and cost: what the SDK was told, plus the bot's three answers.
        bot_usage = [u for u in stack.upstream.requests if u["messages"][-1]["content"].startswith("hello bot")]
        bot_input = 10 * len(bot_usage)  # the upstream reports 10 prompt tokens for every call
        input_tokens = total(found, "flarekit_input_tokens_total", worker="ai-proxy")
        output_tokens = total(found, "flarekit_output_tokens_total", worker="ai-proxy")
        assert input_tokens == seen["input"] + bot_input
        assert output_tokens > seen["output"]  # the bot's answers added theirs
        assert total(found, "flarekit_cost_usd_total", worker="ai-proxy") == pytest.approx(
            cost_of(input_tokens, output_tokens), abs=1e-6
        )
        durations = total(found, "flarekit_request_duration_seconds_count", worker="ai-proxy")
        assert durations == 14
        assert total(found, "flarekit_upstream_attempts_total", outcome="ok") == 12

        # /api/stats says the same for the window.
        stats = await stack.get_json("/api/stats?window=15m")
        by_worker = {w["worker"]: w["requests"] for w in stats["by_worker"]}
        assert by_worker["ai-proxy"] == 14 and by_worker["telegram-bot"] == 3
        if proxy_isolates == 2:
            observers = [host.isolate.modules["ai_proxy.observing"].OBSERVER for host in stack.proxy.isolates]
            served = [observer.outbox.flushes for observer in observers]
            assert all(served), f"both isolates should have served requests: {served}"


async def test_rate_limit_and_budget_refusals_and_budget_positions_are_counted_per_key(flaresim):
    def gateway(upstream):
        # 3 requests a minute per key; a daily budget about one long answer big at these prices
        return gateway_config(upstream.url, limits={"requests_per_minute": 3}, budgets={"daily_usd": 0.02})

    async with running_stack(flaresim, gateway=gateway) as stack:
        refused: dict[tuple[str, str], int] = {}

        async def ask(key: str, text: str) -> None:
            try:
                await stack.client(key).chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": text}]
                )
            except openai.RateLimitError as error:
                refused[(key, error.code)] = refused.get((key, error.code), 0) + 1
            await flaresim.drain()  # spend is written after each answer

        for n in range(5):  # team-a: the fourth and fifth are over its limit
            await ask("team-a", f"a{n}")
        for n in range(3):  # team-b: one long answer spends its budget, the next ones are refused
            await flaresim.advance(61)
            await ask("team-b", f"b{n} " * 40)
        assert refused == {("team-a", "rate_limit_exceeded"): 2, ("team-b", "budget_exceeded"): 2}

        found = await stack.metrics()
        assert total(found, "flarekit_rejections_total", key="team-a", reason="rate_limited") == 2
        assert total(found, "flarekit_rejections_total", key="team-b", reason="budget_exceeded") == 2
        assert total(found, "flarekit_requests_total", key="team-b", status="429", outcome="budget_exceeded") == 2
        (ratio,) = [s for s in found if s.name == "flarekit_key_budget_used_ratio" and s.labels["key"] == "team-b"]
        assert ratio.labels["period"] == "day" and ratio.value >= 1.0
