"""Main module of the ai-proxy Worker: workerd exports the classes visible here."""

from workers import WorkerEntrypoint

from ai_proxy.app import handle


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await handle(request, self.env, self.ctx)
