"""Main module of the telemetry Worker: workerd exports the classes visible here."""

from workers import WorkerEntrypoint

from telemetry_ingest.app import handle


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await handle(request, self.env, self.ctx)
