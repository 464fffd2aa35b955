"""An Anthropic deployment behind the OpenAI interface: requests translated, answers, streams,
tool calls and usage translated back (the upstream is a real server speaking Anthropic's format)."""

from __future__ import annotations

import json

from proxy_harness import FAST_ROUTING

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


def _config(server):
    return {
        "providers": {"anthropic": {"type": "anthropic", "api_key_env": "UPSTREAM_KEY"}},
        "models": {"claude": [{"provider": "anthropic", "model": "claude-haiku-4-5"}]},
        "routing": FAST_ROUTING,
    }


async def test_a_chat_with_tools_is_translated_both_ways(start_proxy, anthropic_upstream, flaresim):
    flaresim.outbound.route("api.anthropic.com", anthropic_upstream.url)
    proxy = await start_proxy(_config(anthropic_upstream))
    completion = await proxy.client().chat.completions.create(
        model="claude",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Oslo?"}],
        tools=TOOLS,
        max_tokens=100,
    )
    sent = anthropic_upstream.requests[0]
    assert sent["system"] == "Be brief." and sent["max_tokens"] == 100 and sent["model"] == "claude-haiku-4-5"
    assert sent["tools"][0]["input_schema"]["required"] == ["city"]
    headers = anthropic_upstream.headers[0]
    assert headers["x-api-key"] == "sk-upstream" and headers["anthropic-version"] == "2023-06-01"
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "claude says: Weather in Oslo?"
    call = choice.message.tool_calls[0]
    assert call.id == "toolu_01" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Oslo"}
    # Anthropic's input excludes cache reads; OpenAI's prompt_tokens includes them.
    assert completion.usage.prompt_tokens == 25 and completion.usage.completion_tokens == 7
    assert completion.usage.prompt_tokens_details.cached_tokens == 5


async def test_an_anthropic_stream_reaches_the_sdk_as_openai_chunks(start_proxy, anthropic_upstream, flaresim):
    flaresim.outbound.route("api.anthropic.com", anthropic_upstream.url)
    proxy = await start_proxy(_config(anthropic_upstream))
    async with proxy.client().chat.completions.stream(
        model="claude", messages=[{"role": "user", "content": "Weather?"}], tools=TOOLS
    ) as stream:
        async for _event in stream:
            pass
        final = await stream.get_final_completion()
    message = final.choices[0].message
    assert message.content.strip() == "claude says: Weather?"
    assert message.tool_calls[0].id == "toolu_01"  # sent once, not "toolu_01toolu_01"
    assert json.loads(message.tool_calls[0].function.arguments) == {"city": "Oslo"}
    assert final.choices[0].finish_reason == "tool_calls"


async def test_an_anthropic_rate_limit_reaches_the_client_as_a_429(start_proxy, anthropic_upstream, flaresim):
    import openai
    import pytest

    flaresim.outbound.route("api.anthropic.com", anthropic_upstream.url)
    anthropic_upstream.script.append(("429", 120))
    proxy = await start_proxy(_config(anthropic_upstream))
    with pytest.raises(openai.RateLimitError) as caught:
        await proxy.client().chat.completions.create(model="claude", messages=[{"role": "user", "content": "x"}])
    assert caught.value.response.headers["retry-after"] == "120"
