"""The benchmark's upstream: an OpenAI-compatible server with no delay (raw asyncio, uvloop).

JSON answers, or an SSE stream when the request says `"stream": true`. Run by bench/gateway.py
(`--serve-upstream PORT`), bench/monitoring_overhead.py and make profile.
"""

from __future__ import annotations

import asyncio
import json

ANSWER = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1_790_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Gateways route, cache and count.", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 14, "completion_tokens": 6, "total_tokens": 20},
    }
).encode()


def _sse_chunks() -> list[bytes]:
    def chunk(delta: dict, finish: str | None = None, usage: dict | None = None) -> bytes:
        body = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1_790_000_000}
        body["model"] = "gpt-4o-mini-2024-07-18"
        body["choices"] = [] if usage else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        body["usage"] = usage
        return b"data: " + json.dumps(body).encode() + b"\n\n"

    words = ["Gateways", " route,", " cache", " and", " count."]
    events = [chunk({"role": "assistant", "content": ""})] + [chunk({"content": w}) for w in words]
    events += [chunk({}, "stop"), chunk({}, usage={"prompt_tokens": 14, "completion_tokens": 5, "total_tokens": 19})]
    return [*events, b"data: [DONE]\n\n"]


class Upstream(asyncio.Protocol):
    """A minimal keep-alive HTTP/1.1 server: JSON answers, or an SSE stream when `"stream": true`."""

    JSON_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(ANSWER)
    SSE_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    SSE = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in _sse_chunks()) + b"0\r\n\r\n"

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            at = head.find(b"content-length:")
            length = (
                int(head[at + 15 : head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None]) if at >= 0 else 0
            )
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            if b'"stream":true' in body.replace(b" ", b""):
                self.transport.write(self.SSE_HEAD + self.SSE)
            else:
                self.transport.write(self.JSON_HEAD + ANSWER)


def serve_upstream(port: int) -> None:
    import uvloop

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Upstream, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    uvloop.run(main())
