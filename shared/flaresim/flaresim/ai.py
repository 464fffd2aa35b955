"""Workers AI (`env.AI.run`), simulated: a deterministic local text generator, clearly labelled.

What production gives and this mimics (llm-wire-formats.md §7):
- text models answer in their own shape: older ones `{"response", "tool_calls"?, "usage"}` and a
  stream of `data: {"response": "..."}` events; newer ones (`OPENAI_SHAPED`, e.g.
  `@cf/zai-org/glm-4.7-flash`) a full `chat.completion` and `choices[].delta` chunks, with
  `finish_reason` and usage on the last chunk; both streams end with `data: [DONE]`;
- legacy models stop at 256 tokens unless `max_tokens` says otherwise;
- `@cf/baai/bge-*` embeddings: `{"shape": [n, dim], "data": [[...]], "pooling": "mean"}`, no usage;
- failures raise `InferenceUpstreamError("<code>: <description>")` (a JsException here, as in
  Pyodide): 5007 unknown model, 5004 invalid input, or what a test queued with `fail_next`.

Every generated answer starts with "[simulated]" and names the model, so nobody mistakes it for a
real model's output. Set `FLARESIM_AI_UPSTREAM` to an OpenAI-compatible base URL (a local Ollama:
`http://127.0.0.1:11434/v1`) to forward chat requests there instead (`FLARESIM_AI_UPSTREAM_MODEL`
names the upstream model, `FLARESIM_AI_UPSTREAM_KEY` its key); answers are returned in the
requested model's Workers AI shape.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import random
import struct
import weakref
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import js
from pyodide.ffi import JsException

from flaresim.rpc_values import transfer

if TYPE_CHECKING:
    from flaresim.runtime import Runtime

LABEL = "[simulated]"
LEGACY_DEFAULT_MAX_TOKENS = 256
OPENAI_DEFAULT_MAX_TOKENS = 2048

# Models whose output is a full OpenAI chat.completion (§0 fact 12).
OPENAI_SHAPED = frozenset(
    {
        "@cf/zai-org/glm-4.7-flash",
        "@cf/google/gemma-4-26b-a4b-it",
        "@cf/moonshotai/kimi-k2.6",
        "@cf/openai/gpt-oss-120b",
        "@cf/openai/gpt-oss-20b",
    }
)
LEGACY_TEXT = frozenset(
    {
        "@cf/meta/llama-3.1-8b-instruct-fast",
        "@cf/meta/llama-3.1-8b-instruct-fp8-fast",
        "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
        "@cf/meta/llama-3.2-3b-instruct",
        "@cf/meta/llama-4-scout-17b-16e-instruct",
        "@cf/mistralai/mistral-small-3.1-24b-instruct",
        "@cf/qwen/qwen2.5-coder-32b-instruct",
    }
)
EMBEDDING_DIMENSIONS = {
    "@cf/baai/bge-small-en-v1.5": 384,
    "@cf/baai/bge-base-en-v1.5": 768,
    "@cf/baai/bge-large-en-v1.5": 1024,
    "@cf/baai/bge-m3": 1024,
}
# Deprecated on 2026-05-30 (§7.6): production answers these with an error now.
DEPRECATED = frozenset(
    {
        "@cf/meta/llama-3.1-8b-instruct",
        "@cf/meta/llama-3.1-8b-instruct-awq",
        "@cf/meta/llama-3-8b-instruct",
        "@cf/meta/llama-3-8b-instruct-awq",
        "@cf/meta/llama-3.1-70b-instruct",
        "@cf/mistral/mistral-7b-instruct-v0.1",
        "@cf/google/gemma-3-12b-it",
    }
)

# Sentences the simulated model answers with: readable, so a developer trying `make dev` sees
# plausible text, and clearly not a real model's answer.
_SENTENCES = (
    "This answer comes from flaresim's local stand-in for Workers AI, not from a real model.",
    "The same conversation always gets the same reply, so caching and tests are repeatable.",
    "Point GATEWAY_CONFIG at a real provider, or set FLARESIM_AI_UPSTREAM, for real answers.",
    "Streams arrive token by token, with usage reported at the end, as Workers AI sends them.",
    "Every request still goes through the gateway's keys, limits, cache and routing.",
    "Ask again with other words and the reply changes, deterministically.",
)


def _upstream_error(code: int, description: str) -> JsException:
    return JsException(f"{code}: {description}", "InferenceUpstreamError")


@dataclass
class AISimulator:
    """State shared by every `env.AI` of one runtime: queued failures and a call log."""

    failures: deque[str] = field(default_factory=deque)
    calls: deque[tuple[str, dict[str, Any]]] = field(default_factory=lambda: deque(maxlen=1000))
    token_delay: float = 0.0

    def fail_next(self, message: str = "3040: Capacity temporarily exceeded, please try again.", times: int = 1):
        """Make the next `times` calls raise `InferenceUpstreamError(message)`."""
        self.failures.extend([message] * times)


_SIMULATORS: weakref.WeakKeyDictionary[Any, AISimulator] = weakref.WeakKeyDictionary()


def simulator(runtime: Runtime) -> AISimulator:
    """The Workers AI simulator state of a runtime (tests queue failures with `fail_next`)."""
    state = _SIMULATORS.get(runtime)
    if state is None:
        environ = runtime.environ if runtime.environ is not None else os.environ
        state = AISimulator(token_delay=float(environ.get("FLARESIM_AI_TOKEN_DELAY_MS", "0") or 0) / 1000)
        _SIMULATORS[runtime] = state
    return state


def _messages(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    messages = inputs.get("messages")
    if messages is None and isinstance(inputs.get("prompt"), str):
        return [{"role": "user", "content": inputs["prompt"]}]
    if not isinstance(messages, list) or not messages:
        raise _upstream_error(5004, "Invalid data: 'messages' or 'prompt' is required")
    return messages


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _prompt_tokens(messages: list[dict[str, Any]]) -> int:
    return 3 + sum(3 + math.ceil(len(_text(m.get("content"))) / 4) for m in messages if isinstance(m, dict))


def _generate(model: str, messages: list[dict[str, Any]], max_tokens: int) -> tuple[list[str], str]:
    """Deterministic pieces of text (one token each) for a conversation, and the finish reason."""
    seed = hashlib.sha256((model + json.dumps(messages, sort_keys=True, default=str)).encode()).digest()
    rng = random.Random(seed)  # deterministic on purpose: the same prompt gets the same answer
    last_user = next((_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    quoted = " ".join(last_user.split())
    quoted = quoted if len(quoted) <= 60 else quoted[:57] + "..."
    chosen = rng.sample(_SENTENCES, 1 + rng.randrange(3))
    words = f'{LABEL} {model} read your message ("{quoted}").'.split() + " ".join(chosen).split()
    pieces = [w + " " for w in words[:-1]] + [words[-1]]
    if len(pieces) > max_tokens:
        return pieces[:max_tokens], "length"
    return pieces, "stop"


def _forced_tool_call(inputs: dict[str, Any]) -> dict[str, Any] | None:
    """With `tool_choice` required or naming a function, call the (first or named) tool."""
    tools = inputs.get("tools") or []
    choice = inputs.get("tool_choice")
    if not tools or choice in (None, "auto", "none"):
        return None
    wanted = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
    for tool in tools:
        function = tool.get("function", tool) if isinstance(tool, dict) else {}
        if wanted in (None, function.get("name")):
            properties = (function.get("parameters") or {}).get("properties") or {}
            return {"name": function.get("name"), "arguments": {k: "simulated" for k in properties}}
    return None


class WorkersAI:
    """The `AI` binding of one Worker's env."""

    _flaresim_binding = True

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def __repr__(self) -> str:
        return "<Ai (simulated by flaresim)>"

    @property
    def _state(self) -> AISimulator:
        return simulator(self._runtime)

    def _environ(self) -> dict[str, str] | os._Environ[str]:
        return self._runtime.environ if self._runtime.environ is not None else os.environ

    async def run(self, model: str, inputs: Any, options: Any = None, **kwargs: Any) -> Any:
        """Run `model` on `inputs`: a result dict, or a ReadableStream of SSE when `stream` is set."""
        inputs = transfer(inputs) if inputs is not None else {}
        if not isinstance(model, str):
            raise JsException("AI.run: model must be a string", "TypeError")
        self._state.calls.append((model, dict(inputs)))
        if self._state.failures:
            description = self._state.failures.popleft()
            raise JsException(description, "InferenceUpstreamError")
        if model in DEPRECATED:
            raise _upstream_error(5007, f"No such model {model}: deprecated on 2026-05-30")
        if model in EMBEDDING_DIMENSIONS:
            return transfer(_embeddings(model, inputs))
        if model not in OPENAI_SHAPED and model not in LEGACY_TEXT:
            raise _upstream_error(5007, f"No such model {model} or task")
        messages = _messages(inputs)
        upstream = self._environ().get("FLARESIM_AI_UPSTREAM")
        if upstream:
            return await self._forward(upstream, model, inputs, messages)
        default_max = OPENAI_DEFAULT_MAX_TOKENS if model in OPENAI_SHAPED else LEGACY_DEFAULT_MAX_TOKENS
        max_tokens = int(inputs.get("max_tokens") or inputs.get("max_completion_tokens") or default_max)
        call = _forced_tool_call(inputs)
        pieces, finish = ([], "tool_calls") if call else _generate(model, messages, max_tokens)
        usage = {"prompt_tokens": _prompt_tokens(messages), "completion_tokens": len(pieces) + (8 if call else 0)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if inputs.get("stream"):
            return js.ReadableStream(self._stream(model, pieces, finish, usage, call))
        return transfer(_answer(model, "".join(pieces), finish, usage, call, int(self._runtime.clock.now())))

    async def _stream(
        self, model: str, pieces: list[str], finish: str, usage: dict[str, int], call: dict[str, Any] | None
    ) -> AsyncIterator[bytes]:
        openai_shaped = model in OPENAI_SHAPED
        created = int(self._runtime.clock.now())
        rid = f"id-{hashlib.sha256(''.join(pieces).encode()).hexdigest()[:16]}"
        for index, piece in enumerate(pieces):
            if self._state.token_delay:
                await asyncio.sleep(self._state.token_delay)
            if openai_shaped:
                delta: dict[str, Any] = {"content": piece}
                if index == 0:
                    delta["role"] = "assistant"
                event = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model}
                event["choices"] = [{"index": 0, "delta": delta, "finish_reason": None}]
            else:
                event = {"response": piece, "p": "abc"[: 1 + index % 3]}
            yield _sse(event)
        if call is not None:
            tool = {"name": call["name"], "arguments": call["arguments"]}
            if openai_shaped:
                shaped = _openai_tool_call(call, 0)
                shaped["index"] = 0
                event = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model}
                event["choices"] = [{"index": 0, "delta": {"role": "assistant", "tool_calls": [shaped]}}]
                yield _sse(event)
            else:
                yield _sse({"response": "", "tool_calls": [tool]})
        if openai_shaped:
            event = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model}
            event["choices"] = [{"index": 0, "delta": {}, "finish_reason": finish}]
            event["usage"] = usage
            yield _sse(event)
        else:
            yield _sse({"response": "", "usage": usage})
        yield b"data: [DONE]\n\n"

    async def _forward(self, base_url: str, model: str, inputs: dict[str, Any], messages: list[dict[str, Any]]):
        """Send the chat to an OpenAI-compatible server and shape its answer like `model`'s."""
        import aiohttp

        environ = self._environ()
        body = {k: v for k, v in inputs.items() if k not in ("prompt", "raw", "lora")}
        body["messages"] = messages
        body["model"] = environ.get("FLARESIM_AI_UPSTREAM_MODEL") or model
        body["stream"] = False
        headers = {"content-type": "application/json"}
        if environ.get("FLARESIM_AI_UPSTREAM_KEY"):
            headers["authorization"] = f"Bearer {environ['FLARESIM_AI_UPSTREAM_KEY']}"
        url = base_url.rstrip("/") + "/chat/completions"
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.post(url, json=body, headers=headers, timeout=aiohttp.ClientTimeout(total=300)) as response,
            ):
                text = await response.text()
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise _upstream_error(3040, f"flaresim could not reach FLARESIM_AI_UPSTREAM {url}: {error}") from None
        if response.status != 200:
            raise _upstream_error(5004 if response.status < 500 else 3040, f"upstream {response.status}: {text[:300]}")
        answer = json.loads(text)
        message = (answer.get("choices") or [{}])[0].get("message") or {}
        content = message.get("content") or ""
        finish = (answer.get("choices") or [{}])[0].get("finish_reason") or "stop"
        usage = answer.get("usage") or {
            "prompt_tokens": _prompt_tokens(messages),
            "completion_tokens": math.ceil(len(content) / 4),
        }
        usage.setdefault("total_tokens", usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0))
        if inputs.get("stream"):
            pieces = [content[i : i + 16] for i in range(0, len(content), 16)] or [""]
            return js.ReadableStream(self._stream(model, pieces, finish, usage, None))
        return transfer(_answer(model, content, finish, usage, None, int(self._runtime.clock.now())))


