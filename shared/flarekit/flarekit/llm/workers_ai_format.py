"""Workers AI: inputs for `env.AI.run`, and its per-model outputs as OpenAI completions and chunks.

Output shape is per model (llm-wire-formats.md §0 fact 12): older models return
`{"response", "tool_calls", "usage"}` and stream `{"response": ...}` events; newer ones (such as
`@cf/zai-org/glm-4.7-flash`) return an OpenAI `chat.completion` and stream `choices[].delta`. Both
are read here. Failures arrive as `InferenceUpstreamError("<code>: <description>")` (fact 14).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flarekit.llm.errors import ProviderError, status_error
from flarekit.llm.openai_format import chunk, completion, new_id, usage_chunk
from flarekit.llm.tokens import Usage, usage_from_openai

# OpenAI request fields Workers AI has no use for (its schema validation may reject them).
_DROPPED = frozenset(
    {"model", "stream_options", "user", "metadata", "store", "service_tier", "safety_identifier", "prompt_cache_key"}
)


def to_workers_ai(body: dict[str, Any]) -> dict[str, Any]:
    """`env.AI.run` inputs for an OpenAI chat request (other fields pass through untouched)."""
    inputs = {k: v for k, v in body.items() if k not in _DROPPED}
    # Legacy models default max_tokens to 256 (fact 13): always forward the caller's limit.
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit:
        inputs["max_tokens"] = limit
    return inputs


def _tool_call(call: dict[str, Any], index: int) -> dict[str, Any]:
    if isinstance(call.get("function"), dict):  # already OpenAI-shaped
        function = call["function"]
        arguments = function.get("arguments")
        return {
            "id": call.get("id") or f"call_{index}",
            "type": "function",
            "function": {
                "name": function.get("name"),
                "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments or {}),
            },
        }
    # Legacy: {"name", "arguments": <object>} with no id; mint one and serialise the arguments.
    arguments = call.get("arguments")
    return {
        "id": call.get("id") or f"call_{index}",
        "type": "function",
        "function": {
            "name": call.get("name"),
            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments or {}),
        },
    }


def from_workers_ai(result: Any, model: str, created: int) -> dict[str, Any]:
    """An OpenAI completion for a Workers AI result of either shape."""
    if not isinstance(result, dict):
        raise ValueError(f"unexpected Workers AI result {type(result).__name__}")
    if isinstance(result.get("choices"), list):
        body = dict(result)
        body.setdefault("id", new_id())
        body["object"] = "chat.completion"
        body.setdefault("created", created)
        body.setdefault("model", model)
        return body
    if "response" not in result and "tool_calls" not in result:
        raise ValueError("a Workers AI result without response, tool_calls or choices")
    response = result.get("response")
    text = response if isinstance(response, str) else ("" if response is None else json.dumps(response))
    calls = [_tool_call(c, i) for i, c in enumerate(result.get("tool_calls") or ()) if isinstance(c, dict)]
    return completion(
        new_id(),
        created,
        model,
        text if (text or not calls) else None,
        finish_reason="tool_calls" if calls else "stop",
        tool_calls=calls or None,
        usage=usage_from_openai(result.get("usage")),
    )


class WorkersAIStreamTranslator:
    """Workers AI stream events (either shape) in, OpenAI chunks out."""

    def __init__(self, model: str, created: int, include_usage: bool) -> None:
        self.id = new_id()
        self.model = model
        self.created = created
        self.include_usage = include_usage
        self.usage: Usage | None = None
        self.finish: str | None = None
        self._started = False
        self._tools = 0

    def _chunk(self, delta: dict[str, Any] | None, finish: str | None = None) -> dict[str, Any]:
        return chunk(self.id, self.created, self.model, delta, finish, self.include_usage)

    def feed(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        """Translate one event's JSON data."""
        out: list[dict[str, Any]] = []
        if not self._started:
            self._started = True
            out.append(self._chunk({"role": "assistant", "content": ""}))
        usage = usage_from_openai(data.get("usage"))
        if usage is not None:
            self.usage = usage
        choices = data.get("choices")
        if isinstance(choices, list):
            for choice in choices:
                delta = dict(choice.get("delta") or {})
                delta.pop("role", None)  # sent once, above (fact 5)
                if delta.get("tool_calls"):
                    self._tools += len(delta["tool_calls"])
                if choice.get("finish_reason"):
                    self.finish = choice["finish_reason"]
                if any(v not in (None, "") for v in delta.values()):
                    out.append(self._chunk(delta))
            return out
        response = data.get("response")
        if response is not None and response != "":
            # Some models (Llama 4) stream numeric `response` values.
            out.append(self._chunk({"content": response if isinstance(response, str) else str(response)}))
        for call in data.get("tool_calls") or ():
            if isinstance(call, dict):
                shaped = _tool_call(call, self._tools)
                shaped["index"] = self._tools
                self._tools += 1
                out.append(self._chunk({"tool_calls": [shaped]}))
        return out

    def finish_chunks(self, usage: Usage) -> list[dict[str, Any]]:
        """The closing chunks: the finish reason, then usage when asked for."""
        reason = self.finish or ("tool_calls" if self._tools else "stop")
        out = []
        if not self._started:
            out.append(self._chunk({"role": "assistant", "content": ""}))
        out.append(self._chunk({}, reason))
        if self.include_usage:
            out.append(usage_chunk(self.id, self.created, self.model, usage))
        return out


def to_embedding_inputs(value: Any) -> dict[str, Any]:
    """`{"text": [...]}` for an OpenAI embeddings `input` of strings."""
    if isinstance(value, str):
        return {"text": [value]}
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return {"text": list(value)}
    raise status_error(400, "Workers AI embeddings take strings, not token arrays", param="input")


def embedding_vectors(result: Any) -> list[list[float]]:
    """The vectors of a Workers AI embeddings result (`{"shape", "data"}`)."""
    data = result.get("data") if isinstance(result, dict) else None
    if not isinstance(data, list):
        raise ValueError("a Workers AI embeddings result without data")
    return [list(v) for v in data]


# Internal codes -> (HTTP status to report, OpenAI error type, code) (§7.6).
INTERNAL_CODES: dict[int, tuple[int, str, str | None]] = {
    5007: (404, "invalid_request_error", "model_not_found"),
    3042: (404, "invalid_request_error", "model_not_found"),
    5004: (400, "invalid_request_error", None),
    3003: (400, "invalid_request_error", None),
    3006: (400, "invalid_request_error", "context_length_exceeded"),
    3007: (504, "timeout", None),
    3008: (504, "timeout", None),
    3036: (429, "insufficient_quota", "insufficient_quota"),
    3040: (429, "rate_limit_error", "rate_limit_exceeded"),
    5016: (403, "permission_error", None),
    5018: (403, "permission_error", None),
    3023: (403, "permission_error", None),
    3041: (403, "permission_error", None),
    5035: (403, "permission_error", None),
}

_CODE = re.compile(r"(\d{4}):\s*(.*)", re.S)


def inference_error(message: str) -> ProviderError:
    """Classify an `InferenceUpstreamError` message such as `3040: Capacity temporarily exceeded`."""
    found = _CODE.search(message)
    if not found:
        return status_error(502, f"Workers AI: {message}")
    code = int(found.group(1))
    status, error_type, openai_code = INTERNAL_CODES.get(code, (502, "api_error", None))
    error = status_error(
        status, f"Workers AI {code}: {found.group(2).strip()}", error_type=error_type, code=openai_code
    )
    # The daily free allocation (3036) will not come back by retrying; capacity (3040) will.
    error.retryable = code in (3007, 3008, 3040) or status >= 500
    return error
