"""With no GATEWAY_CONFIG everything goes to Workers AI (simulated by flaresim): unknown model names
use DEFAULT_MODEL, `@cf/` names pass through, embeddings use bge; plus the native `/ai/run` route."""

from __future__ import annotations

import openai
import pytest

from flaresim.ai import simulator


async def test_any_model_name_is_answered_by_the_default_workers_ai_model(start_proxy):
    proxy = await start_proxy()
    raw = await proxy.client().chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}], max_tokens=50
    )
    completion = raw.parse()
    assert raw.headers["x-flarekit-model"] == "@cf/zai-org/glm-4.7-flash"
    assert completion.choices[0].message.content.startswith("[simulated] @cf/zai-org/glm-4.7-flash")
    assert completion.usage.total_tokens > 0
    assert [m.id async for m in proxy.client().models.list()] == [
        "@cf/zai-org/glm-4.7-flash",
        "@cf/baai/bge-base-en-v1.5",
    ]


@pytest.mark.parametrize("model", ["@cf/zai-org/glm-4.7-flash", "@cf/meta/llama-3.3-70b-instruct-fp8-fast"])
async def test_streams_of_either_workers_ai_shape_read_as_openai_chunks(start_proxy, model):
    proxy = await start_proxy()
    stream = await proxy.client().chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "stream"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith(f"[simulated] {model}")
    assert chunks[-1].usage.completion_tokens > 0
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


async def test_the_callers_max_tokens_reaches_a_legacy_model(start_proxy):
    proxy = await start_proxy()
    completion = await proxy.client().chat.completions.create(
        model="@cf/meta/llama-3.3-70b-instruct-fp8-fast", messages=[{"role": "user", "content": "x"}], max_tokens=3
    )
    assert completion.usage.completion_tokens == 3


async def test_embeddings_use_the_default_embedding_model_in_base64_and_floats(start_proxy):
    proxy = await start_proxy()
    client = proxy.client()
    default = await client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert len(default.data) == 2 and len(default.data[0].embedding) == 768
    floats = await client.embeddings.create(model="text-embedding-3-small", input="a", encoding_format="float")
    assert floats.data[0].embedding == pytest.approx(default.data[0].embedding)


async def test_a_capacity_error_is_retried_and_a_missing_model_is_a_404(start_proxy, flaresim):
    proxy = await start_proxy()
    simulator(flaresim).fail_next("3040: Capacity temporarily exceeded, please try again.")
    completion = await proxy.client().chat.completions.create(model="any", messages=[{"role": "user", "content": "x"}])
    assert completion.choices[0].message.content
    with pytest.raises(openai.NotFoundError) as caught:
        await proxy.client().chat.completions.create(
            model="@cf/meta/llama-3.1-8b-instruct", messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.code == "model_not_found"


async def test_the_native_route_answers_like_cloudflares_rest_api(start_proxy, flaresim):
    proxy = await start_proxy()
    model = "@cf/meta/llama-3.3-70b-instruct-fp8-fast"
    status, headers, answer = await proxy.post(f"/ai/run/{model}", {"messages": [{"role": "user", "content": "hi"}]})
    assert status == 200 and answer["success"] is True and answer["errors"] == []
    assert answer["result"]["response"].startswith("[simulated]") and answer["result"]["usage"]["total_tokens"] > 0
    status, _, answer = await proxy.post("/ai/run/@cf/nope/model", {"prompt": "hi"})
    assert status == 404 and answer["success"] is False and answer["errors"][0]["code"] == 5007
    status, headers, text = await proxy.post(f"/ai/run/{model}", {"prompt": "hi", "stream": True})
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    assert text.rstrip().endswith("data: [DONE]")
