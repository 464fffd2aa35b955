"""Trimming a conversation to a token budget (pure): keep the system prompt, drop the oldest first.

After trimming, leading messages that cannot start a prompt (an assistant reply or a tool result
whose request was dropped) are dropped too, so providers never see an orphaned tool result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flarekit.tokens import estimate_message_tokens

# OpenAI-shaped fields a stored message keeps besides role and content.
MESSAGE_FIELDS = ("name", "tool_calls", "tool_call_id")
ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


@dataclass(frozen=True, slots=True)
class Trimmed:
    """The messages that fit (oldest first), their token total, and how many were dropped."""

    messages: list[dict[str, Any]]
    tokens: int
    dropped: int


def trim_newest_first(
    newest_first: Iterable[tuple[dict[str, Any], int]],
    budget: int | None,
    total: int,
) -> Trimmed:
    """Keep messages from the newest back while their tokens fit `budget`; `total` is how many exist.

    `newest_first` yields `(message, tokens)`; iteration stops at the first message that does not
    fit, so a long history is read only as far as the budget reaches.
    """
    kept: list[tuple[dict[str, Any], int]] = []
    tokens = 0
    for message, cost in newest_first:
        if budget is not None and tokens + cost > budget:
            break
        kept.append((message, cost))
        tokens += cost
    kept.reverse()
    # Drop leading replies and tool results: the request they answer is gone.
    start = 0
    while start < len(kept) and kept[start][0]["role"] in ("assistant", "tool"):
        tokens -= kept[start][1]
        start += 1
    messages = [message for message, _ in kept[start:]]
    return Trimmed(messages, tokens, total - len(messages))


def trim_to_budget(
    messages: Sequence[Mapping[str, Any]], budget: int | None, system: Mapping[str, Any] | None = None
) -> Trimmed:
    """Trim a list of chat messages (oldest first) to `budget` estimated tokens, keeping `system` first."""
    system_tokens = estimate_message_tokens(system) if system else 0
    remaining = None if budget is None else max(0, budget - system_tokens)
    costs = [(dict(m), estimate_message_tokens(m)) for m in reversed(messages)]
    trimmed = trim_newest_first(costs, remaining, len(messages))
    if system:
        return Trimmed([dict(system), *trimmed.messages], trimmed.tokens + system_tokens, trimmed.dropped)
    return trimmed
