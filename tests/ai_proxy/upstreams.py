"""Real HTTP servers on 127.0.0.1 that speak the OpenAI and Anthropic wire formats, with faults.

Each server answers from a script: the next entries of `script` (or `default`) say what the next
request gets: "ok", "500", "hang" (never answers), "reset" (drops the connection), "malformed"
(a body or stream events that are not JSON), "midstream" (a stream that breaks after its first
words), ("429", seconds) / ("429ms", ms) (a rate limit with Retry-After / retry-after-ms),
("status", code) (any error status), ("slow", seconds) (a normal answer, late).
The answer text is "<name> says: <last user message>", so a test can tell who answered.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web


def _last_user(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content)
    return ""


class ScriptedServer:
    """What both fakes share: the script, the requests received, concurrency seen."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.script: deque[Any] = deque()
        self.default: Any = "ok"
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.url = ""

    def next_mode(self) -> Any:
        return self.script.popleft() if self.script else self.default

    async def _record(self, request: web.Request) -> dict[str, Any]:
        body = await request.json()
        self.requests.append(body)
        self.headers.append({k.lower(): v for k, v in request.headers.items()})
        return body

    @property
    def count(self) -> int:
        return len(self.requests)

    async def fault(self, request: web.Request, mode: Any) -> web.StreamResponse | None:
        """Answer a fault mode, or None for a normal answer."""
        if mode == "ok" or mode in ("malformed", "midstream"):
            return None
        if isinstance(mode, tuple) and mode[0] == "slow":
            await asyncio.sleep(mode[1])
            return None
        if mode == "hang":
            await asyncio.sleep(3600)
        if mode == "reset":
            request.transport.abort()
            return web.Response(status=500)
        if mode == "500":
            return self.error(500, "The server had an error while processing your request.", "server_error")
        if isinstance(mode, tuple) and mode[0] in ("429", "429ms"):
            response = self.error(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded")
            response.headers["retry-after-ms" if mode[0] == "429ms" else "retry-after"] = str(mode[1])
            return response
        if isinstance(mode, tuple) and mode[0] == "status":
            return self.error(mode[1], f"scripted status {mode[1]}", "invalid_request_error")
        raise AssertionError(f"unknown mode {mode!r}")

    def error(self, status: int, message: str, type_: str, code: str | None = None) -> web.Response:
        return web.json_response(
            {"error": {"message": message, "type": type_, "param": None, "code": code}}, status=status
        )

    def app(self) -> web.Application:
        raise NotImplementedError


class FakeOpenAI(ScriptedServer):
    """`/v1/chat/completions` (streaming and not) and `/v1/embeddings`, as OpenAI answers them."""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/v1/embeddings", self.embeddings)
        return app

    def reply(self, body: dict[str, Any]) -> str:
        return f"{self.name} says: {_last_user(body.get('messages') or [])}"

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            mode = self.next_mode()
            faulted = await self.fault(request, mode)
            if faulted is not None:
                return faulted
            text = self.reply(body)
            usage = {
                "prompt_tokens": 10,
                "completion_tokens": len(text.split()),
                "total_tokens": 10 + len(text.split()),
            }
            if not body.get("stream"):
                if mode == "malformed":
                    return web.Response(text='{"id": "chatcmpl-x", "choices": [', content_type="application/json")
                return web.json_response(
                    {
                        "id": f"chatcmpl-{self.name}-{self.count}",
                        "object": "chat.completion",
                        "created": 1_790_000_000,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text, "refusal": None},
                                "logprobs": None,
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": usage,
                        "system_fingerprint": "fp_fake",
                    }
                )
            return await self.stream(request, body, text, usage, mode)
        finally:
            self.in_flight -= 1

    async def stream(self, request: web.Request, body: dict[str, Any], text: str, usage: dict[str, int], mode: Any):
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        if mode == "malformed":
            await response.write(b"data: {this is not json\n\n")
            await response.write(b"data: [DONE]\n\n")
            return response
        include_usage = (body.get("stream_options") or {}).get("include_usage")
        rid = f"chatcmpl-{self.name}-{self.count}"

        def event(delta: dict[str, Any], finish: str | None = None) -> bytes:
            chunk = {
                "id": rid,
                "object": "chat.completion.chunk",
                "created": 1_790_000_000,
                "model": body["model"],
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
            if include_usage:
                chunk["usage"] = None
            return b"data: " + json.dumps(chunk).encode() + b"\n\n"

        await response.write(event({"role": "assistant", "content": ""}))
        words = text.split(" ")
        for index, word in enumerate(words):
            await response.write(event({"content": word if index == 0 else " " + word}))
            if mode == "midstream":
                request.transport.abort()
                return response
        await response.write(event({}, "stop"))
        if include_usage:
            chunk = {"id": rid, "object": "chat.completion.chunk", "created": 1_790_000_000, "model": body["model"]}
            chunk.update({"choices": [], "usage": usage})
            await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        return response

    async def embeddings(self, request: web.Request) -> web.StreamResponse:
        import base64
        import struct

        body = await self._record(request)
        faulted = await self.fault(request, self.next_mode())
        if faulted is not None:
            return faulted
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        vectors = [[float(len(str(text))), 0.5, -0.25] for text in inputs]
        data = []
        for index, vector in enumerate(vectors):
            value: Any = vector
            if body.get("encoding_format") == "base64":
                value = base64.b64encode(struct.pack("<3f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": value})
        return web.json_response(
            {"object": "list", "model": body["model"], "data": data, "usage": {"prompt_tokens": 4, "total_tokens": 4}}
        )


class FakeAnthropic(ScriptedServer):
    """`/v1/messages` as Anthropic answers it, with a tool call when the request offers tools."""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/messages", self.messages)
        return app

    def error(self, status: int, message: str, type_: str, code: str | None = None) -> web.Response:
        kind = {429: "rate_limit_error", 500: "api_error"}.get(status, "invalid_request_error")
        return web.json_response({"type": "error", "error": {"type": kind, "message": message}}, status=status)

    async def messages(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        faulted = await self.fault(request, self.next_mode())
        if faulted is not None:
            return faulted
        text = f"{self.name} says: {_last_user(body.get('messages') or [])}"
        blocks: list[dict[str, Any]] = [{"type": "text", "text": text}]
        if body.get("tools"):
            blocks.append(
                {"type": "tool_use", "id": "toolu_01", "name": body["tools"][0]["name"], "input": {"city": "Oslo"}}
            )
        stop = "tool_use" if body.get("tools") else "end_turn"
        usage = {"input_tokens": 20, "output_tokens": 7, "cache_read_input_tokens": 5, "cache_creation_input_tokens": 0}
        if not body.get("stream"):
            return web.json_response(
                {
                    "id": "msg_01",
                    "type": "message",
                    "role": "assistant",
                    "model": body["model"],
                    "content": blocks,
                    "stop_reason": stop,
                    "stop_sequence": None,
                    "usage": usage,
                }
            )
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)

        async def send(name: str, data: dict[str, Any]) -> None:
            await response.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())

        start = {"id": "msg_01", "type": "message", "role": "assistant", "content": [], "model": body["model"]}
        start["usage"] = {"input_tokens": 20, "output_tokens": 1, "cache_read_input_tokens": 5}
        await send("message_start", {"type": "message_start", "message": start})
        await send("ping", {"type": "ping"})
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                await send(
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
                )
                for word in text.split(" "):
                    delta = {"type": "text_delta", "text": word + " "}
                    await send("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
            else:
                head = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
                await send(
                    "content_block_start", {"type": "content_block_start", "index": index, "content_block": head}
                )
                for piece in ('{"city": ', '"Oslo"}'):
                    delta = {"type": "input_json_delta", "partial_json": piece}
                    await send("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
            await send("content_block_stop", {"type": "content_block_stop", "index": index})
        await send(
            "message_delta", {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": 7}}
        )
        await send("message_stop", {"type": "message_stop"})
        return response


@asynccontextmanager
async def serving(*servers: ScriptedServer):
    """Run the servers on free ports; each gets its `url` (http://127.0.0.1:PORT)."""
    runners = []
    try:
        for server in servers:
            runner = web.AppRunner(server.app(), access_log=None, shutdown_timeout=0.1)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]
            server.url = f"http://127.0.0.1:{port}"
            runners.append(runner)
        yield servers
    finally:
        for runner in runners:
            await runner.cleanup()
