"""Anthropic's Messages API, translated from and to OpenAI chat completions (llm-wire-formats.md §6).

Requests: system/developer messages become the top-level `system`; consecutive tool results merge
into one user turn of `tool_result` blocks; assistant tool calls become `tool_use` blocks. Responses
and streams come back as OpenAI completions and chunks; usage sums Anthropic's three input counters
into `prompt_tokens` (fact 15).
"""

from __future__ import annotations

import json
from typing import Any

from flarekit.errors import HTTPError
from flarekit.llm.errors import stream_error
from flarekit.llm.openai_format import chunk, completion, new_id, usage_chunk
from flarekit.llm.tokens import Usage

API_VERSION = "2023-06-01"
# API version 2026-10-21 rejects temperature/top_p/top_k even at default values (§0 fact 9).
VERSIONS_WITHOUT_SAMPLING = frozenset({"2026-10-21"})
# Models that reject sampling parameters on any API version (§6.2).
MODELS_WITHOUT_SAMPLING = ("claude-opus-4-7", "claude-opus-5", "claude-sonnet-5", "claude-fable-5")
DEFAULT_MAX_TOKENS = 4096

STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def _bad(message: str, param: str | None = None) -> HTTPError:
    return HTTPError(400, message, code="invalid_request_for_provider", param=param)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _image_block(part: dict[str, Any]) -> dict[str, Any]:
    url = (part.get("image_url") or {}).get("url", "")
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = header[5:].split(";")[0]
        if media_type not in _IMAGE_TYPES:
            raise _bad(f"image type {media_type!r} is not supported by Anthropic", "messages")
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _user_blocks(content: Any) -> Any:
    if isinstance(content, str) or content is None:
        return content or ""
    blocks = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif kind == "image_url":
            blocks.append(_image_block(part))
        else:
            raise _bad(f"content part type {kind!r} cannot be sent to Anthropic", "messages")
    return blocks


def _assistant_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    text = _text_of(message.get("content"))
    if text:
        blocks.append({"type": "text", "text": text})
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        try:
            arguments = json.loads(function.get("arguments") or "{}")
        except ValueError:
            raise _bad("tool call arguments must be valid JSON to be sent to Anthropic", "messages") from None
        blocks.append({"type": "tool_use", "id": call.get("id"), "name": function.get("name"), "input": arguments})
    return blocks


def _messages(openai_messages: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for message in openai_messages:
        role = message.get("role")
        if role in ("system", "developer"):
            system.append(_text_of(message.get("content")))
            continue
        if role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": message.get("tool_call_id"),
                "content": _text_of(message.get("content")),
            }
            previous = out[-1] if out else None
            if previous and previous["role"] == "user" and previous.get("_tool_results"):
                previous["content"].append(block)
            else:
                out.append({"role": "user", "content": [block], "_tool_results": True})
            continue
        if role == "assistant":
            out.append({"role": "assistant", "content": _assistant_blocks(message)})
        elif role == "user":
            out.append({"role": "user", "content": _user_blocks(message.get("content"))})
        else:
            raise _bad(f"message role {role!r} cannot be sent to Anthropic", "messages")
    for item in out:
        item.pop("_tool_results", None)
    return "\n\n".join(s for s in system if s), out


