"""Main module of the telegram-bot Worker: workerd exports the classes visible here."""

from workers import WorkerEntrypoint

from telegram_bot.app import handle


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await handle(request, self.env, self.ctx)
