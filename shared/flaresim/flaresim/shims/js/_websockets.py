"""`WebSocketPair`: two connected WebSocket ends, as workerd gives a Worker.

The Worker keeps the `server` end (`accept()`, `send()`, `close()`, `addEventListener(...)`) and
returns the `client` end in a 101 response; flaresim's dev server (`websocket_bridge`) attaches
the client end to a real WebSocket connection. Events are dispatched in a later loop turn, as JS
dispatches them; messages that arrive before `accept()` wait for it. A listener may be a plain
function or a coroutine function (its task is kept referenced until it finishes).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from pyodide.ffi import JsException, JsProxy

CONNECTING, OPEN, CLOSING, CLOSED = 0, 1, 2, 3


class MessageEvent(JsProxy):
    _js_name = "MessageEvent"

    def __init__(self, data: Any) -> None:
        self.type = "message"
        self.data = data


class CloseEvent(JsProxy):
    _js_name = "CloseEvent"

    def __init__(self, code: int, reason: str, was_clean: bool) -> None:
        self.type = "close"
        self.code = code
        self.reason = reason
        self.wasClean = was_clean


class WebSocket(JsProxy):
    """One end of a pair."""

    _js_name = "WebSocket"

    def __init__(self) -> None:
        self.peer: WebSocket | None = None
        self.readyState = CONNECTING
        self.accepted = False
        self._listeners: dict[str, list[Callable[..., Any]]] = {}
        self._pending: deque[Any] = deque()
        self._tasks: set[asyncio.Task[Any]] = set()

    def accept(self) -> None:
        if self.accepted:
            raise JsException("Can't accept() WebSocket that was already accepted.", "TypeError")
        self.accepted = True
        self.readyState = OPEN
        while self._pending:
            self._dispatch(self._pending.popleft())

    def addEventListener(self, kind: str, listener: Callable[..., Any], *_options: Any) -> None:  # noqa: N802
        self._listeners.setdefault(kind, []).append(listener)

    def removeEventListener(self, kind: str, listener: Callable[..., Any], *_options: Any) -> None:  # noqa: N802
        if listener in self._listeners.get(kind, []):
            self._listeners[kind].remove(listener)

    def send(self, data: Any) -> None:
        if not self.accepted:
            raise JsException("You must call accept() on this WebSocket before sending messages.", "TypeError")
        if self.readyState != OPEN:
            raise JsException("Can't call WebSocket send() after close().", "TypeError")
        if hasattr(data, "to_bytes"):
            data = data.to_bytes()
        if not isinstance(data, (str, bytes)):
            raise JsException("WebSocket send() takes a string or an ArrayBuffer/ArrayBufferView.", "TypeError")
        self._other_end()._receive(MessageEvent(data))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close both ends; the peer gets a `close` event (this end already knows)."""
        if self.readyState in (CLOSING, CLOSED):
            return
        self.readyState = CLOSED
        self._other_end()._receive(CloseEvent(code, reason, True))

    def _other_end(self) -> WebSocket:
        if self.peer is None:  # only WebSocketPair makes ends, and it pairs them
            raise JsException("This WebSocket is not part of a WebSocketPair.", "TypeError")
        return self.peer

    def _receive(self, event: Any) -> None:
        if event.type == "close":
            if self.readyState == CLOSED:
                return
            self.readyState = CLOSED
        if self.accepted:
            self._schedule(event)
        else:
            self._pending.append(event)

    def _schedule(self, event: Any) -> None:
        asyncio.get_running_loop().call_soon(self._dispatch, event)

    def _dispatch(self, event: Any) -> None:
        for listener in list(self._listeners.get(event.type, ())):
            result = listener(event)
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)


class WebSocketPair(JsProxy):
    """`new WebSocketPair()`: `client, server = pair.object_values()` (or unpack the pair directly)."""

    _js_name = "WebSocketPair"

    def __init__(self) -> None:
        self.client = WebSocket()
        self.server = WebSocket()
        self.client.peer = self.server
        self.server.peer = self.client

    @classmethod
    def new(cls) -> WebSocketPair:
        return cls()

    def object_values(self) -> list[WebSocket]:
        """Pyodide's view of the JS object's values: [client, server] (keys "0" and "1")."""
        return [self.client, self.server]

    def __iter__(self) -> Iterator[WebSocket]:
        return iter((self.client, self.server))

    def __getitem__(self, index: int | str) -> WebSocket:
        return (self.client, self.server)[int(index)]
