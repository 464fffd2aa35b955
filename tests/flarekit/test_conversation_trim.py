"""Trimming a conversation to a token budget: the system prompt stays, the oldest go first."""

from __future__ import annotations

from flarekit.conversation import trim_to_budget
from flarekit.tokens import estimate_message_tokens

SYSTEM = {"role": "system", "content": "Be brief."}


def turns(n: int) -> list[dict]:
    messages = []
    for i in range(n):
        messages.append({"role": "user", "content": f"question {i} " + "x" * 40})
        messages.append({"role": "assistant", "content": f"answer {i} " + "y" * 40})
    return messages


def test_everything_fits_without_a_budget():
    result = trim_to_budget(turns(3), None, SYSTEM)
    assert result.messages[0] == SYSTEM and len(result.messages) == 7 and result.dropped == 0


def test_the_oldest_messages_are_dropped_first_and_the_system_prompt_is_kept():
    messages = turns(5)
    per_message = estimate_message_tokens(messages[0])
    budget = estimate_message_tokens(SYSTEM) + 4 * per_message + 1
    result = trim_to_budget(messages, budget, SYSTEM)
    assert result.messages[0] == SYSTEM
    assert [m["content"].split()[:2] for m in result.messages[1:]] == [
        ["question", "3"],
        ["answer", "3"],
        ["question", "4"],
        ["answer", "4"],
    ]
    assert result.dropped == 6
    assert result.tokens <= budget


def test_a_history_never_starts_with_an_orphaned_answer_or_tool_result():
    messages = [
        {"role": "user", "content": "q"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "1", "content": "r" * 40},
        {"role": "assistant", "content": "a" * 40},
    ]
    costs = [estimate_message_tokens(m) for m in messages]
    result = trim_to_budget(messages, sum(costs[2:]), None)
    assert result.messages == [] and result.tokens == 0 and result.dropped == 4


def test_a_zero_budget_keeps_only_the_system_prompt():
    result = trim_to_budget(turns(2), 0, SYSTEM)
    assert result.messages == [SYSTEM]
