"""Our TracerProvider on the opentelemetry-api interfaces: sampling, buffers, limits, context."""

from __future__ import annotations

import itertools

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanKind, StatusCode

from flarekit.errors import ConfigurationError
from flarekit.tracing.propagation import extract, format_traceparent
from flarekit.tracing.provider import TracerProvider
from flarekit.tracing.sampling import sampler
from flarekit.tracing.spans import MAX_ATTRIBUTES, MAX_EVENTS, RecordingSpan

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class CountingIds:
    """Deterministic IDs: tests pick trace IDs to land on either side of a sampling ratio."""

    def __init__(self, trace_ids=None):
        self._trace_ids = iter(trace_ids or itertools.count(1))
        self._span_ids = itertools.count(1)

    def new_trace_id(self):
        return next(self._trace_ids)

    def new_span_id(self):
        return next(self._span_ids)


def _tracer(ratio=1.0, trace_ids=None, max_spans=128):
    provider = TracerProvider(
        sampler("parentbased_traceidratio", ratio),
        {"service.name": "test"},
        clock=lambda: 1_790_000_000.0,
        ids=CountingIds(trace_ids),
        max_spans=max_spans,
    )
    return provider.get_tracer("tests", "1.0")


def test_the_tracer_implements_the_opentelemetry_api():
    tracer = _tracer()
    assert isinstance(tracer, trace.Tracer)
    span = tracer.start_span("x")
    assert isinstance(span, trace.Span) and span.is_recording()


def test_children_of_a_span_share_its_trace_and_its_buffer():
    tracer = _tracer()
    with tracer.start_as_current_span("root", kind=SpanKind.SERVER) as root:
        with tracer.start_as_current_span("child") as child:
            assert trace.get_current_span() is child
        assert trace.get_current_span() is root
    assert isinstance(root, RecordingSpan) and isinstance(child, RecordingSpan)
    assert child.context.trace_id == root.context.trace_id
    assert child.parent == root.context
    assert [s.name for s in root.buffer.spans] == ["child", "root"]


def test_a_span_under_a_remote_parent_continues_its_trace():
    tracer = _tracer()
    span = tracer.start_span("server", extract({"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}))
    assert span.get_span_context().trace_id == int(TRACE, 16)
    assert isinstance(span, RecordingSpan) and span.parent is not None and span.parent.is_remote


def test_an_unsampled_remote_parent_is_followed_whatever_the_ratio():
    span = _tracer(1.0).start_span("server", extract({"traceparent": f"00-{TRACE}-00f067aa0ba902b7-00"}))
    assert isinstance(span, NonRecordingSpan)
    assert format_traceparent(span.get_span_context()).endswith("-00")
    assert span.get_span_context().trace_id == int(TRACE, 16)


def test_a_sampled_remote_parent_is_followed_even_at_ratio_zero():
    span = _tracer(0.0).start_span("server", extract({"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}))
    assert span.is_recording()


def test_root_sampling_compares_the_low_64_bits_of_the_trace_id_with_the_ratio():
    low, high = 1, (1 << 64) - 1
    tracer = _tracer(0.5, trace_ids=[low, high])
    assert tracer.start_span("kept").is_recording()
    assert not tracer.start_span("dropped").is_recording()


def test_spans_past_the_per_request_limit_are_dropped_and_counted():
    tracer = _tracer(max_spans=3)
    root = tracer.start_span("root")
    with trace.use_span(root):
        for i in range(5):
            tracer.start_span(f"child {i}").end()
    root.end()
    assert isinstance(root, RecordingSpan)
    assert len(root.buffer.spans) == 3
    assert root.buffer.dropped == 3


def test_invalid_and_excess_attributes_are_dropped_and_counted():
    span = _tracer().start_span("x")
    assert isinstance(span, RecordingSpan)
    span.set_attribute("ok", "value")
    span.set_attribute("bad", {"a": 1})
    span.set_attribute("mixed", [1, "two"])
    for i in range(MAX_ATTRIBUTES + 5):
        span.set_attribute(f"k{i}", i)
    assert span.attributes["ok"] == "value"
    assert "bad" not in span.attributes and "mixed" not in span.attributes
    assert len(span.attributes) == MAX_ATTRIBUTES
    assert span.dropped_attributes == 2 + 6


def test_events_are_bounded():
    span = _tracer().start_span("x")
    assert isinstance(span, RecordingSpan)
    for i in range(MAX_EVENTS + 2):
        span.add_event(f"e{i}")
    assert len(span.events) == MAX_EVENTS and span.dropped_events == 2


def test_an_exception_inside_a_current_span_records_it_and_sets_error():
    tracer = _tracer()
    with pytest.raises(ValueError), tracer.start_as_current_span("work") as span:
        raise ValueError("boom")
    assert isinstance(span, RecordingSpan)
    assert span.status.status_code is StatusCode.ERROR
    assert span.events[0][0] == "exception"
    assert span.events[0][2]["exception.type"] == "ValueError"


def test_an_ended_span_ignores_changes_and_is_buffered_once():
    span = _tracer().start_span("x")
    assert isinstance(span, RecordingSpan)
    span.end()
    span.end()
    span.set_attribute("late", 1)
    assert "late" not in span.attributes
    assert len(span.buffer.spans) == 1
    assert not span.is_recording()


def test_status_ok_is_final():
    span = _tracer().start_span("x")
    assert isinstance(span, RecordingSpan)
    span.set_status(StatusCode.OK)
    span.set_status(StatusCode.ERROR, "later")
    assert span.status.status_code is StatusCode.OK


@pytest.mark.parametrize(("name", "ratio"), [("sometimes", 0.5), ("traceidratio", 1.5)])
def test_a_bad_sampler_configuration_names_the_variable(name, ratio):
    with pytest.raises(ConfigurationError, match="OTEL_TRACES_SAMPLER"):
        sampler(name, ratio)
