"""The official `openai` client works unchanged against the proxy: chat, streaming, embeddings,
models, and errors as the exception classes it raises for OpenAI itself."""

from __future__ import annotations

import base64
import struct

import openai
import pytest
from proxy_harness import openai_config


async def test_chat_completion_comes_from_the_configured_upstream(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams))
    raw = await proxy.client().chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello there"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "primary says: hello there"
    assert completion.usage.prompt_tokens == 10
    assert raw.headers["x-flarekit-model"] == "gpt-4o-mini"
    assert raw.headers["x-flarekit-deployment"] == "primary/gpt-4o-mini-at-primary"
    assert float(raw.headers["x-flarekit-cost-usd"]) > 0
    assert raw.headers["x-request-id"].startswith("req_")
    # The upstream got its own model name and key, not the client's.
    assert primary.requests[0]["model"] == "gpt-4o-mini-at-primary"
    assert primary.headers[0]["authorization"] == "Bearer sk-upstream"


async def test_streaming_chat_yields_chunks_and_the_usage_chunk(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams))
    stream = await proxy.client().chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "stream me"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "primary says: stream me"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0
    assert {c.id for c in chunks} == {chunks[0].id}
    assert [c.choices[0].delta.role for c in chunks if c.choices].count("assistant") == 1


async def test_the_stream_helper_assembles_the_answer_without_doubling_fields(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams))
    async with proxy.client().chat.completions.stream(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "helper"}]
    ) as stream:
        async for _event in stream:
            pass
        final = await stream.get_final_completion()
    assert final.choices[0].message.role == "assistant"
    assert final.choices[0].message.content == "primary says: helper"


async def test_without_include_usage_no_usage_chunk_reaches_the_client(start_proxy, upstreams):
    primary, _ = upstreams
    proxy = await start_proxy(openai_config(*upstreams))
    stream = await proxy.client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], stream=True
    )
    chunks = [chunk async for chunk in stream]
    assert all(c.choices for c in chunks)
    # The proxy still asked the upstream for usage, to cost the request.
    assert primary.requests[0]["stream_options"] == {"include_usage": True}


async def test_embeddings_are_decoded_by_the_sdk_in_its_default_base64_and_as_floats(start_proxy, upstreams):
    config = openai_config(*upstreams)
    config["models"]["text-embedding-3-small"] = [{"provider": "primary", "model": "text-embedding-3-small"}]
    proxy = await start_proxy(config)
    client = proxy.client()
    default = await client.embeddings.create(model="text-embedding-3-small", input=["abc", "de"])
    assert [d.embedding for d in default.data] == [[3.0, 0.5, -0.25], [2.0, 0.5, -0.25]]
    floats = await client.embeddings.create(model="text-embedding-3-small", input="abcd", encoding_format="float")
    assert floats.data[0].embedding == [4.0, 0.5, -0.25]
    raw = await client.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input="abcd", encoding_format="base64"
    )
    encoded = raw.http_response.json()["data"][0]["embedding"]
    assert struct.unpack("<3f", base64.b64decode(encoded)) == (4.0, 0.5, -0.25)


async def test_models_lists_the_configured_aliases(start_proxy, upstreams):
    config = openai_config(*upstreams)
    config["models"]["fast"] = [{"provider": "backup", "model": "tiny"}]
    proxy = await start_proxy(config)
    client = proxy.client()
    listed = [m.id async for m in client.models.list()]
    assert listed == ["gpt-4o-mini", "fast"]
    assert (await client.models.retrieve("fast")).owned_by == "backup"


@pytest.mark.parametrize(
    ("kwargs", "exception", "status"),
    [
        ({"model": "gpt-9"}, openai.NotFoundError, 404),
        ({"model": "gpt-4o-mini", "messages": []}, openai.BadRequestError, 400),
    ],
)
async def test_bad_requests_raise_the_sdks_exception_classes(start_proxy, upstreams, kwargs, exception, status):
    proxy = await start_proxy(openai_config(*upstreams))
    request = {"messages": [{"role": "user", "content": "x"}], **kwargs}
    with pytest.raises(exception) as caught:
        await proxy.client().chat.completions.create(**request)
    assert caught.value.status_code == status
    assert caught.value.request_id.startswith("req_")


async def test_a_wrong_key_is_an_authentication_error(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams))
    with pytest.raises(openai.AuthenticationError) as caught:
        await proxy.client(key="sk-wrong").chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.code == "invalid_api_key"
    assert upstreams[0].count == 0
