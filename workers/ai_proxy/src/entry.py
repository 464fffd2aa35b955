"""Main module of the ai-proxy Worker: workerd exports the classes visible here.

The Durable Objects this Worker hosts come from flarekit and are re-exported so workerd finds them.
"""

from workers import WorkerEntrypoint

from ai_proxy.app import handle
from flarekit.conversation.durable_object import Conversation
from flarekit.ratelimit.durable_object import RateLimiter
from flarekit.usage.durable_object import UsageLedger

__all__ = ["Conversation", "Default", "RateLimiter", "UsageLedger"]


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await handle(request, self.env, self.ctx)
