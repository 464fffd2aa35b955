"""The bot's calls to the proxy: trace context, cache bypass for /retry, streamed answers and errors."""

from __future__ import annotations

import json

import pytest

from flarekit.tracing.propagation import parse_traceparent
from telegram_bot.proxy_client import ProxyError, complete, list_models, new_traceparent


class Recorder:
    """Something with `fetch`, as a service binding is: records requests, answers what it is given."""

    def __init__(self, status: int = 200, body: str = "", headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}
        self.requests: list[tuple[str, dict[str, str], str | None]] = []

    async def fetch(self, url, **options):
        from workers import Response

        self.requests.append((url, dict(options.get("headers") or {}), options.get("body")))
        return Response(self.body, status=self.status, headers=self.headers)


def sse(*events) -> str:
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"


STREAM = sse(
    {"model": "m", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}]},
    {"model": "m", "choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]},
    {"model": "m", "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 2}},
)


async def test_every_proxy_call_carries_a_fresh_w3c_traceparent(flaresim):
    proxy = Recorder(body=STREAM, headers={"content-type": "text/event-stream"})
    seen = []

    async def on_text(text):
        seen.append(text)

    trace = new_traceparent()
    answer = await complete(
        proxy, "sk-bot", {"model": "m", "messages": []}, timeout=5, traceparent=trace, on_text=on_text
    )
    url, headers, body = proxy.requests[0]
    assert url.endswith("/v1/chat/completions")
    assert headers["authorization"] == "Bearer sk-bot" and headers["traceparent"] == trace
    context = parse_traceparent(trace)
    assert context is not None and context.is_remote
    assert new_traceparent() != trace
    assert json.loads(body)["stream"] is True and json.loads(body)["stream_options"] == {"include_usage": True}
    assert (answer.text, answer.prompt_tokens, answer.completion_tokens, answer.finish_reason) == (
        "Hello",
        12,
        2,
        "stop",
    )
    assert seen[-1] == "Hello"  # on_text sees the whole text so far after each chunk
    assert "cache-control" not in headers


async def test_a_regenerated_answer_asks_the_proxy_not_to_use_its_cache(flaresim):
    proxy = Recorder(body=STREAM)
    await complete(proxy, "sk-bot", {"model": "m", "messages": []}, timeout=5, fresh=True)
    assert proxy.requests[0][1]["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    ("status", "headers", "kind", "retry_after"),
    [
        (429, {"retry-after": "17"}, "rate_limited", 17.0),
        (502, {}, "unavailable", None),
        (401, {}, "rejected", None),
    ],
)
async def test_proxy_errors_are_named_for_the_user_message(flaresim, status, headers, kind, retry_after):
    body = json.dumps({"error": {"message": "nope", "type": "x", "param": None, "code": None}})
    proxy = Recorder(status, body, {"content-type": "application/json", **headers})
    with pytest.raises(ProxyError) as caught:
        await complete(proxy, "sk-bot", {"model": "m", "messages": []}, timeout=5)
    assert (caught.value.kind, caught.value.retry_after, str(caught.value)) == (kind, retry_after, "nope")


async def test_an_error_inside_the_stream_is_a_failed_answer(flaresim):
    proxy = Recorder(body=sse({"error": {"message": "upstream broke mid-stream"}}))
    with pytest.raises(ProxyError, match="upstream broke mid-stream"):
        await complete(proxy, "sk-bot", {"model": "m", "messages": []}, timeout=5)


async def test_the_model_list_is_read_from_the_proxy(flaresim):
    body = json.dumps({"object": "list", "data": [{"id": "a", "object": "model"}, {"id": "b", "object": "model"}]})
    assert await list_models(Recorder(body=body), "sk-bot") == ["a", "b"]
