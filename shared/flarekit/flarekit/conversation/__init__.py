"""Conversation memory: a Conversation Durable Object per conversation, trimmed to a token budget.

- `durable_object.Conversation`: the Durable Object (import it from there in `src/entry.py`).
- `client`: `conversation_stub`, `new_conversation_id`.
- `history`: `trim_to_budget` (pure).
- `store`: its SQL.
"""

from flarekit.conversation.client import BOT_IDLE_TTL, conversation_stub, new_conversation_id
from flarekit.conversation.history import Trimmed, trim_to_budget

__all__ = ["BOT_IDLE_TTL", "Trimmed", "conversation_stub", "new_conversation_id", "trim_to_budget"]
