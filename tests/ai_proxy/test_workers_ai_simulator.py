"""flaresim's Workers AI: the per-model output shapes, streams, usage, embeddings, errors with
internal codes, deterministic labelled text, and forwarding to an OpenAI-compatible server."""

from __future__ import annotations

import json
import math

import pytest
from pyodide.ffi import JsException
from upstreams import FakeOpenAI, serving

from flaresim.ai import WorkersAI, simulator

GLM = "@cf/zai-org/glm-4.7-flash"
LLAMA = "@cf/meta/llama-3.3-70b-instruct-fp8-fast"
ASK = {"messages": [{"role": "user", "content": "Hello there"}]}


async def _events(stream) -> list:
    body = b"".join([chunk.to_bytes() async for chunk in stream])
    assert body.endswith(b"data: [DONE]\n\n")
    return [json.loads(line[6:]) for line in body.split(b"\n\n") if line.startswith(b"data: {")]


async def test_newer_models_answer_a_full_openai_completion_with_usage(flaresim):
    answer = await WorkersAI(flaresim).run(GLM, ASK)
    assert answer["object"] == "chat.completion" and answer["model"] == GLM
    assert answer["choices"][0]["message"]["content"].startswith(f"[simulated] {GLM}")
    assert answer["usage"]["total_tokens"] == answer["usage"]["prompt_tokens"] + answer["usage"]["completion_tokens"]
    assert answer.choices[0]["finish_reason"] == "stop"  # JS objects come back with attribute access


async def test_legacy_models_answer_response_and_usage_and_stop_at_max_tokens(flaresim):
    answer = await WorkersAI(flaresim).run(LLAMA, {**ASK, "max_tokens": 4})
    assert set(answer) == {"response", "usage"}
    assert answer["usage"]["completion_tokens"] == 4
    assert answer["response"].startswith("[simulated]")


async def test_the_same_prompt_gets_the_same_answer(flaresim):
    ai = WorkersAI(flaresim)
    first, again = await ai.run(LLAMA, ASK), await ai.run(LLAMA, ASK)
    other = await ai.run(LLAMA, {"messages": [{"role": "user", "content": "Something else"}]})
    assert first == again and first["response"] != other["response"]


async def test_streams_come_in_each_models_own_shape(flaresim):
    ai = WorkersAI(flaresim)
    legacy = await _events(await ai.run(LLAMA, {**ASK, "stream": True}))
    assert all("response" in e for e in legacy) and "usage" in legacy[-1]
    newer = await _events(await ai.run(GLM, {**ASK, "stream": True}))
    assert all(e["object"] == "chat.completion.chunk" for e in newer)
    assert newer[0]["choices"][0]["delta"]["role"] == "assistant"
    assert newer[-1]["choices"][0]["finish_reason"] == "stop" and newer[-1]["usage"]["completion_tokens"] > 0


async def test_bge_models_embed_equal_texts_equally_as_unit_vectors(flaresim):
    result = await WorkersAI(flaresim).run("@cf/baai/bge-small-en-v1.5", {"text": ["a", "b", "a"]})
    assert result["shape"] == [3, 384]
    a, b, a2 = result["data"]
    assert a == a2 and a != b
    assert math.isclose(math.sqrt(sum(v * v for v in a)), 1.0, rel_tol=1e-5)


@pytest.mark.parametrize(
    ("model", "inputs", "code"),
    [
        ("@cf/meta/llama-3.1-8b-instruct", ASK, "5007"),  # deprecated on 2026-05-30
        ("@cf/nobody/nothing", ASK, "5007"),
        (GLM, {"messages": []}, "5004"),
        ("@cf/baai/bge-base-en-v1.5", {"text": []}, "5004"),
    ],
)
async def test_failures_are_inference_upstream_errors_with_internal_codes(flaresim, model, inputs, code):
    with pytest.raises(JsException) as caught:
        await WorkersAI(flaresim).run(model, inputs)
    assert caught.value.name == "InferenceUpstreamError" and caught.value.message.startswith(f"{code}: ")


async def test_queued_failures_come_first(flaresim):
    simulator(flaresim).fail_next("3040: Capacity temporarily exceeded, please try again.", times=2)
    ai = WorkersAI(flaresim)
    for _ in range(2):
        with pytest.raises(JsException, match="3040"):
            await ai.run(GLM, ASK)
    assert (await ai.run(GLM, ASK))["choices"]


async def test_chats_can_be_forwarded_to_an_openai_compatible_server(flaresim):
    server = FakeOpenAI("ollama")
    async with serving(server):
        flaresim.environ["FLARESIM_AI_UPSTREAM"] = server.url + "/v1"
        flaresim.environ["FLARESIM_AI_UPSTREAM_MODEL"] = "llama3.2"
        ai = WorkersAI(flaresim)
        legacy = await ai.run(LLAMA, ASK)
        assert legacy["response"] == "ollama says: Hello there"
        assert server.requests[0]["model"] == "llama3.2"
        streamed = await _events(await ai.run(GLM, {**ASK, "stream": True}))
        text = "".join(e["choices"][0]["delta"].get("content", "") for e in streamed if e["choices"])
        assert text == "ollama says: Hello there"
