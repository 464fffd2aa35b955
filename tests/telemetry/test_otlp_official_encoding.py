"""flarekit.otlp against the official opentelemetry-proto classes, on randomly built messages.

For each message: our protobuf reader on `SerializeToString()` and our OTLP/JSON reader on
`MessageToDict()` (which writes base64 ids and enum names, the known traps) must agree, and agree
with the fields read straight from the official object.
"""

from __future__ import annotations

import math
import random

import pytest
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from flarekit.otlp import LOGS, METRICS, TRACES


def fill_any(rng: random.Random, value, depth: int = 0) -> None:
    kind = rng.choice(["s", "b", "i", "d", "bytes", "arr", "kv", "empty"] if depth < 3 else ["s", "i", "d"])
    if kind == "s":
        value.string_value = rng.choice(["", "x", "héllo", "a" * 200, "line\nbreak"])
    elif kind == "b":
        value.bool_value = rng.random() < 0.5
    elif kind == "i":
        value.int_value = rng.choice([0, 1, -1, 2**63 - 1, -(2**63), rng.randint(-(10**6), 10**6)])
    elif kind == "d":
        value.double_value = rng.choice([0.0, -1.5, 1e300, math.inf, -math.inf, math.nan, rng.random()])
    elif kind == "bytes":
        value.bytes_value = rng.randbytes(rng.randint(0, 20))
    elif kind == "arr":
        for _ in range(rng.randint(0, 3)):
            fill_any(rng, value.array_value.values.add(), depth + 1)
    elif kind == "kv":
        for i in range(rng.randint(0, 3)):
            fill_any(rng, value.kvlist_value.values.add(key=f"k{i}").value, depth + 1)
    # "empty": an AnyValue with nothing set


def fill_attributes(rng: random.Random, attributes) -> None:
    for i in range(rng.randint(0, 6)):
        fill_any(rng, attributes.add(key=f"attr.{i}").value)


def fill_resource_and_scope(rng: random.Random, group, scoped) -> None:
    fill_attributes(rng, group.resource.attributes)
    group.resource.dropped_attributes_count = rng.randint(0, 2)
    group.schema_url = rng.choice(["", "https://opentelemetry.io/schemas/1.26.0"])
    scoped.scope.name = rng.choice(["", "lib"])
    scoped.scope.version = rng.choice(["", "1.0"])
    fill_attributes(rng, scoped.scope.attributes)


def random_traces(rng: random.Random) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for _ in range(rng.randint(1, 2)):
        group = request.resource_spans.add()
        scoped = group.scope_spans.add()
        fill_resource_and_scope(rng, group, scoped)
        for _ in range(rng.randint(0, 4)):
            span = scoped.spans.add(
                trace_id=rng.randbytes(16),
                span_id=rng.randbytes(8),
                parent_span_id=rng.choice([b"", rng.randbytes(8)]),
                trace_state=rng.choice(["", "vendor=x"]),
                flags=rng.choice([0, 1, 0x301]),
                name=rng.choice(["GET /", "", "spän"]),
                kind=rng.randint(0, 5),
                start_time_unix_nano=rng.randint(0, 2**64 - 1),
                end_time_unix_nano=rng.randint(0, 2**64 - 1),
                dropped_attributes_count=rng.randint(0, 3),
                dropped_events_count=rng.randint(0, 3),
                dropped_links_count=rng.randint(0, 3),
            )
            fill_attributes(rng, span.attributes)
            for _ in range(rng.randint(0, 2)):
                event = span.events.add(time_unix_nano=rng.randint(0, 2**63), name="exception")
                fill_attributes(rng, event.attributes)
            for _ in range(rng.randint(0, 2)):
                link = span.links.add(trace_id=rng.randbytes(16), span_id=rng.randbytes(8), flags=rng.randint(0, 3))
                fill_attributes(rng, link.attributes)
            if rng.random() < 0.5:
                span.status.code = rng.randint(0, 2)
                span.status.message = rng.choice(["", "boom"])
    return request


def fill_point_common(rng: random.Random, point) -> None:
    fill_attributes(rng, point.attributes)
    point.start_time_unix_nano = rng.randint(0, 2**63)
    point.time_unix_nano = rng.randint(0, 2**63)
    point.flags = rng.randint(0, 1)


