"""API keys: static keys from PROXY_API_KEYS, virtual keys from /admin/keys (hashed in KV, with
allowed models, limits and budgets), and the production rule: no key configured, no service."""

from __future__ import annotations

import openai
import pytest
from proxy_harness import openai_config

ADMIN = {"authorization": "Bearer admin-dev-token"}


async def test_production_without_any_key_refuses_every_request_but_health(start_proxy, upstreams):
    env = {"ENVIRONMENT": "production", "PROXY_API_KEYS": "", "ADMIN_TOKEN": ""}
    proxy = await start_proxy(openai_config(*upstreams), env=env)
    status, _, answer = await proxy.post("/v1/chat/completions", {"model": "gpt-4o-mini", "messages": []})
    assert status == 503
    assert "no API key configured" in answer["error"]["message"]
    assert (await proxy.request("GET", "/v1/models"))[0] == 503
    assert (await proxy.request("GET", "/health"))[0] == 200
    assert upstreams[0].count == 0


async def test_development_without_keys_lets_requests_through(start_proxy, upstreams):
    env = {"PROXY_API_KEYS": "", "ADMIN_TOKEN": ""}
    proxy = await start_proxy(openai_config(*upstreams), env=env)
    status, _, _ = await proxy.post(
        "/v1/chat/completions", {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}, key=None
    )
    assert status == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"authorization": "Bearer sk-nope"}, 401),
        ({"authorization": "Basic sk-flarekit-dev"}, 401),
        ({"x-api-key": "sk-flarekit-dev"}, 200),
        ({"authorization": "Bearer sk-flarekit-dev"}, 200),
    ],
)
async def test_keys_come_from_bearer_or_x_api_key(start_proxy, upstreams, headers, status):
    proxy = await start_proxy(openai_config(*upstreams))
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    got, answer_headers, _ = await proxy.post("/v1/chat/completions", body, key=None, headers=headers)
    assert got == status
    if status == 401:
        assert answer_headers["www-authenticate"] == "Bearer"


async def test_a_virtual_key_is_created_used_limited_listed_and_revoked(start_proxy, upstreams):
    config = openai_config(*upstreams)
    config["models"]["other"] = [{"provider": "backup", "model": "x"}]
    proxy = await start_proxy(config)
    spec = {"name": "frontend", "models": ["gpt-4o-mini"], "limits": {"requests_per_minute": 2}}
    status, _, created = await proxy.post("/admin/keys", spec, key=None, headers=ADMIN)
    assert status == 201 and created["key"].startswith("sk-fk-") and created["name"] == "frontend"
    client = proxy.client(key=created["key"])
    answer = await client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "one"}]
    )
    assert answer.headers["x-ratelimit-limit-requests"] == "2"
    with pytest.raises(openai.PermissionDeniedError) as denied:
        await client.chat.completions.create(model="other", messages=[{"role": "user", "content": "x"}])
    assert denied.value.code == "model_not_allowed"
    assert [m.id async for m in client.models.list()] == ["gpt-4o-mini"]
    await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "two"}])
    with pytest.raises(openai.RateLimitError):
        await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "three"}])
    status, _, listed = await proxy.request("GET", "/admin/keys", headers=ADMIN)
    assert status == 200
    assert [(k["id"], k["name"]) for k in listed["data"]] == [(created["id"], "frontend")]
    assert "key" not in listed["data"][0] and listed["data"][0]["hint"].startswith("sk-fk-")
    status, _, _ = await proxy.request("DELETE", f"/admin/keys/{created['id']}", headers=ADMIN)
    assert status == 200
    with pytest.raises(openai.AuthenticationError):
        await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "four"}])
    assert (await proxy.request("DELETE", f"/admin/keys/{created['id']}", headers=ADMIN))[0] == 404


async def test_virtual_keys_are_stored_hashed(start_proxy, upstreams, flaresim):
    proxy = await start_proxy(openai_config(*upstreams))
    _, _, created = await proxy.post("/admin/keys", {"name": "k"}, key=None, headers=ADMIN)
    stored = flaresim.kv.namespace("ac000000000000000000000000000002")
    page = await stored.list()
    names = [k["name"] for k in page["keys"]]
    assert names and all(created["key"] not in name for name in names)
    for name in names:
        assert created["key"] not in (await stored.get(name))


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, {"name": "x"}, 401),
        ({"authorization": "Bearer sk-flarekit-dev"}, {"name": "x"}, 401),
        (ADMIN, {}, 400),
        (ADMIN, {"name": "x", "limits": {"requests_per_minute": -1}}, 400),
        (ADMIN, {"name": "x", "colour": "red"}, 400),
    ],
)
async def test_the_admin_api_needs_the_admin_token_and_valid_specs(start_proxy, upstreams, headers, body, status):
    proxy = await start_proxy(openai_config(*upstreams))
    got, _, answer = await proxy.post("/admin/keys", body, key=None, headers=headers)
    assert got == status and "error" in answer
