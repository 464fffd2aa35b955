"""Reaching a Conversation object from a Worker.

    stub = conversation_stub(env.CONVERSATIONS, f"chat:{chat_id}")
    past = await stub.history(3000)                 # system prompt + trimmed messages
    ...call the model with past["messages"] + [user_message]...
    await stub.append([user_message, {"role": "assistant", "content": answer, "tokens": 57}])

The stub's methods are the object's RPC methods (see `flarekit.conversation.durable_object`):
call them with positional arguments only. Stubs belong to the request that made them.
"""

from __future__ import annotations

from typing import Any, Protocol

from flarekit.ids import new_id

BOT_IDLE_TTL = 3 * 3600


class DurableObjectNamespace(Protocol):
    """The part of a Durable Object namespace binding used here."""

    def idFromName(self, name: str) -> Any: ...  # noqa: N802 - JS name

    def get(self, object_id: Any) -> Any: ...


def new_conversation_id() -> str:
    """A new random conversation id (`conv_...`); draw it inside a request."""
    return new_id("conv_")


def conversation_stub(namespace: DurableObjectNamespace, name: str) -> Any:
    """The stub of the Conversation object named `name` (e.g. `conv_...` or `chat:123`)."""
    return namespace.get(namespace.idFromName(name))
