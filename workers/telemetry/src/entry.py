"""Main module of the telemetry Worker: workerd exports the classes visible here."""

from workers import WorkerEntrypoint

from flarekit.metrics.aggregator import MetricsAggregator  # noqa: F401 - exported: the Durable Object
from telemetry_ingest.app import handle
from telemetry_monitoring.alerting import evaluate_alerts
from telemetry_monitoring.sink import MonitoringMethods


class Default(MonitoringMethods, WorkerEntrypoint):  # MonitoringMethods: the record_metrics RPC
    async def fetch(self, request):
        return await handle(request, self.env, self.ctx)

    async def scheduled(self, controller, env, ctx):
        await evaluate_alerts(self.env)  # the cron in wrangler.toml
