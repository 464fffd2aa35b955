"""Token estimates for text and chat messages when no provider reports usage.

These are *estimates* (llm-wire-formats.md §8): about 4 characters per token for English, plus the
OpenAI cookbook's chat overhead (3 tokens per message, 1 more with a `name`, 3 to prime the reply).
Non-English text and code use more tokens than this predicts. Callers that show or bill the number
must carry an "estimated" flag (the Conversation object stores one per message).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD = 3
NAME_OVERHEAD = 1
REPLY_PRIMING = 3
# OpenAI bills a low-detail image at 85 tokens; a fixed guess keeps estimates cheap and bounded.
IMAGE_TOKENS = 85


def estimate_text_tokens(text: str | None) -> int:
    """Estimated tokens in `text`: ceil(len / 4), 0 for empty or None."""
    if not text:
        return 0
    return -(-len(text) // CHARS_PER_TOKEN)


def estimate_content_tokens(content: Any) -> int:
    """Estimated tokens of a message `content`: a string, None, or a list of OpenAI content parts."""
    if content is None:
        return 0
    if isinstance(content, str):
        return estimate_text_tokens(content)
    total = 0
    for part in content:
        if isinstance(part, str):
            total += estimate_text_tokens(part)
        elif isinstance(part, Mapping):
            kind = part.get("type")
            if kind == "text":
                total += estimate_text_tokens(part.get("text"))
            elif kind in ("image_url", "input_image", "image"):
                total += IMAGE_TOKENS
            else:
                total += estimate_text_tokens(str(part.get(kind, "")) if kind else "")
    return total


def estimate_message_tokens(message: Mapping[str, Any]) -> int:
    """Estimated tokens one chat message adds to a prompt, overhead included."""
    tokens = MESSAGE_OVERHEAD + estimate_content_tokens(message.get("content"))
    if message.get("name"):
        tokens += NAME_OVERHEAD + estimate_text_tokens(message["name"])
    tool_calls = message.get("tool_calls")
    if tool_calls:
        for call in tool_calls:
            function = call.get("function") or {}
            tokens += estimate_text_tokens(function.get("name")) + estimate_text_tokens(function.get("arguments"))
    return tokens


def estimate_messages_tokens(messages: Iterable[Mapping[str, Any]], tools: Iterable[Any] | None = None) -> int:
    """Estimated prompt tokens of a chat request: its messages, tool definitions and reply priming."""
    total = REPLY_PRIMING
    for message in messages:
        total += estimate_message_tokens(message)
    if tools:
        import json

        total += estimate_text_tokens(json.dumps(list(tools), separators=(",", ":")))
    return total
