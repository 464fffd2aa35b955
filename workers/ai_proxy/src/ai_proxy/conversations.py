"""Stateful conversations on the Conversation Durable Object (flarekit.conversation).

    POST   /v1/conversations                {"model"?, "system_prompt"?, "metadata"?, "idle_ttl"?}
    POST   /v1/conversations/{id}/messages  {"content": "..."} or {"message": {...}}, plus any chat
                                            parameter ("stream", "temperature", "model", ...)
    GET    /v1/conversations/{id}           settings, totals and the stored messages
    DELETE /v1/conversations/{id}
    GET    /v1/conversations/{id}/ws        a WebSocket: send {"content": ...}, receive the reply
                                            as delta events (see `conversation_ws`)

A conversation belongs to the key that created it: its object is named `conv:{key id}:{id}`, so
another key cannot reach it (404). Each new message is sent with the stored history, trimmed to
`conversations.history_tokens`; the question and the answer are stored once the answer is complete.
"""

from __future__ import annotations

from typing import Any

from ai_proxy.chat import complete_chat
from ai_proxy.errors import bad_request
from ai_proxy.proxy_call import ProxyCall, admit, answer, finish
from flarekit.conversation import conversation_stub, new_conversation_id
from flarekit.errors import HTTPError
from flarekit.llm.tokens import Usage

SETTINGS = ("model", "system_prompt", "metadata", "idle_ttl")


def stub_for(call: ProxyCall, conversation_id: str) -> Any:
    namespace = getattr(call.env, "CONVERSATIONS", None)
    if namespace is None:
        raise HTTPError(501, "Conversations need the CONVERSATIONS Durable Object binding.", "not_configured")
    if not conversation_id.startswith("conv_") or len(conversation_id) > 64:
        raise not_found(conversation_id)
    return conversation_stub(namespace, f"conv:{call.principal.key_id}:{conversation_id}")


def not_found(conversation_id: str) -> HTTPError:
    return HTTPError(404, f"No conversation `{conversation_id}`.", "conversation_not_found", param="id")


def _view(conversation_id: str, info: dict[str, Any]) -> dict[str, Any]:
    settings = info.get("settings") or {}
    return {
        "id": conversation_id,
        "object": "conversation",
        "created_at": info.get("created_at"),
        "last_active": info.get("last_active"),
        "model": settings.get("model"),
        "system_prompt": settings.get("system_prompt"),
        "metadata": settings.get("metadata") or {},
        "idle_ttl": settings.get("idle_ttl"),
        "message_count": len(info["messages"]) if isinstance(info.get("messages"), list) else info.get("messages", 0),
        "tokens": info.get("tokens", 0),
        "cost_usd": info.get("cost_usd", 0.0),
    }


async def create(call: ProxyCall) -> Any:
    await admit(call, json_body=bool(call.headers.get("content-length", "0") not in ("", "0")))
    body = call.body or {}
    unknown = set(body) - set(SETTINGS)
    if unknown:
        raise bad_request(f"unknown field {sorted(unknown)[0]!r}", sorted(unknown)[0])
    if body.get("model") is not None:
        call.gateway.resolve(body["model"])  # an unknown model fails now, not at the first message
    conversation_id = new_conversation_id()
    settings = {name: body[name] for name in SETTINGS if body.get(name) is not None}
    try:
        info = await stub_for(call, conversation_id).create(settings)
    except Exception as error:
        if "setting" in str(error) or "idle_ttl" in str(error) or "metadata" in str(error):
            raise bad_request(str(error)) from None
        raise
    response = answer(call, _view(conversation_id, info), 201)
    finish(call)
    return response


def user_message(body: dict[str, Any]) -> dict[str, Any]:
    message = body.get("message")
    if message is None:
        content = body.get("content")
        if not isinstance(content, (str, list)) or not content:
            raise bad_request("send 'content' (a string or parts) or a 'message' object.", "content")
        return {"role": "user", "content": content}
    if not isinstance(message, dict) or message.get("role") not in ("user", "tool"):
        raise bad_request("'message' must be a user or tool message object.", "message")
    return dict(message)


async def add_message(call: ProxyCall, conversation_id: str) -> Any:
    await admit(call)
    stub = stub_for(call, conversation_id)
    body = call.body
    question = user_message(body)
    past = await stub.history(call.gateway.config.history_tokens)
    if past.get("settings") is None:
        raise not_found(conversation_id)
    settings = past["settings"]
    chat = {k: v for k, v in body.items() if k not in ("content", "message")}
    chat["model"] = body.get("model") or settings.get("model") or call.gateway.settings.default_model
    chat["messages"] = [*past["messages"], question]
    call.body = chat
    call.response_headers["x-flarekit-conversation"] = conversation_id
    return await complete_chat(call, on_complete=storer(stub, question))


def storer(stub: Any, question: dict[str, Any]):
    """The `on_complete` that stores the question and the answer (with tokens and cost)."""

    async def store(completion: dict[str, Any], usage: Usage, cost: float) -> None:
        choices = completion.get("choices") or [{}]
        message = choices[0].get("message") or {}
        reply: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
        if message.get("tool_calls"):
            reply["tool_calls"] = message["tool_calls"]
        if usage.completion_tokens:
            reply["tokens"] = usage.completion_tokens
            reply["cost_usd"] = cost
        await stub.append([question, reply])

    return store


async def get(call: ProxyCall, conversation_id: str) -> Any:
    await admit(call, json_body=False)
    transcript = await stub_for(call, conversation_id).transcript(None)
    if not transcript.get("exists"):
        raise not_found(conversation_id)
    view = _view(conversation_id, transcript)
    view["messages"] = [
        {k: m[k] for k in ("role", "content", "name", "tool_calls", "tool_call_id", "tokens", "created_at") if k in m}
        for m in transcript["messages"]
    ]
    response = answer(call, view)
    finish(call)
    return response


async def delete(call: ProxyCall, conversation_id: str) -> Any:
    await admit(call, json_body=False)
    result = await stub_for(call, conversation_id).delete()
    if not result.get("deleted"):
        raise not_found(conversation_id)
    response = answer(call, {"id": conversation_id, "object": "conversation.deleted", "deleted": True})
    finish(call)
    return response