def random_metrics(rng: random.Random) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    scoped = group.scope_metrics.add()
    fill_resource_and_scope(rng, group, scoped)
    for n in range(rng.randint(1, 5)):
        metric = scoped.metrics.add(name=f"m{n}", description=rng.choice(["", "d"]), unit=rng.choice(["", "ms"]))
        fill_attributes(rng, metric.metadata)
        kind = rng.choice(["gauge", "sum", "histogram", "exponential_histogram", "summary"])
        if kind in ("gauge", "sum"):
            body = getattr(metric, kind)
            if kind == "sum":
                body.aggregation_temporality = rng.randint(0, 2)
                body.is_monotonic = rng.random() < 0.5
            for _ in range(rng.randint(1, 3)):
                point = body.data_points.add()
                fill_point_common(rng, point)
                if rng.random() < 0.5:
                    point.as_int = rng.randint(-(2**63), 2**63 - 1)
                else:
                    point.as_double = rng.choice([0.0, 1.25, math.nan])
                if rng.random() < 0.3:
                    exemplar = point.exemplars.add(
                        time_unix_nano=5, as_double=1.0, span_id=rng.randbytes(8), trace_id=rng.randbytes(16)
                    )
                    fill_attributes(rng, exemplar.filtered_attributes)
        elif kind == "histogram":
            metric.histogram.aggregation_temporality = 2
            point = metric.histogram.data_points.add(count=rng.randint(0, 100))
            fill_point_common(rng, point)
            point.bucket_counts.extend(rng.randint(0, 2**64 - 1) for _ in range(rng.randint(0, 4)))
            point.explicit_bounds.extend(rng.random() for _ in range(rng.randint(0, 3)))
            if rng.random() < 0.5:
                point.sum, point.min, point.max = rng.random(), 0.0, 9.5
        elif kind == "exponential_histogram":
            point = metric.exponential_histogram.data_points.add(count=7, scale=rng.randint(-10, 20), zero_count=1)
            fill_point_common(rng, point)
            point.positive.offset = rng.randint(-1000, 1000)
            point.positive.bucket_counts.extend(rng.randint(0, 2**40) for _ in range(rng.randint(0, 4)))
            point.negative.offset = -3
            point.zero_threshold = rng.choice([0.0, 1e-9])
        else:
            point = metric.summary.data_points.add(count=3, sum=4.5)
            fill_point_common(rng, point)
            point.quantile_values.add(quantile=0.5, value=1.0)
            point.quantile_values.add(quantile=0.99, value=rng.random())
    return request


def random_logs(rng: random.Random) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    group = request.resource_logs.add()
    scoped = group.scope_logs.add()
    fill_resource_and_scope(rng, group, scoped)
    for _ in range(rng.randint(1, 4)):
        record = scoped.log_records.add(
            time_unix_nano=rng.randint(0, 2**63),
            observed_time_unix_nano=rng.randint(0, 2**63),
            severity_number=rng.randint(0, 24),
            severity_text=rng.choice(["", "WARN"]),
            flags=rng.randint(0, 1),
            trace_id=rng.choice([b"", rng.randbytes(16)]),
            span_id=rng.choice([b"", rng.randbytes(8)]),
            event_name=rng.choice(["", "app.start"]),
        )
        fill_any(rng, record.body)
        fill_attributes(rng, record.attributes)
    return request


def same(a, b) -> bool:
    """Equality where NaN equals NaN (both readers turn it into the string "NaN")."""
    return a == b


@pytest.mark.parametrize("seed", range(40))
def test_both_readers_agree_with_the_official_classes_on_random_traces(seed):
    message = random_traces(random.Random(seed))
    from_protobuf = TRACES.decode_protobuf(message.SerializeToString())
    from_json = TRACES.decode_json(MessageToDict(message))
    assert from_protobuf == from_json
    for group, official_group in zip(from_protobuf["resource_spans"], message.resource_spans, strict=True):
        for span, official in zip(group["scope_spans"][0]["spans"], official_group.scope_spans[0].spans, strict=True):
            assert span["trace_id"] == official.trace_id.hex()
            assert span["parent_span_id"] == official.parent_span_id.hex()
            assert span["start_time_unix_nano"] == official.start_time_unix_nano
            assert span["kind"] == official.kind and span["flags"] == official.flags
            assert list(span["attributes"]) == [kv.key for kv in official.attributes]
            assert len(span["events"]) == len(official.events) and len(span["links"]) == len(official.links)


@pytest.mark.parametrize("seed", range(40))
def test_both_readers_agree_with_the_official_classes_on_random_metrics(seed):
    message = random_metrics(random.Random(seed))
    from_protobuf = METRICS.decode_protobuf(message.SerializeToString())
    assert from_protobuf == METRICS.decode_json(MessageToDict(message))
    metrics = from_protobuf["resource_metrics"][0]["scope_metrics"][0]["metrics"]
    for metric, official in zip(metrics, message.resource_metrics[0].scope_metrics[0].metrics, strict=True):
        kind = official.WhichOneof("data")
        assert metric[kind] is not None
        assert len(metric[kind]["data_points"]) == len(getattr(official, kind).data_points)
        if kind == "histogram":
            assert metric[kind]["data_points"][0]["bucket_counts"] == list(
                official.histogram.data_points[0].bucket_counts
            )


@pytest.mark.parametrize("seed", range(40))
def test_both_readers_agree_with_the_official_classes_on_random_logs(seed):
    message = random_logs(random.Random(seed))
    from_protobuf = LOGS.decode_protobuf(message.SerializeToString())
    assert from_protobuf == LOGS.decode_json(MessageToDict(message))
    records = from_protobuf["resource_logs"][0]["scope_logs"][0]["log_records"]
    for record, official in zip(records, message.resource_logs[0].scope_logs[0].log_records, strict=True):
        assert record["severity_number"] == official.severity_number
        assert record["span_id"] == official.span_id.hex()
