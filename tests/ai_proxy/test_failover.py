"""Failover as a client sees it: a failing first deployment is invisible while a second is healthy;
everything down is a clean error within the deadline; Retry-After is honoured; nothing is retried
once the first byte went out; a circuit breaker stops sending traffic to a failing deployment."""

from __future__ import annotations

import time

import openai
import pytest
from proxy_harness import openai_config

FAULTS = ["500", "hang", "reset", "malformed"]


async def _ask(client, stream: bool, text: str = "are you there?") -> str:
    messages = [{"role": "user", "content": text}]
    if not stream:
        completion = await client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        return completion.choices[0].message.content
    chunks = await client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True)
    return "".join([c.choices[0].delta.content or "" async for c in chunks if c.choices])


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("fault", FAULTS)
async def test_a_failing_first_deployment_is_invisible_to_the_client(start_proxy, upstreams, fault, stream):
    primary, backup = upstreams
    primary.default = fault
    proxy = await start_proxy(openai_config(primary, backup))
    assert await _ask(proxy.client(), stream) == "backup says: are you there?"
    assert primary.count == 1 and backup.count == 1


@pytest.mark.parametrize(("fault", "status"), [("500", 502), ("hang", 504), ("reset", 502)])
async def test_every_deployment_down_is_a_clean_error_within_the_deadline(start_proxy, upstreams, fault, status):
    primary, backup = upstreams
    primary.default = backup.default = fault
    proxy = await start_proxy(openai_config(primary, backup))
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as caught:
        await _ask(proxy.client(), stream=False)
    assert time.monotonic() - started < 6.0  # routing.timeouts.total_ms
    assert caught.value.status_code == status
    assert caught.value.body["type"] in ("upstream_error", "timeout", "api_connection_error")
    assert primary.count + backup.count == 3  # routing.retry.max_attempts


async def test_a_streaming_request_with_every_deployment_down_fails_before_any_byte(start_proxy, upstreams):
    primary, backup = upstreams
    primary.default = backup.default = "malformed"
    proxy = await start_proxy(openai_config(primary, backup))
    with pytest.raises(openai.APIStatusError) as caught:
        await _ask(proxy.client(), stream=True)
    assert caught.value.status_code == 502


async def test_a_429_fails_over_and_keeps_the_deployment_out_for_its_retry_after(start_proxy, upstreams):
    primary, backup = upstreams
    primary.script.append(("429", 30))
    proxy = await start_proxy(openai_config(primary, backup))
    client = proxy.client()
    assert await _ask(client, stream=False, text="first") == "backup says: first"
    assert await _ask(client, stream=False, text="second") == "backup says: second"
    assert primary.count == 1  # cooling down for its Retry-After


async def test_a_short_retry_after_is_waited_for_and_the_same_deployment_retried(start_proxy, upstreams):
    primary, _ = upstreams
    primary.script.append(("429ms", 50))
    proxy = await start_proxy(openai_config(primary))
    assert await _ask(proxy.client(), stream=False) == "primary says: are you there?"
    assert primary.count == 2


async def test_a_long_retry_after_reaches_the_client_as_a_429(start_proxy, upstreams):
    primary, _ = upstreams
    primary.script.append(("429", 90))
    proxy = await start_proxy(openai_config(primary))
    with pytest.raises(openai.RateLimitError) as caught:
        await _ask(proxy.client(), stream=False)
    assert caught.value.response.headers["retry-after"] == "90"
    assert primary.count == 1


async def test_nothing_is_retried_once_the_stream_has_started(start_proxy, upstreams):
    primary, backup = upstreams
    primary.default = "midstream"
    proxy = await start_proxy(openai_config(primary, backup))
    stream = await proxy.client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "one two three"}], stream=True
    )
    received = []
    with pytest.raises(openai.APIError) as caught:
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "primary"  # what the upstream sent before it broke
    assert "broke" in caught.value.message
    assert backup.count == 0


async def test_an_upstream_client_error_is_returned_as_is_without_failover(start_proxy, upstreams):
    primary, backup = upstreams
    primary.script.append(("status", 400))
    proxy = await start_proxy(openai_config(primary, backup))
    with pytest.raises(openai.BadRequestError) as caught:
        await _ask(proxy.client(), stream=False)
    assert "scripted status 400" in caught.value.message
    assert backup.count == 0


@pytest.mark.parametrize("status", [401, 403, 404])
async def test_a_misconfigured_deployment_fails_over_and_alone_is_a_502(start_proxy, upstreams, status):
    primary, backup = upstreams
    primary.default = ("status", status)
    proxy = await start_proxy(openai_config(primary, backup))
    assert await _ask(proxy.client(), stream=False, text="x") == "backup says: x"
    backup.default = ("status", status)
    with pytest.raises(openai.InternalServerError) as caught:
        await _ask(proxy.client(), stream=False, text="y")
    assert caught.value.status_code == 502


async def test_the_circuit_opens_after_repeated_failures_and_probes_after_the_cooldown(
    start_proxy, upstreams, flaresim
):
    primary, backup = upstreams
    primary.default = "500"
    config = openai_config(primary, backup, routing={"circuit_breaker": {"failure_threshold": 2, "cooldown_s": 30}})
    proxy = await start_proxy(config)
    client = proxy.client()
    for n in range(4):
        assert await _ask(client, stream=False, text=f"q{n}") == f"backup says: q{n}"
    assert primary.count == 2  # open after two failures: the next two went straight to backup
    primary.default = "ok"
    await flaresim.advance(31)
    assert await _ask(client, stream=False, text="q5") == "primary says: q5"  # the half-open probe
    assert await _ask(client, stream=False, text="q6") == "primary says: q6"
    assert primary.count == 4
