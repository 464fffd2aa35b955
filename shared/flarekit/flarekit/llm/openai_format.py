"""The OpenAI wire format: completions, stream chunks, errors, embeddings, and stream assembly.

Everything the gateway sends a client is built here, in the exact shapes the `openai` SDK accepts
(llm-wire-formats.md §1-§4): every chunk has `object: "chat.completion.chunk"` and the same `id`
and `created`; `role` is sent once, in the first delta; a tool call's `id`, `type` and `name` only in
its first fragment; with `include_usage` one extra chunk with `choices: []` carries the usage.
"""

from __future__ import annotations

import base64
import json
import random
import struct
from typing import Any

from flarekit.llm.tokens import Usage, usage_from_openai

CHUNK = "chat.completion.chunk"
COMPLETION = "chat.completion"


def new_id(prefix: str = "chatcmpl-") -> str:
    """A fresh response id (drawn per request: entropy is refused at import time on Workers)."""
    return f"{prefix}{random.getrandbits(96):024x}"


def chunk(
    response_id: str,
    created: int,
    model: str,
    delta: dict[str, Any] | None,
    finish_reason: str | None = None,
    usage_field: bool = False,
) -> dict[str, Any]:
    """A `chat.completion.chunk` with one choice; `usage_field` adds `"usage": null`.

    With `stream_options.include_usage` OpenAI sends `usage: null` on every chunk but the last.
    """
    item = {
        "id": response_id,
        "object": CHUNK,
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": finish_reason}],
    }
    if usage_field:
        item["usage"] = None
    return item


def usage_chunk(response_id: str, created: int, model: str, usage: Usage) -> dict[str, Any]:
    """The extra chunk `stream_options.include_usage` asks for: no choices, usage filled."""
    return {
        "id": response_id,
        "object": CHUNK,
        "created": created,
        "model": model,
        "choices": [],
        "usage": usage.to_openai(),
    }


def completion(
    response_id: str,
    created: int,
    model: str,
    content: str | None,
    *,
    finish_reason: str = "stop",
    tool_calls: list[dict[str, Any]] | None = None,
    usage: Usage | None = None,
    extra_message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `chat.completion` with one choice."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    if extra_message:
        message.update(extra_message)
    body: dict[str, Any] = {
        "id": response_id,
        "object": COMPLETION,
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
    }
    if usage is not None:
        body["usage"] = usage.to_openai()
    return body


def error_body(message: str, type_: str = "invalid_request_error", param: str | None = None, code: str | None = None):
    """OpenAI's error object; all four keys are required by the spec (§4.1)."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def completion_usage(body: dict[str, Any]) -> Usage | None:
    """The usage of a completion or chunk (None when it reports none)."""
    return usage_from_openai(body.get("usage"))


def completion_text(body: dict[str, Any]) -> str:
    """The first choice's text of a completion (empty when there is none)."""
    choices = body.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            return message["content"]
    return ""


class StreamAssembler:
    """Rebuilds one `chat.completion` from the chunks of a stream (to cache or store it)."""

    __slots__ = ("_content", "_created", "_extra", "_finish", "_id", "_model", "_tools", "usage")

    def __init__(self) -> None:
        self._id = ""
        self._created = 0
        self._model = ""
        self._content: list[str] = []
        self._extra: dict[str, list[str]] = {}
        self._tools: dict[int, dict[str, Any]] = {}
        self._finish: str | None = None
        self.usage: Usage | None = None

    def add(self, data: dict[str, Any]) -> None:
        """Account for one chunk."""
        if not self._id:
            self._id = str(data.get("id") or "")
            self._created = int(data.get("created") or 0)
            self._model = str(data.get("model") or "")
        usage = usage_from_openai(data.get("usage"))
        if usage is not None:
            self.usage = usage
        for choice in data.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            if choice.get("finish_reason"):
                self._finish = choice["finish_reason"]
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                continue
            for key, value in delta.items():
                if key == "content":
                    if isinstance(value, str):
                        self._content.append(value)
                elif key == "tool_calls":
                    self._add_tool_calls(value)
                elif key == "reasoning_content" and isinstance(value, str):
                    self._extra.setdefault(key, []).append(value)

    def _add_tool_calls(self, calls: Any) -> None:
        for call in calls or ():
            if not isinstance(call, dict):
                continue
            slot = self._tools.setdefault(
                int(call.get("index", 0)), {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
            )
            if call.get("id"):
                slot["id"] = call["id"]
            function = call.get("function") or {}
            if function.get("name"):
                slot["function"]["name"] = function["name"]
            if isinstance(function.get("arguments"), str):
                slot["function"]["arguments"] += function["arguments"]

    def result(self) -> dict[str, Any]:
        """The assembled completion."""
        tools = [self._tools[i] for i in sorted(self._tools)]
        text = "".join(self._content)
        return completion(
            self._id,
            self._created,
            self._model,
            text if (text or not tools) else None,
            finish_reason=self._finish or ("tool_calls" if tools else "stop"),
            tool_calls=tools or None,
            usage=self.usage,
            extra_message={k: "".join(v) for k, v in self._extra.items()} or None,
        )


def replay_chunks(body: dict[str, Any], include_usage: bool) -> list[dict[str, Any]]:
    """A completion as the chunks of a stream (a cached answer replayed, a non-streaming provider)."""
    response_id = str(body.get("id") or new_id())
    created = int(body.get("created") or 0)
    model = str(body.get("model") or "")
    choices = body.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    chunks = [chunk(response_id, created, model, {"role": "assistant", "content": ""})]
    if message.get("reasoning_content"):
        chunks.append(chunk(response_id, created, model, {"reasoning_content": message["reasoning_content"]}))
    if message.get("content"):
        chunks.append(chunk(response_id, created, model, {"content": message["content"]}))
    for index, call in enumerate(message.get("tool_calls") or ()):
        function = call.get("function") or {}
        first = {
            "index": index,
            "id": call.get("id"),
            "type": "function",
            "function": {"name": function.get("name", ""), "arguments": ""},
        }
        chunks.append(chunk(response_id, created, model, {"tool_calls": [first]}))
        if function.get("arguments"):
            rest = {"index": index, "function": {"arguments": function["arguments"]}}
            chunks.append(chunk(response_id, created, model, {"tool_calls": [rest]}))
    chunks.append(chunk(response_id, created, model, {}, choice.get("finish_reason") or "stop"))
    if include_usage:
        usage = usage_from_openai(body.get("usage")) or Usage()
        for item in chunks:
            item["usage"] = None
        chunks.append(usage_chunk(response_id, created, model, usage))
    return chunks


def dumps(data: Any) -> bytes:
    """Compact JSON as bytes (what goes on the wire)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def embedding_base64(vector: list[float]) -> str:
    """A float32 little-endian base64 string, what the SDK decodes when it asked for base64 (§3.1)."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def embeddings_list(model: str, vectors: list[list[float]], usage: Usage, encoding: str) -> dict[str, Any]:
    """An OpenAI embeddings response; `encoding` "base64" packs each vector."""
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": embedding_base64(v) if encoding == "base64" else v,
        }
        for i, v in enumerate(vectors)
    ]
    return {
        "object": "list",
        "model": model,
        "data": data,
        "usage": {"prompt_tokens": usage.prompt_tokens, "total_tokens": usage.prompt_tokens},
    }
