"""Reading OTLP protobuf: messages built field by field here, read back by flarekit.otlp.

Self-contained (no protobuf library) so it also runs under real Pyodide; tests/telemetry checks the
same reader against the official opentelemetry-proto classes.
"""

from __future__ import annotations

import math
import struct

import pytest

from flarekit.otlp import LOGS, METRICS, TRACES, DecodeError
from flarekit.otlp.wire import bytes_field, string_field, varint_field, write_varint

TRACE_ID = bytes(range(1, 17))
SPAN_ID = bytes(range(1, 9))


def fixed64(number: int, value: int) -> bytes:
    return write_varint(number << 3 | 1) + struct.pack("<Q", value)


def double(number: int, value: float) -> bytes:
    return write_varint(number << 3 | 1) + struct.pack("<d", value)


def fixed32(number: int, value: int) -> bytes:
    return write_varint(number << 3 | 5) + struct.pack("<I", value)


def any_value(value) -> bytes:
    if isinstance(value, bool):
        return write_varint(2 << 3) + write_varint(int(value))
    if isinstance(value, int):
        return write_varint(3 << 3) + write_varint(value)
    if isinstance(value, float):
        return double(4, value)
    if isinstance(value, str):
        return bytes_field(1, value.encode())
    if isinstance(value, list):
        return bytes_field(5, b"".join(bytes_field(1, any_value(v)) for v in value))
    if isinstance(value, dict):
        return bytes_field(6, b"".join(bytes_field(1, key_value(k, v)) for k, v in value.items()))
    if isinstance(value, bytes):
        return bytes_field(7, value)
    raise TypeError(value)


def key_value(key: str, value) -> bytes:
    return string_field(1, key) + bytes_field(2, any_value(value))


def attributes(number: int, values: dict) -> bytes:
    return b"".join(bytes_field(number, key_value(k, v)) for k, v in values.items())


def span(**extra: bytes) -> bytes:
    return (
        bytes_field(1, TRACE_ID)
        + bytes_field(2, SPAN_ID)
        + string_field(5, "GET /users/{id}")
        + varint_field(6, 2)
        + fixed64(7, 1_790_000_000_000_000_000)
        + fixed64(8, 1_790_000_000_250_000_000)
        + b"".join(extra.values())
    )


def traces_request(*spans: bytes, resource: dict | None = None) -> bytes:
    scope = bytes_field(1, string_field(1, "my.lib") + string_field(2, "1.2.3"))
    scope_spans = scope + b"".join(bytes_field(2, s) for s in spans)
    resource_spans = bytes_field(1, attributes(1, resource or {"service.name": "api"})) + bytes_field(2, scope_spans)
    return bytes_field(1, resource_spans)


def only_span(body: bytes) -> dict:
    return TRACES.decode_protobuf(body)["resource_spans"][0]["scope_spans"][0]["spans"][0]


def test_a_span_reads_with_hex_ids_names_and_times():
    decoded = TRACES.decode_protobuf(traces_request(span()))
    group = decoded["resource_spans"][0]
    assert group["resource"]["attributes"] == {"service.name": "api"}
    assert group["scope_spans"][0]["scope"]["name"] == "my.lib"
    got = group["scope_spans"][0]["spans"][0]
    assert got["trace_id"] == TRACE_ID.hex()
    assert got["span_id"] == SPAN_ID.hex()
    assert got["parent_span_id"] == ""
    assert got["name"] == "GET /users/{id}"
    assert got["kind"] == 2
    assert got["end_time_unix_nano"] - got["start_time_unix_nano"] == 250_000_000


def test_attribute_values_of_every_kind_read_as_plain_values():
    values = {
        "s": "text",
        "b": True,
        "i": -42,
        "big": 2**62,
        "d": 0.5,
        "list": ["a", 1, False],
        "map": {"inner": {"deeper": "x"}},
        "raw": b"\x00\xff",
        "unicode": "héllo ✓",
    }
    got = only_span(traces_request(span(a=attributes(9, values))))["attributes"]
    assert got == {**values, "raw": "AP8="}  # bytes as base64, as OTLP/JSON shows them


def test_non_finite_doubles_become_strings_so_the_result_stays_valid_json():
    got = only_span(traces_request(span(a=attributes(9, {"nan": math.nan, "inf": math.inf, "ninf": -math.inf}))))
    assert got["attributes"] == {"nan": "NaN", "inf": "Infinity", "ninf": "-Infinity"}


def test_status_events_and_links_are_read():
    status = bytes_field(15, string_field(2, "boom") + varint_field(3, 2))
    event = bytes_field(
        11, fixed64(1, 5) + string_field(2, "exception") + attributes(3, {"exception.type": "KeyError"})
    )
    link = bytes_field(13, bytes_field(1, TRACE_ID) + bytes_field(2, SPAN_ID) + fixed32(6, 1))
    got = only_span(traces_request(span(s=status, e=event, l=link, f=fixed32(16, 0x301))))
    assert got["status"] == {"code": 2, "message": "boom"}
    assert got["events"] == [
        {
            "time_unix_nano": 5,
            "name": "exception",
            "attributes": {"exception.type": "KeyError"},
            "dropped_attributes_count": 0,
        }
    ]
    assert got["links"][0]["span_id"] == SPAN_ID.hex()
    assert got["links"][0]["flags"] == 1
    assert got["flags"] == 0x301


