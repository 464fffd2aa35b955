"""Routing strategies chosen in configuration, as the client sees them: who answers."""

from __future__ import annotations

from proxy_harness import openai_config


async def _who(client, text: str) -> str:
    completion = await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
    return completion.choices[0].message.content.split(" says:")[0]


async def test_cheapest_sends_traffic_to_the_lowest_price(start_proxy, upstreams):
    config = openai_config(*upstreams, routing={"strategy": "cheapest"})
    deployments = config["models"]["gpt-4o-mini"]
    deployments[0]["price"] = {"input_per_mtok": 2.5, "output_per_mtok": 10}
    deployments[1]["price"] = {"input_per_mtok": 0.15, "output_per_mtok": 0.6}
    proxy = await start_proxy(config)
    assert [await _who(proxy.client(), f"q{n}") for n in range(3)] == ["backup"] * 3


async def test_least_latency_measures_each_deployment_then_prefers_the_fastest(start_proxy, upstreams):
    primary, _ = upstreams
    primary.default = ("slow", 0.05)
    proxy = await start_proxy(openai_config(*upstreams, routing={"strategy": "least-latency"}))
    client = proxy.client()
    first_two = [await _who(client, "a"), await _who(client, "b")]
    assert sorted(first_two) == ["backup", "primary"]  # each measured once
    assert [await _who(client, f"c{n}") for n in range(4)] == ["backup"] * 4


async def test_weighted_routing_splits_by_weight(start_proxy, upstreams):
    config = openai_config(*upstreams, routing={"strategy": "weighted"})
    config["models"]["gpt-4o-mini"][0]["weight"] = 0
    config["models"]["gpt-4o-mini"][1]["weight"] = 5
    proxy = await start_proxy(config)
    assert {await _who(proxy.client(), f"q{n}") for n in range(6)} == {"backup"}