def _openai_tool_call(call: dict[str, Any], index: int) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-tool-{index}",
        "type": "function",
        "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
    }


def _answer(
    model: str, text: str, finish: str, usage: dict[str, int], call: dict[str, Any] | None, created: int
) -> dict[str, Any]:
    if model in OPENAI_SHAPED:
        message: dict[str, Any] = {"role": "assistant", "content": text or None, "reasoning_content": None}
        if call is not None:
            message["tool_calls"] = [_openai_tool_call(call, 0)]
        return {
            "id": f"id-{hashlib.sha256(text.encode()).hexdigest()[:16]}",
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {**usage, "prompt_tokens_details": {"cached_tokens": 0}},
            "system_fingerprint": "flaresim-simulated",
        }
    result: dict[str, Any] = {"response": text, "usage": usage}
    if call is not None:
        result["tool_calls"] = [call]
    return result


def _sse(event: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def _embeddings(model: str, inputs: dict[str, Any]) -> dict[str, Any]:
    texts = inputs.get("text")
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise _upstream_error(5004, "Invalid data: 'text' must be a string or a non-empty list of strings")
    dim = EMBEDDING_DIMENSIONS[model]
    return {"shape": [len(texts), dim], "data": [_vector(t, dim) for t in texts], "pooling": "mean"}


def _vector(text: str, dim: int) -> list[float]:
    """A unit vector derived from the text's hash: equal texts embed equally, others differ."""
    seed = hashlib.sha256(text.encode()).digest()
    raw = b""
    counter = 0
    while len(raw) < dim * 4:
        raw += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    values = [v / 2**31 - 1.0 for v in struct.unpack(f">{dim}I", raw[: dim * 4])]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    # Rounded to float32 precision, as the platform returns float32 values.
    return [struct.unpack("<f", struct.pack("<f", v / norm))[0] for v in values]