def test_unknown_fields_and_fields_of_an_unexpected_wire_type_are_skipped():
    unknown = varint_field(99, 7) + bytes_field(98, b"whatever") + fixed32(97, 1)
    wrong_type = fixed64(5, 123)  # `name` is a string; proto3 parsers skip a mismatch
    got = only_span(traces_request(span(u=unknown, w=wrong_type)))
    assert got["name"] == "GET /users/{id}"


def test_an_empty_request_reads_as_no_resources():
    assert TRACES.decode_protobuf(b"") == {"resource_spans": []}


@pytest.mark.parametrize(
    "body",
    [
        traces_request(span())[:-3],  # cut inside a span
        b"\x0a\xff\xff\xff\xff\x0f",  # a length far past the end
        b"\x0a\x02\x0b\x00",  # a group wire type inside a resource
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",  # a runaway varint
    ],
)
def test_malformed_bytes_raise_decode_error(body):
    with pytest.raises(DecodeError):
        TRACES.decode_protobuf(body)


def test_absurd_nesting_is_refused_instead_of_recursing():
    value = any_value("leaf")
    for _ in range(100):
        value = bytes_field(5, bytes_field(1, value))  # array inside array
    body = traces_request(span(a=bytes_field(9, string_field(1, "k") + bytes_field(2, value))))
    with pytest.raises(DecodeError):
        TRACES.decode_protobuf(body)


def number_point(value: float | int, time_ns: int) -> bytes:
    encoded = double(4, value) if isinstance(value, float) else write_varint(6 << 3 | 1) + struct.pack("<q", value)
    return attributes(7, {"host": "a"}) + fixed64(3, time_ns) + encoded


def metrics_request(*metrics: bytes) -> bytes:
    scope_metrics = b"".join(bytes_field(2, m) for m in metrics)
    return bytes_field(1, bytes_field(1, b"") + bytes_field(2, scope_metrics))


def test_gauges_sums_and_histograms_read_with_their_points():
    gauge = string_field(1, "temp") + bytes_field(5, bytes_field(1, number_point(21.5, 10)))
    total = string_field(1, "requests") + bytes_field(
        7, bytes_field(1, number_point(-3, 20)) + varint_field(2, 2) + varint_field(3, 1)
    )
    packed_counts = bytes_field(6, struct.pack("<3Q", 1, 2, 3))
    packed_bounds = bytes_field(7, struct.pack("<2d", 0.5, 1.0))
    histogram_point = fixed64(4, 6) + double(5, 4.5) + packed_counts + packed_bounds + double(11, 0.1)
    histogram = string_field(1, "latency") + bytes_field(9, bytes_field(1, histogram_point))
    metrics = METRICS.decode_protobuf(metrics_request(gauge, total, histogram))["resource_metrics"][0]["scope_metrics"][
        0
    ]["metrics"]
    assert metrics[0]["gauge"]["data_points"][0]["as_double"] == 21.5
    assert metrics[0]["sum"] is None
    point = metrics[1]["sum"]["data_points"][0]
    assert (point["as_int"], point["as_double"]) == (-3, None)
    assert metrics[1]["sum"]["is_monotonic"] is True
    assert metrics[1]["sum"]["aggregation_temporality"] == 2
    hist = metrics[2]["histogram"]["data_points"][0]
    assert hist["bucket_counts"] == [1, 2, 3]
    assert hist["explicit_bounds"] == [0.5, 1.0]
    assert (hist["count"], hist["sum"], hist["min"], hist["max"]) == (6, 4.5, 0.1, None)


def test_packed_fields_sent_unpacked_are_read_too():
    point = fixed64(6, 4) + fixed64(6, 5) + double(7, 2.0)
    histogram = string_field(1, "h") + bytes_field(9, bytes_field(1, point))
    got = METRICS.decode_protobuf(metrics_request(histogram))["resource_metrics"][0]["scope_metrics"][0]["metrics"][0]
    assert got["histogram"]["data_points"][0]["bucket_counts"] == [4, 5]
    assert got["histogram"]["data_points"][0]["explicit_bounds"] == [2.0]


def test_exponential_histogram_buckets_use_zigzag_offsets():
    buckets = varint_field(1, 3) + bytes_field(2, write_varint(7) + write_varint(300))  # offset -2 (zigzag 3)
    point = varint_field(6, 5) + bytes_field(8, buckets)  # scale -3 (zigzag 5)
    metric = string_field(1, "e") + bytes_field(10, bytes_field(1, point))
    got = METRICS.decode_protobuf(metrics_request(metric))["resource_metrics"][0]["scope_metrics"][0]["metrics"][0]
    point = got["exponential_histogram"]["data_points"][0]
    assert point["scale"] == -3
    assert point["positive"] == {"offset": -2, "bucket_counts": [7, 300]}


def test_log_records_read_with_body_severity_and_ids():
    record = (
        fixed64(1, 1_790_000_000_000_000_000)
        + varint_field(2, 17)
        + string_field(3, "ERROR")
        + bytes_field(5, any_value({"msg": "disk full", "free": 0}))
        + bytes_field(9, TRACE_ID)
        + string_field(12, "app.crash")
    )
    body = bytes_field(1, bytes_field(2, bytes_field(2, record)))
    got = LOGS.decode_protobuf(body)["resource_logs"][0]["scope_logs"][0]["log_records"][0]
    assert got["severity_number"] == 17
    assert got["body"] == {"msg": "disk full", "free": 0}
    assert got["trace_id"] == TRACE_ID.hex()
    assert got["span_id"] == ""
    assert got["event_name"] == "app.crash"
