"""Main module of the telegram-bot Worker: workerd exports the classes visible here."""

from workers import WorkerEntrypoint

from flarekit.conversation.durable_object import Conversation
from flarekit.ratelimit.durable_object import RateLimiter
from flarekit.usage.durable_object import UsageLedger
from telegram_bot.app import handle
from telegram_bot.chat_session import ChatSession

__all__ = ["ChatSession", "Conversation", "Default", "RateLimiter", "UsageLedger"]


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await handle(request, self.env, self.ctx)
