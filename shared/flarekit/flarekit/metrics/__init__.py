"""Metrics: one compact record per request, aggregated exactly in the MetricsAggregator Durable Object.

- `record`: the record a Worker sends after each request (one RPC), and how the aggregator reads it.
- `buckets`: fixed histogram buckets and quantiles estimated from them.
- `rollup_store`: the aggregator's SQL tables (totals, per-minute and per-hour rollups) and queries.
- `prometheus`, `stats`: rendering as Prometheus text and as the JSON behind `/api/stats`.
- `aggregator`: the Durable Object; `analytics`: its Analytics Engine data point.
- `observation`: what a request learns about itself; `request_observer`: the per-request wrapper
  (server span + record); `sender`: how a record leaves the Worker.
"""
