"""Token usage as the gateway accounts for it, and the estimate used when a provider reports none.

`prompt_tokens` follows OpenAI's meaning: it includes cached tokens (`cached_tokens` is a subset),
which is why Anthropic's three input counters are summed when translated (llm-wire-formats.md §0
fact 15). An estimate is flagged so spend reports can say which figures are exact; the estimates
themselves come from `flarekit.tokens`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The estimation rule (four characters per token, the cookbook's chat overhead) is flarekit's one.
from flarekit.tokens import CHARS_PER_TOKEN, REPLY_PRIMING, estimate_messages_tokens, estimate_text_tokens

__all__ = [
    "CHARS_PER_TOKEN",
    "Usage",
    "estimate_input_tokens",
    "estimate_prompt_tokens",
    "estimate_text_tokens",
    "usage_from_openai",
]


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens one request consumed."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_openai(self) -> dict[str, Any]:
        """The `usage` object of an OpenAI response."""
        usage: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }
        if self.cached_tokens:
            usage["prompt_tokens_details"] = {"cached_tokens": self.cached_tokens}
        return usage


def usage_from_openai(usage: Any) -> Usage | None:
    """Read an OpenAI `usage` object (None when absent or not an object)."""
    if not isinstance(usage, dict):
        return None
    prompt = _int(usage.get("prompt_tokens"))
    completion = _int(usage.get("completion_tokens"))
    details = usage.get("prompt_tokens_details")
    cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else 0
    return Usage(prompt, completion, cached)


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else 0


def estimate_prompt_tokens(messages: Any, tools: Any = None) -> int:
    """Prompt tokens of a chat request, estimated from its messages (and tool definitions)."""
    if not isinstance(messages, list):
        return REPLY_PRIMING
    return estimate_messages_tokens([m for m in messages if isinstance(m, dict)], tools)


def estimate_input_tokens(value: Any) -> int:
    """Tokens of an embeddings `input` (a string, a list of strings, or token id arrays)."""
    if isinstance(value, str):
        return estimate_text_tokens(value)
    if isinstance(value, list):
        if value and all(isinstance(v, int) for v in value):
            return len(value)
        return sum(estimate_input_tokens(v) for v in value)
    return 0
