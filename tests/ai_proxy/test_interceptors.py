"""Interceptors: on_request can rewrite or refuse a request, on_response can change an answer,
on_error can replace an error."""

from __future__ import annotations

import re

import openai
import pytest
from proxy_harness import openai_config

EMAIL = re.compile(r"[\w.]+@[\w.]+")


async def test_on_request_redacts_what_the_provider_sees(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams))

    def redact(call):
        for message in call.body["messages"]:
            message["content"] = EMAIL.sub("[email]", message["content"])

    proxy.module("ai_proxy.interceptors").register(on_request=redact)
    completion = await proxy.client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "mail ann@example.com"}]
    )
    assert primary.requests[0]["messages"][0]["content"] == "mail [email]"
    assert completion.choices[0].message.content == "primary says: mail [email]"


async def test_on_request_can_refuse_for_custom_auth(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams))
    HTTPError = proxy.module("flarekit.errors").HTTPError  # the Worker's own copy of flarekit

    async def require_team(call):
        if call.headers.get("x-team") != "blue":
            raise HTTPError(403, "Only the blue team may call this proxy.", "team_required", "permission_error")

    proxy.module("ai_proxy.interceptors").register(on_request=require_team)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        await proxy.client().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "team_required"
    ok = await proxy.client(default_headers={"x-team": "blue"}).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
    )
    assert ok.choices[0].message.content


async def test_on_response_and_on_error_change_what_the_client_gets(start_proxy, upstreams):
    primary, backup = upstreams
    proxy = await start_proxy(openai_config(*upstreams))
    HTTPError = proxy.module("flarekit.errors").HTTPError  # the Worker's own copy of flarekit

    def stamp(call, body):
        body["choices"][0]["message"]["content"] += " [checked]"

    def soften(call, error):
        return HTTPError(error.status, "Something went wrong upstream; try again later.", error.code, error.type)

    proxy.module("ai_proxy.interceptors").register(on_response=stamp, on_error=soften)
    client = proxy.client()
    completion = await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    assert completion.choices[0].message.content.endswith("[checked]")
    primary.default = backup.default = "500"
    with pytest.raises(openai.APIStatusError) as caught:
        await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "y"}])
    assert caught.value.message.endswith("try again later.")


async def test_on_request_sees_each_batch_item_and_each_conversation_turn(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams))

    def redact(call):
        for message in call.body["messages"]:
            message["content"] = EMAIL.sub("[email]", message["content"])

    proxy.module("ai_proxy.interceptors").register(on_request=redact)
    items = [
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"item {n}: bo@example.com"}]}
        for n in range(2)
    ]
    status, _, _ = await proxy.post("/v1/batch", {"requests": items})
    assert status == 200
    _, _, conversation = await proxy.post("/v1/conversations", {"model": "gpt-4o-mini"})
    await proxy.post(f"/v1/conversations/{conversation['id']}/messages", {"content": "turn: cy@example.com"})
    sent = sorted(r["messages"][-1]["content"] for r in primary.requests)
    assert sent == ["item 0: [email]", "item 1: [email]", "turn: [email]"]
    _, _, stored = await proxy.request(
        "GET", f"/v1/conversations/{conversation['id']}", headers={"authorization": "Bearer sk-flarekit-dev"}
    )
    assert stored["messages"][0]["content"] == "turn: [email]"  # what is stored is what was sent
