"""Reading OTLP/JSON, and the responses an OTLP receiver sends back (self-contained, Pyodide-safe)."""

from __future__ import annotations

import base64

import pytest

from flarekit.otlp import LOGS, METRICS, TRACES, DecodeError
from flarekit.otlp.signals import status_json, status_protobuf
from flarekit.otlp.wire import fields

TRACE_HEX = "5B8EFFF798038103D269B633813FC60C"
SPAN_HEX = "EEE19B7EC3C1B174"


def request(span: dict, resource: dict | None = None) -> dict:
    return {
        "resourceSpans": [
            {
                "resource": resource or {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
                "scopeSpans": [{"scope": {"name": "lib"}, "spans": [span]}],
            }
        ]
    }


def only_span(document: dict) -> dict:
    return TRACES.decode_json(document)["resource_spans"][0]["scope_spans"][0]["spans"][0]


def base_span(**overrides) -> dict:
    return {
        "traceId": TRACE_HEX,
        "spanId": SPAN_HEX,
        "name": "GET /",
        "kind": 2,
        "startTimeUnixNano": "1790000000000000000",
        "endTimeUnixNano": "1790000000500000000",
        **overrides,
    }


def test_hex_ids_are_read_case_insensitively_and_int64_strings_as_integers():
    got = only_span(request(base_span()))
    assert got["trace_id"] == TRACE_HEX.lower()
    assert got["span_id"] == SPAN_HEX.lower()
    assert got["start_time_unix_nano"] == 1790000000000000000
    assert got["kind"] == 2


def test_base64_ids_from_generic_protobuf_json_mappers_are_converted_to_hex():
    trace_b64 = base64.b64encode(bytes.fromhex(TRACE_HEX)).decode()
    span_b64 = base64.b64encode(bytes.fromhex(SPAN_HEX)).decode()
    got = only_span(request(base_span(traceId=trace_b64, spanId=span_b64)))
    assert (got["trace_id"], got["span_id"]) == (TRACE_HEX.lower(), SPAN_HEX.lower())


def test_numbers_are_accepted_where_strings_are_expected_and_enum_names_are_tolerated():
    got = only_span(
        request(base_span(startTimeUnixNano=17, kind="SPAN_KIND_CLIENT", status={"code": "STATUS_CODE_ERROR"}))
    )
    assert got["start_time_unix_nano"] == 17
    assert got["kind"] == 3
    assert got["status"]["code"] == 2


def test_attribute_values_become_plain_values():
    attributes = [
        {"key": "s", "value": {"stringValue": "x"}},
        {"key": "i", "value": {"intValue": "-9007199254740993"}},
        {"key": "d", "value": {"doubleValue": "NaN"}},
        {"key": "b", "value": {"boolValue": False}},
        {"key": "a", "value": {"arrayValue": {"values": [{"intValue": 1}, {"stringValue": "two"}]}}},
        {"key": "m", "value": {"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": True}}]}}},
        {"key": "empty", "value": {}},
    ]
    got = only_span(request(base_span(attributes=attributes)))["attributes"]
    assert got == {
        "s": "x",
        "i": -9007199254740993,
        "d": "NaN",
        "b": False,
        "a": [1, "two"],
        "m": {"k": True},
        "empty": None,
    }


def test_unknown_keys_are_ignored_and_missing_ones_take_their_defaults():
    got = only_span(request(base_span(somethingNew={"x": 1}, dropped_attributes_count=5)))
    assert got["dropped_attributes_count"] == 0  # snake_case keys are not OTLP/JSON
    assert got["events"] == [] and got["status"] == {"message": "", "code": 0}


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([], "must be a JSON object"),
        ({"resourceSpans": {}}, "must be an array"),
        ({"resourceSpans": ["x"]}, "must be an object"),
        (request(base_span(startTimeUnixNano="soon")), "must be an integer"),
        (request(base_span(name=5)), "must be a string"),
        (request(base_span(attributes=[{"key": "k", "value": {"intValue": "1.5"}}])), "must be an integer"),
        (request(base_span(attributes="k=v")), "array"),
    ],
)
def test_documents_of_the_wrong_shape_raise_decode_error_saying_where(document, problem):
    with pytest.raises(DecodeError, match=problem):
        TRACES.decode_json(document)


def test_metrics_and_logs_read_from_json():
    metrics = {
        "resourceMetrics": [
            {
                "scopeMetrics": [
                    {
                        "metrics": [
                            {
                                "name": "queue.depth",
                                "gauge": {"dataPoints": [{"asInt": "12", "timeUnixNano": "1790000000000000000"}]},
                            }
                        ]
                    }
                ]
            }
        ]
    }
    metric = METRICS.decode_json(metrics)["resource_metrics"][0]["scope_metrics"][0]["metrics"][0]
    assert metric["gauge"]["data_points"][0]["as_int"] == 12
    logs = {
        "resourceLogs": [{"scopeLogs": [{"logRecords": [{"severityNumber": 9, "body": {"stringValue": "hello"}}]}]}]
    }
    record = LOGS.decode_json(logs)["resource_logs"][0]["scope_logs"][0]["log_records"][0]
    assert (record["severity_number"], record["body"]) == (9, "hello")


def test_full_success_is_an_empty_response_in_both_encodings():
    assert TRACES.response_protobuf() == b""
    assert TRACES.response_json() == {}


def test_partial_success_names_the_rejected_count_and_message():
    assert TRACES.response_json(3, "bad ids") == {"partialSuccess": {"rejectedSpans": "3", "errorMessage": "bad ids"}}
    assert METRICS.response_json(1, "x")["partialSuccess"]["rejectedDataPoints"] == "1"
    assert LOGS.response_json(2, "y")["partialSuccess"]["rejectedLogRecords"] == "2"
    encoded = TRACES.response_protobuf(3, "bad ids")
    ((number, _, (start, end)),) = list(fields(encoded, 0, len(encoded)))
    inner = list(fields(encoded, start, end))
    assert number == 1
    assert inner[0][:3] == (1, 0, 3)
    assert encoded[inner[1][2][0] : inner[1][2][1]] == b"bad ids"


def test_failure_status_bodies_carry_code_and_message():
    assert status_json(3, "nope") == {"code": 3, "message": "nope"}
    assert status_protobuf(3, "nope") == b"\x08\x03\x12\x04nope"
