"""`GET /v1/conversations/{id}/ws`: a conversation over a WebSocket, replies streamed as they come.

Authenticate with `Authorization: Bearer <key>` on the upgrade request, or - for browsers, which
cannot set headers on a WebSocket - `?api_key=<key>` (keep such keys scoped and short-lived). Then:

    -> {"content": "Hello"}                          (plus any chat parameter: "model", "temperature"...)
    <- {"type": "delta", "content": "Hi"}            (as many as the reply has)
    <- {"type": "done", "id": "chatcmpl-...", "content": "Hi there.", "finish_reason": "stop",
        "usage": {...} | null, "cache": "MISS"}
    <- {"type": "error", "error": {"message", "type", "param", "code"}}   (the socket stays open)

Each message is one chat request through the whole gateway (limits, budget, cache, routing), with
its own request record; the question and the answer are stored as with `POST .../messages`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import js
from pyodide.ffi import create_proxy
from workers import Response

from ai_proxy.auth import authenticate
from ai_proxy.chat import complete_chat
from ai_proxy.conversations import not_found, storer, stub_for, user_message
from ai_proxy.errors import error_json, to_http_error
from ai_proxy.proxy_call import ProxyCall, finish, new_call
from flarekit.errors import HTTPError
from flarekit.llm.sse import SSEParser
from flarekit.metrics.observation import Observation

log = logging.getLogger("ai_proxy")


class _QueryKeyHeaders:
    """The upgrade request's headers, with `?api_key=` standing in for a missing Authorization."""

    def __init__(self, headers: Any, key: str | None) -> None:
        self._headers = headers
        self._key = key

    def get(self, name: str, default: Any = None) -> Any:
        value = self._headers.get(name)
        if value is None and name == "authorization" and self._key:
            return f"Bearer {self._key}"
        return default if value is None else value


async def connect(call: ProxyCall, conversation_id: str) -> Any:
    if (call.headers.get("upgrade") or "").lower() != "websocket":
        raise HTTPError(426, "This endpoint speaks WebSocket: send an Upgrade: websocket request.", "upgrade_required")
    query = parse_qs(urlsplit(call.request.url).query)
    headers = _QueryKeyHeaders(call.headers, (query.get("api_key") or [None])[0])
    call.principal = await authenticate(call.gateway.settings, call.gateway.keys, headers)
    call.record.key_name, call.record.key_id = call.principal.name, call.principal.key_id
    stub = stub_for(call, conversation_id)
    if await stub.info() is None:
        raise not_found(conversation_id)
    client, server = js.WebSocketPair.new().object_values()
    server.accept()
    closed = asyncio.get_running_loop().create_future()
    turns: set[asyncio.Task[Any]] = set()

    def send(message: dict[str, Any]) -> None:
        if server.readyState == 1:
            server.send(json.dumps(message, separators=(",", ":")))

    async def turn(text: Any) -> None:
        sub = new_call(call.gateway, call.request, call.env, call.ctx, headers, call.record.route, "WS")
        sub.obs = call.obs  # a turn runs from a socket event: its tokens and cost count on the connection
        sub.principal = call.principal
        sub.record.key_name, sub.record.key_id = call.record.key_name, call.record.key_id
        try:
            body = json.loads(text) if isinstance(text, str) else None
            if not isinstance(body, dict):
                raise HTTPError(400, 'Send JSON such as {"content": "Hello"}.', "invalid_message")
            question = user_message(body)
            past = await stub_for(sub, conversation_id).history(call.gateway.config.history_tokens)
            if past.get("settings") is None:
                raise not_found(conversation_id)
            chat = {k: v for k, v in body.items() if k not in ("content", "message")}
            chat["model"] = body.get("model") or past["settings"].get("model") or call.gateway.settings.default_model
            chat["messages"] = [*past["messages"], question]
            chat["stream"] = True
            chat["stream_options"] = {"include_usage": True}
            sub.body = chat
            response = await complete_chat(sub, on_complete=storer(stub_for(sub, conversation_id), question))
            await relay(response, send)
        except Exception as error:  # every failure of a turn is reported on the socket, which stays open
            http = to_http_error(error)
            if http is None:
                log.exception("a WebSocket turn failed", exc_info=error)
                http = HTTPError(500, "The gateway failed unexpectedly; see its log.", "internal_error", "server_error")
            sub.record.status, sub.record.error_type = http.status, http.code or http.type
            finish(sub)
            send({"type": "error", "error": json.loads(error_json(http))["error"]})

    def on_message(event: Any) -> None:
        task = asyncio.ensure_future(turn(event.data))
        turns.add(task)
        task.add_done_callback(turns.discard)

    def on_close(_event: Any) -> None:
        if not closed.done():
            closed.set_result(None)

    server.addEventListener("message", create_proxy(on_message))
    server.addEventListener("close", create_proxy(on_close))
    # Keep the request (and with it the socket's handlers) alive until the socket closes; its
    # metrics record covers the whole connection.
    call.obs.hold()
    call.ctx.waitUntil(_until(closed, turns, call.obs))
    call.record.status = 101
    finish(call)
    return Response(None, status=101, web_socket=client)


async def _until(closed: asyncio.Future[Any], turns: set[asyncio.Task[Any]], obs: Observation) -> None:
    try:
        await closed
        if turns:
            await asyncio.gather(*list(turns), return_exceptions=True)
    finally:
        obs.release()


async def relay(response: Any, send: Any) -> None:
    """Turn one streamed chat answer (SSE) into `delta` messages and a final `done`."""
    cache = response.headers.get("x-flarekit-cache")
    if response.status != 200:
        send({"type": "error", "error": json.loads(await response.text())["error"]})
        return
    parser = SSEParser()
    parts: list[str] = []
    done: dict[str, Any] = {
        "type": "done",
        "id": None,
        "content": "",
        "finish_reason": None,
        "usage": None,
        "cache": cache,
    }
    async for chunk in response.body:
        for event in parser.feed(chunk.to_bytes()):
            if event.data == b"[DONE]" or not event.data:
                continue
            data = json.loads(event.data)
            if data.get("error"):
                send({"type": "error", "error": data["error"]})
                return
            done["id"] = data.get("id")
            if data.get("usage"):
                done["usage"] = data["usage"]
            for choice in data.get("choices") or ():
                content = (choice.get("delta") or {}).get("content")
                if content:
                    parts.append(content)
                    send({"type": "delta", "content": content})
                if choice.get("finish_reason"):
                    done["finish_reason"] = choice["finish_reason"]
    done["content"] = "".join(parts)
    send(done)
