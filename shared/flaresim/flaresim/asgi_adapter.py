"""Serve a loaded Worker over HTTP: an ASGI app that turns each request into a `workers.Request`.

uvicorn runs it for `flaresim dev`; tests may drive it with any ASGI client. One structured log line
is written per request (JSON: worker, method, path, status, duration).
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import js

from flaresim.runtime import WorkerHost

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

log = logging.getLogger("flaresim.requests")

# wrangler dev answers this path by running the Worker's scheduled() handler (`--test-scheduled`).
SCHEDULED_PATH = "/__scheduled"


def _log_line(fields: dict[str, Any]) -> None:
    log.info(json.dumps(fields, separators=(",", ":")))


def _fields(host: WorkerHost, scope: Scope, status: int, started: float, sent: int) -> dict[str, Any]:
    return {
        "worker": host.name,
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "ms": round((time.perf_counter() - started) * 1000, 2),
        "bytes": sent,
    }


def make_app(
    host: WorkerHost, *, max_body: int = 100 * 1024 * 1024
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The ASGI application serving one Worker."""
    from workers import Request

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await _lifespan(receive, send)
            return
        if kind == "websocket":
            from flaresim.websocket_bridge import serve_websocket

            await serve_websocket(host, scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"]
        if path == SCHEDULED_PATH:
            status = await _scheduled(host, scope, send)
            _log_line(_fields(host, scope, status, started, 0))
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > max_body:
                await _plain(send, 413, "Payload Too Large")
                return
            if not message.get("more_body"):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        host_header = next((v for k, v in headers if k == "host"), "localhost")
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"{scope.get('scheme', 'http')}://{host_header}{scope.get('raw_path', path.encode()).decode('latin-1')}"
        if query and "?" not in url:
            url += "?" + query
        request = Request(url, method=scope["method"], headers=headers, body=bytes(body) if body else None)
        status = 500
        progress = _Progress()
        try:
            response = await host.fetch(request)
            status = response.status
            await _send_response(response, send, progress)
        except Exception as error:
            trace = "".join(traceback.format_exception(error))
            if progress.started:
                # The body failed mid-way: workerd cuts the connection, so the client sees a broken
                # response rather than a complete one. Returning without the final message does that.
                print(f"✘ [ERROR] Response body of {host.name} failed mid-stream:\n{trace}", file=sys.stderr)
            else:  # the Worker threw: workerd answers 500 and logs it
                print(f"✘ [ERROR] Uncaught exception in {host.name}:\n{trace}", file=sys.stderr)
                await _plain(send, 500, "Worker threw exception")
        finally:
            _log_line(_fields(host, scope, status, started, progress.sent))

    return app


class _Progress:
    """How far sending a response got: whether the status line went out, how many body bytes."""

    __slots__ = ("sent", "started")

    def __init__(self) -> None:
        self.started = False
        self.sent = 0


async def _send_response(response: Any, send: Send, progress: _Progress) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response._headers]
    body = response._body
    if body is None or isinstance(body, bytes):
        data = body or b""
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        progress.started = True
        await send({"type": "http.response.body", "body": data})
        progress.sent = len(data)
        return
    stream = body._lock() if isinstance(body, js.ReadableStream) else body
    try:
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        progress.started = True
        async for chunk in stream:
            progress.sent += len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
    await send({"type": "http.response.body", "body": b""})


async def _plain(send: Send, status: int, text: str) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain;charset=UTF-8")]}
    )
    await send({"type": "http.response.body", "body": text.encode()})


async def _scheduled(host: WorkerHost, scope: Scope, send: Send) -> int:
    query = parse_qs(scope.get("query_string", b"").decode())
    cron = query.get("cron", [host.config.crons[0] if host.config.crons else "* * * * *"])[0]
    when = query.get("time", [None])[0]
    try:
        await host.scheduled(cron, int(when) if when else None)
    except Exception as error:
        print(
            f"✘ [ERROR] scheduled() of {host.name} failed:\n{''.join(traceback.format_exception(error))}",
            file=sys.stderr,
        )
        await _plain(send, 500, f"scheduled() failed: {error}")
        return 500
    await _plain(send, 200, "Ran scheduled event")
    return 200


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