def _tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    result: dict[str, Any] | None
    if choice is None:
        result = None
    elif choice == "auto":
        result = {"type": "auto"}
    elif choice == "none":
        result = {"type": "none"}
    elif choice == "required":
        result = {"type": "any"}
    elif isinstance(choice, dict):
        result = {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    else:
        raise _bad(f"tool_choice {choice!r} is not supported", "tool_choice")
    if parallel is False:
        result = result or {"type": "auto"}
        result["disable_parallel_tool_use"] = True
    return result


def drops_sampling(model: str, version: str) -> bool:
    """Whether this model and API version reject temperature/top_p/top_k (then they are dropped)."""
    return version in VERSIONS_WITHOUT_SAMPLING or model.startswith(MODELS_WITHOUT_SAMPLING)


def to_anthropic(body: dict[str, Any], model: str, *, version: str = API_VERSION) -> dict[str, Any]:
    """The Messages API request for an OpenAI chat request."""
    if (body.get("n") or 1) > 1:
        raise _bad("n > 1 is not supported by Anthropic", "n")
    system, messages = _messages(body.get("messages") or [])
    request: dict[str, Any] = {
        "model": model,
        "max_tokens": body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_MAX_TOKENS,
        "messages": messages,
    }
    if system:
        request["system"] = system
    if body.get("stream"):
        request["stream"] = True
    stop = body.get("stop")
    if stop:
        request["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if not drops_sampling(model, version):
        if body.get("temperature") is not None:
            # OpenAI's range is 0-2, Anthropic's 0-1.
            request["temperature"] = min(float(body["temperature"]), 1.0)
        if body.get("top_p") is not None:
            request["top_p"] = body["top_p"]
    tools = body.get("tools")
    if tools:
        request["tools"] = [
            {
                "name": (t.get("function") or {}).get("name"),
                "description": (t.get("function") or {}).get("description", ""),
                "input_schema": (t.get("function") or {}).get("parameters") or {"type": "object", "properties": {}},
            }
            for t in tools
            if isinstance(t, dict)
        ]
    choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    if choice is not None:
        request["tool_choice"] = choice
    user = body.get("safety_identifier") or body.get("user")
    if user:
        request["metadata"] = {"user_id": str(user)}
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        request["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
    return request


def usage_from_anthropic(usage: Any) -> Usage:
    """OpenAI-meaning usage from Anthropic's counters (input excludes cache reads and writes)."""
    if not isinstance(usage, dict):
        return Usage()
    read = int(usage.get("cache_read_input_tokens") or 0)
    written = int(usage.get("cache_creation_input_tokens") or 0)
    prompt = int(usage.get("input_tokens") or 0) + read + written
    return Usage(prompt, int(usage.get("output_tokens") or 0), read)


def from_anthropic(message: dict[str, Any], created: int) -> dict[str, Any]:
    """An OpenAI completion for a Messages API response."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.get("content") or ():
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text", ""))
        elif kind == "tool_use":
            calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {"name": block.get("name"), "arguments": json.dumps(block.get("input") or {})},
                }
            )
    text = "".join(texts)
    return completion(
        "chatcmpl-" + str(message.get("id") or new_id("")),
        created,
        str(message.get("model") or ""),
        text if (text or not calls) else None,
        finish_reason=STOP_REASONS.get(message.get("stop_reason") or "end_turn", "stop"),
        tool_calls=calls or None,
        usage=usage_from_anthropic(message.get("usage")),
    )


class AnthropicStreamTranslator:
    """Anthropic stream events in, OpenAI chunks out (one translator per stream)."""

    def __init__(self, created: int, include_usage: bool) -> None:
        self.created = created
        self.include_usage = include_usage
        self.id = ""
        self.model = ""
        self.usage_in: dict[str, Any] = {}
        self.output_tokens = 0
        self.finish: str | None = None
        self._tool_index: dict[int, int] = {}
        self.finished = False

    @property
    def usage(self) -> Usage:
        merged = dict(self.usage_in)
        merged["output_tokens"] = self.output_tokens
        return usage_from_anthropic(merged)

    def _chunk(self, delta: dict[str, Any] | None, finish: str | None = None) -> dict[str, Any]:
        return chunk(self.id, self.created, self.model, delta, finish, self.include_usage)

    def feed(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        """Translate one event's data; an `error` event raises a ProviderError (kind `stream_error`)."""
        kind = data.get("type")
        if kind == "message_start":
            message = data.get("message") or {}
            self.id = "chatcmpl-" + str(message.get("id") or new_id(""))
            self.model = str(message.get("model") or "")
            self.usage_in = message.get("usage") or {}
            self.output_tokens = int(self.usage_in.get("output_tokens") or 0)
            return [self._chunk({"role": "assistant", "content": ""})]
        if kind == "content_block_start":
            block = data.get("content_block") or {}
            if block.get("type") != "tool_use":
                return []
            position = len(self._tool_index)
            self._tool_index[int(data.get("index", 0))] = position
            call = {
                "index": position,
                "id": block.get("id"),
                "type": "function",
                "function": {"name": block.get("name"), "arguments": ""},
            }
            return [self._chunk({"tool_calls": [call]})]
        if kind == "content_block_delta":
            delta = data.get("delta") or {}
            if delta.get("type") == "text_delta":
                return [self._chunk({"content": delta.get("text", "")})]
            if delta.get("type") == "input_json_delta":
                position = self._tool_index.get(int(data.get("index", 0)), 0)
                piece = delta.get("partial_json", "")
                if not piece:
                    return []
                return [self._chunk({"tool_calls": [{"index": position, "function": {"arguments": piece}}]})]
            return []  # thinking and signature deltas have no OpenAI equivalent
        if kind == "message_delta":
            usage = data.get("usage") or {}
            if usage.get("output_tokens") is not None:
                self.output_tokens = int(usage["output_tokens"])  # cumulative, not a delta
            reason = (data.get("delta") or {}).get("stop_reason")
            if reason:
                self.finish = STOP_REASONS.get(reason, "stop")
                return [self._chunk({}, self.finish)]
            return []
        if kind == "message_stop":
            self.finished = True
            if self.include_usage:
                return [usage_chunk(self.id, self.created, self.model, self.usage)]
            return []
        if kind == "error":
            error = data.get("error") or {}
            raise stream_error(
                f"Anthropic: {error.get('message') or 'stream error'}", str(error.get("type") or "api_error")
            )
        return []  # ping and future event types


ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def error_message(body: Any) -> str:
    """The message of an Anthropic error body (`{"type":"error","error":{"type","message"}}`)."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message") or body["error"].get("type") or "")
    return ""
