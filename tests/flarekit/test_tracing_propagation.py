"""W3C Trace Context: reading `traceparent`/`tracestate` from requests and writing them onward."""

from __future__ import annotations

import pytest
from opentelemetry import trace

from flarekit.tracing.current import tracer
from flarekit.tracing.propagation import extract, format_traceparent, inject, inject_current, parse_traceparent

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def test_a_valid_traceparent_gives_a_remote_sampled_parent():
    context = parse_traceparent(f"00-{TRACE}-{PARENT}-01", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
    assert context is not None
    assert (context.trace_id, context.span_id) == (int(TRACE, 16), int(PARENT, 16))
    assert context.is_remote and context.trace_flags.sampled
    assert context.trace_state.to_header() == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        f"ff-{TRACE}-{PARENT}-01",  # version ff is forbidden
        f"00-{'0' * 32}-{PARENT}-01",  # all-zero trace id
        f"00-{TRACE}-{'0' * 16}-01",  # all-zero parent id
        f"00-{TRACE.upper()}-{PARENT}-01",  # upper-case hex is invalid
        f"00-{TRACE}-{PARENT}-01-extra",  # version 00 has exactly four fields
    ],
)
def test_an_invalid_traceparent_is_ignored(header):
    assert parse_traceparent(header) is None


def test_a_future_version_with_more_fields_is_read():
    assert parse_traceparent(f"01-{TRACE}-{PARENT}-01-whatever") is not None


def test_an_unsampled_parent_keeps_its_flag():
    context = parse_traceparent(f"00-{TRACE}-{PARENT}-00")
    assert context is not None and not context.trace_flags.sampled


def test_traceparent_round_trips():
    header = f"00-{TRACE}-{PARENT}-01"
    context = parse_traceparent(header)
    assert context is not None
    assert format_traceparent(context) == header


def test_extract_reads_headers_and_makes_the_remote_span_current_parent():
    headers = {"traceparent": f"00-{TRACE}-{PARENT}-01"}
    parent = trace.get_current_span(extract(headers)).get_span_context()
    assert parent.trace_id == int(TRACE, 16)
    assert extract({}) is None


def test_inject_writes_traceparent_and_tracestate():
    context = parse_traceparent(f"00-{TRACE}-{PARENT}-01", "vendor=value")
    assert context is not None
    headers = inject({"content-type": "application/json"}, context)
    assert headers == {
        "content-type": "application/json",
        "traceparent": f"00-{TRACE}-{PARENT}-01",
        "tracestate": "vendor=value",
    }


def test_inject_writes_nothing_for_an_invalid_context():
    assert inject({}, trace.INVALID_SPAN_CONTEXT) == {}


def test_inject_current_uses_the_active_span_and_nothing_outside_one():
    context = parse_traceparent(f"00-{TRACE}-{PARENT}-01")
    assert context is not None
    assert inject_current({}) == {}
    with trace.use_span(trace.NonRecordingSpan(context)):
        assert inject_current({})["traceparent"] == f"00-{TRACE}-{PARENT}-01"


def test_outside_a_request_the_current_tracer_is_a_no_op():
    with tracer().start_as_current_span("anything") as span:
        assert not span.is_recording()
