"""Reading a request's JSON body safely: size, syntax, nesting and message count checked once.

Limits (configurable under `request`): 1 MiB (413), JSON nested deeper than 32 (400), more than
256 messages (400). Unknown fields are kept: they pass through to the provider untouched.
"""

from __future__ import annotations

import json
from typing import Any

from ai_proxy.errors import bad_request
from ai_proxy.gateway_config import RequestLimits
from flarekit.errors import HTTPError


def too_large(limit: int) -> HTTPError:
    return HTTPError(413, f"Request body is larger than {limit} bytes.", "request_too_large", "invalid_request_error")


async def read_json(request: Any, headers: Any, limits: RequestLimits) -> dict[str, Any]:
    """The body as a JSON object, or an HTTPError (413/400) naming what is wrong."""
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise too_large(limits.max_body_bytes)
    raw = await request.bytes()
    if len(raw) > limits.max_body_bytes:
        raise too_large(limits.max_body_bytes)
    if not raw:
        raise bad_request("The request body is empty; expected a JSON object.")
    # Nesting cannot exceed the number of opening brackets: count them (fast) before walking.
    if raw.count(b"{") + raw.count(b"[") > limits.max_depth:
        try:
            body = json.loads(raw)
        except RecursionError:
            raise bad_request(f"JSON nested deeper than {limits.max_depth} levels.") from None
        except ValueError as error:
            raise bad_request(f"Malformed JSON: {error}") from None
        if _depth_exceeds(body, limits.max_depth):
            raise bad_request(f"JSON nested deeper than {limits.max_depth} levels.")
    else:
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise bad_request(f"Malformed JSON: {error}") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))
    return False


def check_chat(body: dict[str, Any], limits: RequestLimits) -> list[Any]:
    """The `messages` of a chat request, checked for shape and count."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise bad_request("you must provide a model parameter", "model", "missing_model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' must be a non-empty array of message objects.", "messages")
    if len(messages) > limits.max_messages:
        raise bad_request(
            f"Too many messages: {len(messages)} > {limits.max_messages}.", "messages", "too_many_messages"
        )
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise bad_request(f"messages[{index}] must be an object with a 'role'.", f"messages[{index}]")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise bad_request("'stream' must be a boolean.", "stream")
    return messages
