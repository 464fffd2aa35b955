"""Monitoring in the telemetry Worker: `GET /metrics`, `GET /api/stats`, the dashboard, the
MetricsAggregator it hosts, the record RPC other Workers call, and alert evaluation on the cron.

Wiring (entry.py and app.py of the telemetry Worker): `register_routes(router)`, re-export
`MetricsAggregator`, give `Default` the `MonitoringMethods` mixin (the `record_metrics` RPC), and
call `evaluate_alerts(env)` from `scheduled()`.
"""
