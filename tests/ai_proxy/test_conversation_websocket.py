"""A conversation over a real WebSocket: replies stream as delta messages, the history is kept,
errors are reported on the open socket, and a bad key or conversation refuses the upgrade."""

from __future__ import annotations

import aiohttp
import pytest
from proxy_harness import openai_config

AUTH = {"authorization": "Bearer sk-flarekit-dev"}


async def _conversation(proxy) -> str:
    _, _, created = await proxy.post("/v1/conversations", {"model": "gpt-4o-mini"})
    return created["id"]


async def _turn(ws, message) -> list[dict]:
    await ws.send_json(message)
    received = []
    while True:
        item = await ws.receive_json(timeout=5)
        received.append(item)
        if item["type"] in ("done", "error"):
            return received


async def test_replies_stream_as_deltas_and_the_conversation_remembers(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams))
    conversation = await _conversation(proxy)
    session = await proxy.http()
    url = proxy.url.replace("http", "ws") + f"/v1/conversations/{conversation}/ws"
    async with session.ws_connect(url, headers=AUTH) as ws:
        first = await _turn(ws, {"content": "I like tea."})
        deltas = [m["content"] for m in first if m["type"] == "delta"]
        assert len(deltas) > 1 and "".join(deltas) == "primary says: I like tea."
        done = first[-1]
        assert done["type"] == "done" and done["content"] == "primary says: I like tea."
        assert done["finish_reason"] == "stop" and done["usage"]["total_tokens"] > 0
        second = await _turn(ws, {"content": "What do I like?"})
        assert second[-1]["content"] == "primary says: What do I like?"
        bad = await _turn(ws, {"nothing": True})
        assert bad[-1]["type"] == "error" and bad[-1]["error"]["param"] == "content"
        assert (await _turn(ws, {"content": "still open?"}))[-1]["type"] == "done"
    assert [m["role"] for m in primary.requests[1]["messages"]] == ["user", "assistant", "user"]


async def test_a_browser_may_pass_the_key_in_the_query(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams))
    conversation = await _conversation(proxy)
    session = await proxy.http()
    url = proxy.url.replace("http", "ws") + f"/v1/conversations/{conversation}/ws?api_key=sk-flarekit-dev"
    async with session.ws_connect(url) as ws:
        assert (await _turn(ws, {"content": "hi"}))[-1]["type"] == "done"


@pytest.mark.parametrize(("headers", "path", "status"), [({}, None, 401), (AUTH, "conv_missing", 404)])
async def test_a_bad_key_or_conversation_refuses_the_upgrade(start_proxy, upstreams, headers, path, status):
    proxy = await start_proxy(openai_config(*upstreams))
    conversation = path or await _conversation(proxy)
    session = await proxy.http()
    url = proxy.url.replace("http", "ws") + f"/v1/conversations/{conversation}/ws"
    with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
        async with session.ws_connect(url, headers=headers):
            pass
    assert caught.value.status in (status, 403)
