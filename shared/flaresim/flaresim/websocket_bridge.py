"""WebSocket upgrades in `flaresim dev`: a real WebSocket connection joined to a Worker's `WebSocketPair`.

The Worker sees what workerd gives it: a GET request with `Upgrade: websocket`; it answers 101
with the client end of a `WebSocketPair` (`Response(None, status=101, web_socket=client)`). Here
that client end is attached to the ASGI connection: frames from the browser are sent into it (the
Worker's server end gets `message` events), frames the Worker sends come out to the browser, and a
close on either side closes the other. A Worker that does not answer 101 refuses the upgrade with
its own HTTP response (when the server supports that) or a 403.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from flaresim.runtime import WorkerHost

log = logging.getLogger("flaresim.requests")

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _request(scope: dict[str, Any]) -> Any:
    from workers import Request

    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    host = next((v for k, v in headers if k == "host"), "localhost")
    path = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    url = f"{scheme}://{host}{path}" + (f"?{query}" if query and "?" not in path else "")
    return Request(url, method="GET", headers=headers)


async def _refuse(scope: dict[str, Any], send: Send, response: Any) -> None:
    if "websocket.http.response" in scope.get("extensions", {}):
        body = await response.bytes()
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response._headers]
        await send({"type": "websocket.http.response.start", "status": response.status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
        return
    await send({"type": "websocket.close", "code": 1008})


async def serve_websocket(host: WorkerHost, scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Serve one WebSocket connection through the Worker's fetch handler."""
    first = await receive()
    if first["type"] != "websocket.connect":
        return
    try:
        response = await host.fetch(_request(scope))
    except Exception as error:  # the Worker threw: refuse, and log like an HTTP request would
        print(
            f"✘ [ERROR] Uncaught exception in {host.name}:\n{''.join(traceback.format_exception(error))}",
            file=sys.stderr,
        )
        await send({"type": "websocket.close", "code": 1011})
        return
    client = getattr(response, "web_socket", None)
    if response.status != 101 or client is None:
        await _refuse(scope, send, response)
        return
    await send({"type": "websocket.accept"})
    outgoing: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    client.addEventListener("message", lambda event: outgoing.put_nowait(("message", event.data)))
    client.addEventListener("close", lambda event: outgoing.put_nowait(("close", (event.code, event.reason))))
    client.accept()

    async def from_browser() -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.receive":
                if client.readyState != 1:
                    continue
                text = message.get("text")
                client.send(text if text is not None else message.get("bytes") or b"")
            elif message["type"] == "websocket.disconnect":
                if client.readyState == 1:
                    client.close(message.get("code", 1005), "")
                outgoing.put_nowait(("gone", None))
                return

    async def to_browser() -> None:
        while True:
            kind, value = await outgoing.get()
            if kind == "message":
                frame = {"type": "websocket.send"}
                frame["text" if isinstance(value, str) else "bytes"] = value
                await send(frame)
            elif kind == "close":
                code, reason = value
                await send({"type": "websocket.close", "code": code if 1000 <= code < 5000 else 1000, "reason": reason})
                return
            else:
                return

    tasks = [asyncio.ensure_future(from_browser()), asyncio.ensure_future(to_browser())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    log.info('{"worker":"%s","websocket":"%s","closed":true}', host.name, scope["path"])
