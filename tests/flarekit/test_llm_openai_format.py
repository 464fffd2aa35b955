"""Chunks, assembled streams, replayed streams and embeddings in the shapes the openai SDK accepts."""

from __future__ import annotations

import base64
import struct

from flarekit.llm.openai_format import (
    StreamAssembler,
    chunk,
    completion,
    embedding_base64,
    embeddings_list,
    error_body,
    replay_chunks,
)
from flarekit.llm.tokens import Usage


def _tool_stream():
    rid, created, model = "chatcmpl-1", 1700000000, "m"
    return [
        chunk(rid, created, model, {"role": "assistant", "content": ""}),
        chunk(rid, created, model, {"content": "Let me check. "}),
        chunk(
            rid,
            created,
            model,
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            },
        ),
        chunk(rid, created, model, {"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
        chunk(rid, created, model, {"tool_calls": [{"index": 0, "function": {"arguments": '"Oslo"}'}}]}),
        chunk(rid, created, model, {}, "tool_calls"),
        {
            "id": rid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
        },
    ]


def test_a_streamed_tool_call_is_assembled_into_one_completion():
    assembler = StreamAssembler()
    for item in _tool_stream():
        assembler.add(item)
    result = assembler.result()
    message = result["choices"][0]["message"]
    assert result["object"] == "chat.completion"
    assert result["id"] == "chatcmpl-1"
    assert message["content"] == "Let me check. "
    assert message["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}
    ]
    assert result["choices"][0]["finish_reason"] == "tool_calls"
    assert result["usage"]["total_tokens"] == 13


def test_a_replayed_completion_sends_role_and_tool_ids_once():
    body = completion(
        "chatcmpl-2",
        1,
        "m",
        "Hi",
        finish_reason="tool_calls",
        tool_calls=[{"id": "call_9", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}],
        usage=Usage(5, 2),
    )
    chunks = replay_chunks(body, include_usage=True)
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert [d.get("role") for d in deltas].count("assistant") == 1
    assert sum(1 for d in deltas for t in d.get("tool_calls", ()) if "id" in t) == 1
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == "chatcmpl-2" for c in chunks)
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 7
    assert all(c["usage"] is None for c in chunks[:-1])
    # Replaying and assembling gives the completion back.
    assembler = StreamAssembler()
    for item in chunks:
        assembler.add(item)
    again = assembler.result()
    assert again["choices"][0]["message"]["tool_calls"] == body["choices"][0]["message"]["tool_calls"]
    assert again["choices"][0]["message"]["content"] == "Hi"


def test_without_include_usage_no_chunk_carries_usage():
    chunks = replay_chunks(completion("c", 1, "m", "x", usage=Usage(1, 1)), include_usage=False)
    assert all("usage" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_base64_embeddings_decode_to_the_same_float32_values():
    vector = [0.25, -1.5, 3.0]
    encoded = embedding_base64(vector)
    assert list(struct.unpack("<3f", base64.b64decode(encoded))) == vector
    body = embeddings_list("bge", [vector], Usage(3), "base64")
    assert body["data"][0] == {"object": "embedding", "index": 0, "embedding": encoded}
    assert body["usage"] == {"prompt_tokens": 3, "total_tokens": 3}


def test_error_bodies_carry_all_four_keys():
    assert error_body("nope") == {
        "error": {"message": "nope", "type": "invalid_request_error", "param": None, "code": None}
    }
