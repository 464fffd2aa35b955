"""The OTLP v1 messages a receiver reads, with the field numbers of opentelemetry-proto 1.x.

Source: https://github.com/open-telemetry/opentelemetry-proto (common, resource, trace, metrics,
logs and the collector service protos). `KeyValue`/`AnyValue` are not listed: they decode to dicts
and plain values (`Kind.ATTRIBUTES`, `Kind.ANY`). Profiles-only fields (`*_strindex`) are ignored.
"""

from __future__ import annotations

from flarekit.otlp.schema import Kind, Message, message

K = Kind  # short, because the tables below name a kind on every line

R = "repeated"
O = "optional"  # noqa: E741 - reads as a flag next to R

ENTITY_REF = message(
    "EntityRef",
    (1, "schema_url", K.STRING),
    (2, "type", K.STRING),
    (3, "id_keys", K.STRING, R),
    (4, "description_keys", K.STRING, R),
)
RESOURCE = message(
    "Resource",
    (1, "attributes", K.ATTRIBUTES),
    (2, "dropped_attributes_count", K.UINT),
    (3, "entity_refs", K.MESSAGE, ENTITY_REF, R),
)
SCOPE = message(
    "InstrumentationScope",
    (1, "name", K.STRING),
    (2, "version", K.STRING),
    (3, "attributes", K.ATTRIBUTES),
    (4, "dropped_attributes_count", K.UINT),
)

# -- traces -------------------------------------------------------------------------------------

SPAN_EVENT = message(
    "Span.Event",
    (1, "time_unix_nano", K.FIXED64),
    (2, "name", K.STRING),
    (3, "attributes", K.ATTRIBUTES),
    (4, "dropped_attributes_count", K.UINT),
)
SPAN_LINK = message(
    "Span.Link",
    (1, "trace_id", K.ID),
    (2, "span_id", K.ID),
    (3, "trace_state", K.STRING),
    (4, "attributes", K.ATTRIBUTES),
    (5, "dropped_attributes_count", K.UINT),
    (6, "flags", K.FIXED32),
)
STATUS = message("Status", (2, "message", K.STRING), (3, "code", K.ENUM))
SPAN = message(
    "Span",
    (1, "trace_id", K.ID),
    (2, "span_id", K.ID),
    (3, "trace_state", K.STRING),
    (4, "parent_span_id", K.ID),
    (16, "flags", K.FIXED32),
    (5, "name", K.STRING),
    (6, "kind", K.ENUM),
    (7, "start_time_unix_nano", K.FIXED64),
    (8, "end_time_unix_nano", K.FIXED64),
    (9, "attributes", K.ATTRIBUTES),
    (10, "dropped_attributes_count", K.UINT),
    (11, "events", K.MESSAGE, SPAN_EVENT, R),
    (12, "dropped_events_count", K.UINT),
    (13, "links", K.MESSAGE, SPAN_LINK, R),
    (14, "dropped_links_count", K.UINT),
    (15, "status", K.MESSAGE, STATUS),
)
SCOPE_SPANS = message(
    "ScopeSpans", (1, "scope", K.MESSAGE, SCOPE), (2, "spans", K.MESSAGE, SPAN, R), (3, "schema_url", K.STRING)
)
RESOURCE_SPANS = message(
    "ResourceSpans",
    (1, "resource", K.MESSAGE, RESOURCE),
    (2, "scope_spans", K.MESSAGE, SCOPE_SPANS, R),
    (3, "schema_url", K.STRING),
)
EXPORT_TRACES = message("ExportTraceServiceRequest", (1, "resource_spans", K.MESSAGE, RESOURCE_SPANS, R))

# -- metrics ------------------------------------------------------------------------------------

