"""Metrics: one compact record per request, aggregated exactly in the MetricsAggregator Durable Object.

- `record`: the record of each request (sent in batches), and how the aggregator reads it.
- `buckets`: fixed histogram buckets and quantiles estimated from them.
- `rollup_store`: the aggregator's SQL tables (totals, per-minute and per-hour rollups) and queries.
- `prometheus`, `stats`: rendering as Prometheus text and as the JSON behind `/api/stats`.
- `aggregator`: the Durable Object; `analytics`: its Analytics Engine data point.
- `observation`: what a request learns about itself; `request_observer`: the per-request wrapper
  (server span + record); `outbox`: the isolate's batch of records and spans waiting to leave;
  `sender`: how a batch of records crosses to the telemetry Worker.
"""
