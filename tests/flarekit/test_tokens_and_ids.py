"""Token estimates (about 4 characters a token plus chat overhead) and identifiers."""

from __future__ import annotations

from flarekit.ids import CountingIds, digest_id, new_id
from flarekit.tokens import (
    estimate_content_tokens,
    estimate_message_tokens,
    estimate_messages_tokens,
    estimate_text_tokens,
)


def test_text_is_about_four_characters_a_token_rounded_up():
    assert [estimate_text_tokens(t) for t in ("", None, "abc", "abcd", "abcde")] == [0, 0, 1, 1, 2]


def test_messages_add_overhead_per_message_name_and_reply_priming():
    message = {"role": "user", "content": "x" * 40}
    assert estimate_message_tokens(message) == 3 + 10
    assert estimate_message_tokens({**message, "name": "bob"}) == 3 + 10 + 1 + 1
    assert estimate_messages_tokens([message, message]) == 2 * 13 + 3


def test_content_parts_count_text_and_a_fixed_cost_per_image():
    parts = [{"type": "text", "text": "x" * 8}, {"type": "image_url", "image_url": {"url": "data:..."}}]
    assert estimate_content_tokens(parts) == 2 + 85


def test_tool_calls_and_tool_definitions_count():
    call = {"role": "assistant", "content": None, "tool_calls": [{"function": {"name": "get", "arguments": "{}" * 4}}]}
    assert estimate_message_tokens(call) == 3 + 1 + 2
    tools = [{"type": "function", "function": {"name": "get"}}]
    assert estimate_messages_tokens([], tools) > estimate_messages_tokens([])


def test_random_ids_carry_their_prefix_and_differ():
    first, second = new_id("conv_"), new_id("conv_")
    assert first.startswith("conv_") and first != second and len(first) == 5 + 24
    assert first[5:].isalnum() and first == first.lower()


def test_digests_are_stable_and_counting_ids_are_deterministic():
    assert digest_id("sk-abc") == digest_id("sk-abc") != digest_id("sk-abd")
    ids = CountingIds()
    assert [ids("r_"), ids("r_")] == ["r_000001", "r_000002"]
