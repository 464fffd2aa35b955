"""The response cache as clients see it: HIT/MISS/BYPASS, streams replayed, per-key namespaces,
the client's Cache-Control, and identical concurrent misses sharing one upstream call."""

from __future__ import annotations

import asyncio

from proxy_harness import openai_config

QUESTION = [{"role": "user", "content": "what is the cache?"}]


async def _raw(client, **kwargs):
    request = {"model": "gpt-4o-mini", "messages": QUESTION, **kwargs}
    return await client.chat.completions.with_raw_response.create(**request)


async def test_a_repeated_identical_request_is_a_cache_hit(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams))
    client = proxy.client()
    first, second = await _raw(client), await _raw(client)
    assert first.headers["x-flarekit-cache"] == "MISS"
    assert second.headers["x-flarekit-cache"] == "HIT"
    assert second.headers["x-flarekit-cost-usd"] == "0"
    assert second.parse().choices[0].message.content == first.parse().choices[0].message.content
    assert primary.count == 1


async def test_stream_and_user_fields_do_not_change_the_key(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams))
    client = proxy.client()
    await _raw(client, user="alice")
    assert (await _raw(client, user="bob")).headers["x-flarekit-cache"] == "HIT"
    assert primary.count == 1


async def test_a_streamed_miss_is_stored_and_replayed_as_a_stream(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams))
    client = proxy.client()

    async def streamed():
        response = await client.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=QUESTION, stream=True, stream_options={"include_usage": True}
        )
        chunks = [c async for c in response.parse()]
        return response.headers["x-flarekit-cache"], chunks

    status, chunks = await streamed()
    assert status == "MISS"
    await proxy.host.runtime.drain()  # the assembled answer is stored after the stream ends
    status, replayed = await streamed()
    assert status == "HIT"
    text = "".join(c.choices[0].delta.content or "" for c in replayed if c.choices)
    assert text == "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert replayed[-1].choices == [] and replayed[-1].usage is not None
    # A non-streaming request for the same question is served from the same entry.
    assert (await _raw(client)).headers["x-flarekit-cache"] == "HIT"
    assert primary.count == 1


async def test_sampled_requests_bypass_the_cache(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams))
    client = proxy.client()
    first, second = await _raw(client, temperature=0.7), await _raw(client, temperature=0.7)
    assert first.headers["x-flarekit-cache"] == second.headers["x-flarekit-cache"] == "BYPASS"
    assert primary.count == 2


async def test_cache_control_no_store_and_no_cache_are_obeyed(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams))
    client = proxy.client()
    no_store = await _raw(client, extra_headers={"cache-control": "no-store"})
    assert no_store.headers["x-flarekit-cache"] == "BYPASS"
    assert (await _raw(client)).headers["x-flarekit-cache"] == "MISS"  # nothing was stored
    refreshed = await _raw(client, extra_headers={"cache-control": "no-cache"})
    assert refreshed.headers["x-flarekit-cache"] == "BYPASS"
    assert primary.count == 3


async def test_the_cache_is_namespaced_per_key_unless_shared(start_proxy, upstreams):
    primary, _ = upstreams
    env = {"PROXY_API_KEYS": "sk-flarekit-dev,other=sk-other"}
    proxy = await start_proxy(openai_config(*upstreams), env=env)
    await _raw(proxy.client())
    assert (await _raw(proxy.client(key="sk-other"))).headers["x-flarekit-cache"] == "MISS"
    assert primary.count == 2


async def test_a_shared_cache_serves_every_key(start_proxy, upstreams):
    primary, _ = upstreams
    env = {"PROXY_API_KEYS": "sk-flarekit-dev,other=sk-other"}
    proxy = await start_proxy(openai_config(*upstreams, cache={"shared": True}), env=env)
    await _raw(proxy.client())
    assert (await _raw(proxy.client(key="sk-other"))).headers["x-flarekit-cache"] == "HIT"
    assert primary.count == 1


async def test_identical_concurrent_misses_share_one_upstream_call(start_proxy, upstreams):
    primary, _ = upstreams
    primary.default = ("slow", 0.3)
    proxy = await start_proxy(openai_config(*upstreams))
    client = proxy.client()
    answers = await asyncio.gather(*(_raw(client) for _ in range(5)))
    assert primary.count == 1
    assert sorted(a.headers["x-flarekit-cache"] for a in answers) == ["HIT"] * 4 + ["MISS"]


async def test_the_kv_tier_serves_a_second_isolate(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams), isolates=2)
    client = proxy.client()
    await _raw(client)
    await proxy.host.runtime.drain()  # the KV write happens after the response
    assert (await _raw(client)).headers["x-flarekit-cache"] == "HIT"  # the other isolate, from KV
    assert primary.count == 1
