"""Bad input gets OpenAI-shaped errors with the right status; unknown fields pass through untouched."""

from __future__ import annotations

import io
import json

import pytest
from proxy_harness import openai_config


def _nested(depth: int):
    value: object = "x"
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}] * 257}, 400, "Too many messages"),
        ({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "deep": _nested(33)}, 400, "nested"),
        ({"messages": [{"role": "user", "content": "x"}]}, 400, "model"),
        ({"model": "gpt-4o-mini", "messages": "hello"}, 400, "messages"),
        ({"model": "gpt-4o-mini", "messages": [{"content": "no role"}]}, 400, "role"),
        ([1, 2, 3], 400, "JSON object"),
    ],
    ids=["257-messages", "depth-33", "no-model", "messages-not-a-list", "no-role", "not-an-object"],
)
async def test_invalid_requests_are_400s_in_openai_shape(start_proxy, upstreams, body, status, fragment):
    proxy = await start_proxy(openai_config(*upstreams))
    got, _headers, answer = await proxy.post("/v1/chat/completions", body)
    assert got == status
    assert set(answer["error"]) == {"message", "type", "param", "code"}
    assert fragment in answer["error"]["message"]
    assert upstreams[0].count == 0


async def test_nesting_of_exactly_32_levels_is_accepted(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams))
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "deep": _nested(30)}
    status, _, _ = await proxy.post("/v1/chat/completions", body)
    assert status == 200


async def test_malformed_json_is_a_400(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams))
    status, _, answer = await proxy.post("/v1/chat/completions", data='{"model": "gpt-4o-mini",', headers={})
    assert status == 400 and answer["error"]["message"].startswith("Malformed JSON")


async def test_a_body_over_one_mib_is_a_413(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams))
    big = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x" * (1024 * 1024)}]})
    status, _, answer = await proxy.post("/v1/chat/completions", data=io.BytesIO(big.encode()))
    assert status == 413 and answer["error"]["code"] == "request_too_large"


async def test_the_body_limit_is_configurable(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams, request={"max_body_bytes": 200}))
    text = "y" * 300
    status, _, _ = await proxy.post(
        "/v1/chat/completions", {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
    )
    assert status == 413


async def test_unknown_fields_reach_the_provider_untouched(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams))
    extra = {"x_vendor_option": {"nested": [1, 2, {"k": None}]}, "logit_bias": {"50256": -100}, "seed": 7}
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x", "name": "ann"}], **extra}
    status, _, _ = await proxy.post("/v1/chat/completions", body)
    assert status == 200
    sent = primary.requests[0]
    assert {k: sent[k] for k in extra} == extra
    assert sent["messages"] == body["messages"]


async def test_unknown_paths_and_methods_answer_in_openai_shape(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams))
    status, _, answer = await proxy.request("GET", "/v1/nothing-here")
    assert status == 404 and answer["error"]["code"] == "not_found"
    status, headers, answer = await proxy.request("GET", "/v1/chat/completions")
    assert status == 405 and headers["allow"] == "POST"
    assert json.dumps(answer).startswith('{"error"')
