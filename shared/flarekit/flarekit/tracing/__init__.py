"""Tracing on the `opentelemetry-api` interfaces with a small SDK of our own, made for Workers.

Spans of one request are buffered in a bounded list and exported after the response (`waitUntil`)
as OTLP/HTTP, to the telemetry Worker over its service binding or to any OTLP endpoint. No threads,
no timers, IDs drawn inside requests.

- `provider`: TracerProvider / Tracer (parent-based ratio sampling); `spans`: the recording Span.
- `propagation`: W3C `traceparent` / `tracestate` extract and inject.
- `semconv`: the HTTP server span and the GenAI client span, by the semantic conventions.
- `otlp_json`, `otlp_proto`: encodings; `export`: where spans go; `config`: the env variables.
"""
