"""Workers AI's two output shapes (legacy and OpenAI-like) and its errors, read as OpenAI (§7)."""

from __future__ import annotations

import json

import pytest

from flarekit.llm.openai_format import StreamAssembler
from flarekit.llm.tokens import Usage
from flarekit.llm.workers_ai_format import (
    WorkersAIStreamTranslator,
    from_workers_ai,
    inference_error,
    to_workers_ai,
)


def test_the_callers_limit_is_forwarded_and_openai_only_fields_are_dropped():
    inputs = to_workers_ai(
        {"model": "@cf/x", "messages": [], "max_completion_tokens": 900, "user": "u", "stream_options": {}, "seed": 3}
    )
    assert inputs == {"messages": [], "max_completion_tokens": 900, "max_tokens": 900, "seed": 3}


def test_a_legacy_answer_with_tool_calls_gets_ids_and_string_arguments():
    result = {
        "response": "",
        "tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 5, "total_tokens": 45},
    }
    body = from_workers_ai(result, "@cf/meta/llama-3.3-70b-instruct-fp8-fast", 1)
    message = body["choices"][0]["message"]
    assert message["content"] is None
    call = message["tool_calls"][0]
    assert call["id"].startswith("call_") and call["type"] == "function"
    assert json.loads(call["function"]["arguments"]) == {"city": "Oslo"}
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert body["usage"]["total_tokens"] == 45


def test_an_openai_shaped_answer_is_kept():
    result = {
        "id": "id-1",
        "object": "chat.completion",
        "created": 5,
        "model": "@cf/zai-org/glm-4.7-flash",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    assert from_workers_ai(result, "@cf/zai-org/glm-4.7-flash", 9) == result


@pytest.mark.parametrize(
    "events",
    [
        [
            {"response": "New"},
            {"response": " York"},
            {"response": "", "usage": {"prompt_tokens": 4, "completion_tokens": 2}},
        ],
        [
            {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "New"}}]},
            {"choices": [{"index": 0, "delta": {"content": " York"}}]},
            {
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 4, "completion_tokens": 2},
            },
        ],
    ],
    ids=["legacy", "openai-shaped"],
)
def test_both_stream_shapes_give_the_same_openai_chunks(events):
    translator = WorkersAIStreamTranslator("@cf/m", 1, include_usage=True)
    chunks = [c for e in events for c in translator.feed(e)]
    chunks += translator.finish_chunks(translator.usage or Usage())
    roles = [c["choices"][0]["delta"].get("role") for c in chunks if c["choices"]]
    assert roles.count("assistant") == 1
    assembler = StreamAssembler()
    for item in chunks:
        assembler.add(item)
    result = assembler.result()
    assert result["choices"][0]["message"]["content"] == "New York"
    assert result["choices"][0]["finish_reason"] == "stop"
    assert result["usage"]["total_tokens"] == 6


@pytest.mark.parametrize(
    ("message", "status", "retryable"),
    [
        ("3040: Capacity temporarily exceeded, please try again.", 429, True),
        ("3036: You have used up your daily free allocation of 10,000 neurons.", 429, False),
        ("5007: No such model @cf/nope", 404, False),
        ("3007: Request timeout", 504, True),
        ("something unexpected", 502, True),
    ],
)
def test_inference_errors_map_to_statuses_by_internal_code(message, status, retryable):
    error = inference_error(message)
    assert (error.status, error.retryable) == (status, retryable)
