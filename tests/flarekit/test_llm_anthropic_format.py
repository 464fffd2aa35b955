"""OpenAI requests become Anthropic Messages requests, and Anthropic answers and streams come back
as OpenAI completions and chunks (llm-wire-formats.md §6.6)."""

from __future__ import annotations

import pytest

from flarekit.errors import HTTPError
from flarekit.llm.anthropic_format import AnthropicStreamTranslator, from_anthropic, to_anthropic
from flarekit.llm.errors import ProviderError
from flarekit.llm.openai_format import StreamAssembler


def test_system_tools_and_tool_results_are_translated():
    body = {
        "model": "claude",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Use metric."}]},
            {"role": "user", "content": "Weather in Oslo and Bergen?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "w", "arguments": '{"city":"Oslo"}'}},
                    {"id": "call_2", "type": "function", "function": {"name": "w", "arguments": '{"city":"Bergen"}'}},
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "5C"},
            {"role": "tool", "tool_call_id": "call_2", "content": "7C"},
        ],
        "tools": [{"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}],
        "tool_choice": "required",
        "stop": "END",
        "max_tokens": 50,
        "temperature": 1.6,
    }
    request = to_anthropic(body, "claude-haiku-4-5")
    assert request["system"] == "Be brief.\n\nUse metric."
    assert request["max_tokens"] == 50
    assert request["stop_sequences"] == ["END"]
    assert request["temperature"] == 1.0  # OpenAI's 0-2 clamped to Anthropic's 0-1
    assert request["tool_choice"] == {"type": "any"}
    assert request["tools"] == [{"name": "w", "description": "", "input_schema": {"type": "object"}}]
    assert [m["role"] for m in request["messages"]] == ["user", "assistant", "user"]
    assert request["messages"][1]["content"][0] == {
        "type": "tool_use",
        "id": "call_1",
        "name": "w",
        "input": {"city": "Oslo"},
    }
    # Consecutive tool results merge into one user turn.
    assert [b["tool_use_id"] for b in request["messages"][2]["content"]] == ["call_1", "call_2"]


def test_sampling_is_dropped_for_models_and_versions_that_reject_it():
    body = {"messages": [{"role": "user", "content": "hi"}], "temperature": 0.2, "top_p": 0.9}
    assert "temperature" not in to_anthropic(body, "claude-sonnet-5-5")
    assert "top_p" not in to_anthropic(body, "claude-haiku-4-5", version="2026-10-21")
    assert to_anthropic(body, "claude-haiku-4-5")["temperature"] == 0.2


def test_a_data_uri_image_becomes_a_base64_block():
    body = {
        "messages": [
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}
        ]
    }
    block = to_anthropic(body, "c")["messages"][0]["content"][0]
    assert block == {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}


def test_invalid_tool_arguments_are_a_client_error():
    body = {
        "messages": [
            {
                "role": "assistant",
                "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{"}}],
            }
        ]
    }
    with pytest.raises(HTTPError) as caught:
        to_anthropic(body, "c")
    assert caught.value.status == 400


def test_a_message_becomes_a_completion_with_summed_usage():
    message = {
        "id": "msg_1",
        "type": "message",
        "model": "claude-haiku-4-5",
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "w", "input": {"city": "Oslo"}},
        ],
        "stop_reason": "tool_use",
        "usage": {
            "input_tokens": 10,
            "output_tokens": 5,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 20,
        },
    }
    result = from_anthropic(message, 1700000000)
    choice = result["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Checking."
    assert choice["message"]["tool_calls"][0]["function"] == {"name": "w", "arguments": '{"city": "Oslo"}'}
    assert result["usage"]["prompt_tokens"] == 130
    assert result["usage"]["prompt_tokens_details"] == {"cached_tokens": 100}
    assert result["usage"]["completion_tokens"] == 5


EVENTS = [
    {
        "type": "message_start",
        "message": {"id": "msg_1", "model": "claude-haiku-4-5", "usage": {"input_tokens": 42, "output_tokens": 1}},
    },
    {"type": "ping"},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Checking."}},
    {"type": "content_block_stop", "index": 0},
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "w", "input": {}},
    },
    {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"city": "Os'}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": 'lo"}'}},
    {"type": "content_block_stop", "index": 1},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 30}},
    {"type": "message_stop"},
]


def test_a_stream_becomes_openai_chunks_with_tool_calls_indexed_from_zero():
    translator = AnthropicStreamTranslator(1700000000, include_usage=True)
    chunks = [c for event in EVENTS for c in translator.feed(event)]
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == "chatcmpl-msg_1" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    first_tool = next(c for c in chunks if c["choices"] and "tool_calls" in c["choices"][0]["delta"])
    assert first_tool["choices"][0]["delta"]["tool_calls"][0]["index"] == 0  # not Anthropic's block index 1
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 30
    assert chunks[-1]["usage"]["prompt_tokens"] == 42
    assembler = StreamAssembler()
    for item in chunks:
        assembler.add(item)
    message = assembler.result()["choices"][0]["message"]
    assert message["content"] == "Checking."
    assert message["tool_calls"][0]["function"]["arguments"] == '{"city": "Oslo"}'
    assert assembler.result()["choices"][0]["finish_reason"] == "tool_calls"


def test_an_error_event_raises_a_stream_error():
    translator = AnthropicStreamTranslator(1, include_usage=False)
    translator.feed(EVENTS[0])
    with pytest.raises(ProviderError) as caught:
        translator.feed({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    assert caught.value.kind == "stream_error" and "Overloaded" in caught.value.message