EXEMPLAR = message(
    "Exemplar",
    (7, "filtered_attributes", K.ATTRIBUTES),
    (2, "time_unix_nano", K.FIXED64),
    (3, "as_double", K.DOUBLE, O),
    (6, "as_int", K.SFIXED64, O),
    (4, "span_id", K.ID),
    (5, "trace_id", K.ID),
)
NUMBER_POINT = message(
    "NumberDataPoint",
    (7, "attributes", K.ATTRIBUTES),
    (2, "start_time_unix_nano", K.FIXED64),
    (3, "time_unix_nano", K.FIXED64),
    (4, "as_double", K.DOUBLE, O),
    (6, "as_int", K.SFIXED64, O),
    (5, "exemplars", K.MESSAGE, EXEMPLAR, R),
    (8, "flags", K.UINT),
)
HISTOGRAM_POINT = message(
    "HistogramDataPoint",
    (9, "attributes", K.ATTRIBUTES),
    (2, "start_time_unix_nano", K.FIXED64),
    (3, "time_unix_nano", K.FIXED64),
    (4, "count", K.FIXED64),
    (5, "sum", K.DOUBLE, O),
    (6, "bucket_counts", K.PACKED_FIXED64),
    (7, "explicit_bounds", K.PACKED_DOUBLE),
    (8, "exemplars", K.MESSAGE, EXEMPLAR, R),
    (10, "flags", K.UINT),
    (11, "min", K.DOUBLE, O),
    (12, "max", K.DOUBLE, O),
)
BUCKETS = message("Buckets", (1, "offset", K.SINT), (2, "bucket_counts", K.PACKED_UINT))
EXP_HISTOGRAM_POINT = message(
    "ExponentialHistogramDataPoint",
    (1, "attributes", K.ATTRIBUTES),
    (2, "start_time_unix_nano", K.FIXED64),
    (3, "time_unix_nano", K.FIXED64),
    (4, "count", K.FIXED64),
    (5, "sum", K.DOUBLE, O),
    (6, "scale", K.SINT),
    (7, "zero_count", K.FIXED64),
    (8, "positive", K.MESSAGE, BUCKETS),
    (9, "negative", K.MESSAGE, BUCKETS),
    (10, "flags", K.UINT),
    (11, "exemplars", K.MESSAGE, EXEMPLAR, R),
    (12, "min", K.DOUBLE, O),
    (13, "max", K.DOUBLE, O),
    (14, "zero_threshold", K.DOUBLE),
)
QUANTILE = message("ValueAtQuantile", (1, "quantile", K.DOUBLE), (2, "value", K.DOUBLE))
SUMMARY_POINT = message(
    "SummaryDataPoint",
    (7, "attributes", K.ATTRIBUTES),
    (2, "start_time_unix_nano", K.FIXED64),
    (3, "time_unix_nano", K.FIXED64),
    (4, "count", K.FIXED64),
    (5, "sum", K.DOUBLE),
    (6, "quantile_values", K.MESSAGE, QUANTILE, R),
    (8, "flags", K.UINT),
)
GAUGE = message("Gauge", (1, "data_points", K.MESSAGE, NUMBER_POINT, R))
SUM = message(
    "Sum",
    (1, "data_points", K.MESSAGE, NUMBER_POINT, R),
    (2, "aggregation_temporality", K.ENUM),
    (3, "is_monotonic", K.BOOL),
)
HISTOGRAM = message(
    "Histogram", (1, "data_points", K.MESSAGE, HISTOGRAM_POINT, R), (2, "aggregation_temporality", K.ENUM)
)
EXP_HISTOGRAM = message(
    "ExponentialHistogram",
    (1, "data_points", K.MESSAGE, EXP_HISTOGRAM_POINT, R),
    (2, "aggregation_temporality", K.ENUM),
)
SUMMARY = message("Summary", (1, "data_points", K.MESSAGE, SUMMARY_POINT, R))
METRIC = message(
    "Metric",
    (1, "name", K.STRING),
    (2, "description", K.STRING),
    (3, "unit", K.STRING),
    (5, "gauge", K.MESSAGE, GAUGE, O),
    (7, "sum", K.MESSAGE, SUM, O),
    (9, "histogram", K.MESSAGE, HISTOGRAM, O),
    (10, "exponential_histogram", K.MESSAGE, EXP_HISTOGRAM, O),
    (11, "summary", K.MESSAGE, SUMMARY, O),
    (12, "metadata", K.ATTRIBUTES),
)
SCOPE_METRICS = message(
    "ScopeMetrics", (1, "scope", K.MESSAGE, SCOPE), (2, "metrics", K.MESSAGE, METRIC, R), (3, "schema_url", K.STRING)
)
RESOURCE_METRICS = message(
    "ResourceMetrics",
    (1, "resource", K.MESSAGE, RESOURCE),
    (2, "scope_metrics", K.MESSAGE, SCOPE_METRICS, R),
    (3, "schema_url", K.STRING),
)
EXPORT_METRICS = message("ExportMetricsServiceRequest", (1, "resource_metrics", K.MESSAGE, RESOURCE_METRICS, R))

# The metric data kinds (the `data` oneof), in the order a Metric lists them.
METRIC_DATA_KINDS = ("gauge", "sum", "histogram", "exponential_histogram", "summary")

# -- logs ---------------------------------------------------------------------------------------

LOG_RECORD = message(
    "LogRecord",
    (1, "time_unix_nano", K.FIXED64),
    (11, "observed_time_unix_nano", K.FIXED64),
    (2, "severity_number", K.ENUM),
    (3, "severity_text", K.STRING),
    (5, "body", K.ANY),
    (6, "attributes", K.ATTRIBUTES),
    (7, "dropped_attributes_count", K.UINT),
    (8, "flags", K.FIXED32),
    (9, "trace_id", K.ID),
    (10, "span_id", K.ID),
    (12, "event_name", K.STRING),
)
SCOPE_LOGS = message(
    "ScopeLogs",
    (1, "scope", K.MESSAGE, SCOPE),
    (2, "log_records", K.MESSAGE, LOG_RECORD, R),
    (3, "schema_url", K.STRING),
)
RESOURCE_LOGS = message(
    "ResourceLogs",
    (1, "resource", K.MESSAGE, RESOURCE),
    (2, "scope_logs", K.MESSAGE, SCOPE_LOGS, R),
    (3, "schema_url", K.STRING),
)
EXPORT_LOGS = message("ExportLogsServiceRequest", (1, "resource_logs", K.MESSAGE, RESOURCE_LOGS, R))

__all__ = ["EXPORT_LOGS", "EXPORT_METRICS", "EXPORT_TRACES", "METRIC_DATA_KINDS", "Message"]
