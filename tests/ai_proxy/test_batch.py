"""`/v1/batch`: results in request order, each its own success or error, with bounded concurrency."""

from __future__ import annotations

from proxy_harness import openai_config


async def test_a_batch_answers_each_request_in_order(start_proxy, upstreams):
    primary, _ = upstreams
    primary.default = ("slow", 0.05)
    proxy = await start_proxy(openai_config(*upstreams, batch={"concurrency": 2}))
    requests = [{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"q{n}"}]} for n in range(5)]
    requests.insert(2, {"model": "missing", "messages": [{"role": "user", "content": "x"}]})
    requests.append({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "stream": True})
    status, _, answer = await proxy.post("/v1/batch", {"requests": requests})
    assert status == 200
    results = answer["data"]
    assert [r["index"] for r in results] == list(range(7))
    assert [r["status"] for r in results] == [200, 200, 404, 200, 200, 200, 400]
    assert results[0]["response"]["choices"][0]["message"]["content"] == "primary says: q0"
    assert results[5]["response"]["choices"][0]["message"]["content"] == "primary says: q4"
    assert results[2]["error"]["code"] == "model_not_found"
    assert primary.max_in_flight == 2


async def test_a_batch_over_the_item_limit_is_refused(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams, batch={"max_items": 2}))
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
    status, _, answer = await proxy.post("/v1/batch", {"requests": [request] * 3})
    assert status == 400 and "at most 2" in answer["error"]["message"]
