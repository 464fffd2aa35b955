"""Conversations: the stored history goes with each new message, the answer is stored, and a
conversation belongs to the key that made it."""

from __future__ import annotations

from proxy_harness import openai_config


async def _create(proxy, body=None, key="sk-flarekit-dev"):
    status, _, answer = await proxy.post("/v1/conversations", body or {}, key=key)
    assert status == 201, answer
    return answer


async def test_each_message_carries_the_history_and_the_answers_are_stored(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams))
    conversation = await _create(proxy, {"model": "gpt-4o-mini", "system_prompt": "Be kind.", "metadata": {"app": "t"}})
    assert conversation["id"].startswith("conv_") and conversation["system_prompt"] == "Be kind."
    path = f"/v1/conversations/{conversation['id']}/messages"
    status, headers, first = await proxy.post(path, {"content": "My name is Ann."})
    assert status == 200 and headers["x-flarekit-conversation"] == conversation["id"]
    assert first["choices"][0]["message"]["content"] == "primary says: My name is Ann."
    status, _, _ = await proxy.post(path, {"content": "What is my name?"})
    assert status == 200
    assert primary.requests[1]["messages"] == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "My name is Ann."},
        {"role": "assistant", "content": "primary says: My name is Ann."},
        {"role": "user", "content": "What is my name?"},
    ]
    status, _, stored = await proxy.request(
        "GET", f"/v1/conversations/{conversation['id']}", headers={"authorization": "Bearer sk-flarekit-dev"}
    )
    assert status == 200 and stored["message_count"] == 4
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    assert stored["metadata"] == {"app": "t"}


async def test_a_streamed_answer_is_stored_once_complete(start_proxy, upstreams, flaresim):
    proxy = await start_proxy(openai_config(*upstreams))
    conversation = await _create(proxy, {"model": "gpt-4o-mini"})
    path = f"/v1/conversations/{conversation['id']}/messages"
    status, headers, text = await proxy.post(path, {"content": "stream it", "stream": True})
    assert status == 200 and headers["content-type"].startswith("text/event-stream") and "[DONE]" in text
    await flaresim.drain()
    _, _, stored = await proxy.request(
        "GET", f"/v1/conversations/{conversation['id']}", headers={"authorization": "Bearer sk-flarekit-dev"}
    )
    assert stored["messages"][-1] == {
        **stored["messages"][-1],
        "role": "assistant",
        "content": "primary says: stream it",
    }


async def test_history_is_trimmed_to_the_token_budget(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams, conversations={"history_tokens": 40}))
    conversation = await _create(proxy, {"model": "gpt-4o-mini"})
    path = f"/v1/conversations/{conversation['id']}/messages"
    for n in range(6):
        await proxy.post(path, {"content": f"message number {n} " + "x" * 40})
    last = primary.requests[-1]["messages"]
    assert last[-1]["content"].startswith("message number 5")
    assert len(last) < 11  # older turns were dropped to fit the budget


async def test_another_key_cannot_see_or_delete_a_conversation(start_proxy, upstreams):
    env = {"PROXY_API_KEYS": "dev=sk-flarekit-dev,other=sk-other"}
    proxy = await start_proxy(openai_config(*upstreams), env=env)
    conversation = await _create(proxy)
    other = {"authorization": "Bearer sk-other"}
    assert (await proxy.request("GET", f"/v1/conversations/{conversation['id']}", headers=other))[0] == 404
    assert (await proxy.request("DELETE", f"/v1/conversations/{conversation['id']}", headers=other))[0] == 404
    status, _, _ = await proxy.post(
        f"/v1/conversations/{conversation['id']}/messages", {"content": "hi"}, key="sk-other"
    )
    assert status == 404


async def test_a_deleted_conversation_is_gone(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams))
    conversation = await _create(proxy)
    mine = {"authorization": "Bearer sk-flarekit-dev"}
    status, _, answer = await proxy.request("DELETE", f"/v1/conversations/{conversation['id']}", headers=mine)
    assert status == 200 and answer["deleted"] is True
    assert (await proxy.request("GET", f"/v1/conversations/{conversation['id']}", headers=mine))[0] == 404
    assert (await proxy.request("GET", "/v1/conversations/conv_doesnotexist", headers=mine))[0] == 404
