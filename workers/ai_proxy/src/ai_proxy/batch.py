"""`POST /v1/batch`: several chat requests in one call, answered in order, each its own result.

    {"requests": [{<chat request>}, ...]}   (a bare JSON array is accepted too)
 -> {"object": "list", "data": [{"index": 0, "status": 200, "response": {<chat.completion>}},
                                {"index": 1, "status": 400, "error": {"message", "type", "param", "code"}}]}

Items run with bounded concurrency (`batch.concurrency`, default 4), each through the same limits,
budget, cache and routing as a single request, and each yields its own request record.
Streaming is not available inside a batch.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from ai_proxy.chat import complete_chat
from ai_proxy.errors import bad_request, error_json, to_http_error
from ai_proxy.proxy_call import ProxyCall, admit, answer, finish, new_call
from flarekit.errors import HTTPError
from flarekit.llm.errors import ProviderError

log = logging.getLogger("ai_proxy")


async def batch(call: ProxyCall) -> Any:
    await admit(call)
    gateway = call.gateway
    body = call.body
    items = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise bad_request("'requests' must be a non-empty array of chat requests.", "requests")
    if len(items) > gateway.config.batch_max_items:
        raise bad_request(f"A batch holds at most {gateway.config.batch_max_items} requests.", "requests")
    gate = asyncio.Semaphore(gateway.config.batch_concurrency)

    async def one(index: int, item: Any) -> dict[str, Any]:
        async with gate:
            sub = new_call(gateway, call.request, call.env, call.ctx, call.headers, "/v1/batch/item", "POST")
            sub.principal = call.principal
            sub.record.key_name, sub.record.key_id = call.record.key_name, call.record.key_id
            try:
                if not isinstance(item, dict):
                    raise bad_request("each request must be a JSON object", f"requests[{index}]")
                if item.get("stream"):
                    raise bad_request("streaming is not available inside a batch", f"requests[{index}].stream")
                sub.body = item
                response = await complete_chat(sub)
                return {"index": index, "status": response.status, "response": json.loads(await response.text())}
            except (HTTPError, ProviderError) as error:
                http = to_http_error(error)
                sub.record.status = http.status
                sub.record.error_type = http.code or http.type
                finish(sub)
                return {"index": index, "status": http.status, "error": json.loads(error_json(http))["error"]}

    results = await asyncio.gather(*(one(i, item) for i, item in enumerate(items)))
    response = answer(call, {"object": "list", "data": list(results)})
    finish(call)
    return response
