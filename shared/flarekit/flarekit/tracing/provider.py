"""TracerProvider and Tracer implementing `opentelemetry-api`, made for one request at a time.

A span whose parent is one of our recording spans joins the parent's buffer; any other span (a
root, or the child of a remote `traceparent`) starts a new buffer: the unit that is exported after
the response. Unsampled spans are the API's NonRecordingSpan, so they cost almost nothing and
still carry the trace ID (with the sampled flag off) to the next hop.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.util import types
from opentelemetry.util._decorator import _agnosticcontextmanager

from flarekit.clock import Clock, now
from flarekit.tracing.ids import IdGenerator, RandomIdGenerator
from flarekit.tracing.sampling import Sampler
from flarekit.tracing.spans import MAX_SPANS_PER_REQUEST, RecordingSpan, SpanBuffer

_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_NOT_SAMPLED = TraceFlags(TraceFlags.DEFAULT)


class TracerProvider(trace.TracerProvider):
    """Hands out tracers sharing one sampler, ID generator, clock and resource."""

    def __init__(
        self,
        sampler: Sampler,
        resource: dict[str, Any],
        *,
        clock: Clock = now,
        ids: IdGenerator | None = None,
        max_spans: int = MAX_SPANS_PER_REQUEST,
    ) -> None:
        self.sampler = sampler
        self.resource = resource
        self.clock = clock
        self.ids = ids or RandomIdGenerator()
        self.max_spans = max_spans

    def clock_ns(self) -> int:
        # Microseconds are exact in a float of epoch seconds; nanoseconds are not (Workers give ms).
        return round(self.clock() * 1_000_000) * 1000

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: types.Attributes = None,
    ) -> Tracer:
        return Tracer(self, (instrumenting_module_name, instrumenting_library_version))


class Tracer(trace.Tracer):
    """Starts spans: recording when sampled, NonRecordingSpan otherwise."""

    def __init__(self, provider: TracerProvider, scope: tuple[str, str | None]) -> None:
        self._provider = provider
        self._scope = scope

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace.Span:
        provider = self._provider
        parent_span = trace.get_current_span(context)
        context_of_parent = parent_span.get_span_context()
        parent = context_of_parent if context_of_parent.is_valid else None
        if isinstance(parent_span, RecordingSpan):
            buffer, trace_id, sampled = parent_span.buffer, context_of_parent.trace_id, True
        else:
            buffer = None
            trace_id = parent.trace_id if parent is not None else provider.ids.new_trace_id()
            sampled = provider.sampler.should_sample(parent, trace_id)
        state = parent.trace_state if parent is not None else None
        span_context = SpanContext(
            trace_id,
            provider.ids.new_span_id(),
            is_remote=False,
            trace_flags=_SAMPLED if sampled else _NOT_SAMPLED,
            trace_state=state,
        )
        if not sampled:
            return NonRecordingSpan(span_context)
        return RecordingSpan(
            name,
            span_context,
            parent,
            kind,
            start_time if start_time is not None else provider.clock_ns(),
            buffer if buffer is not None else SpanBuffer(provider.max_spans),
            self._scope,
            provider.clock_ns,
            attributes,
            links,
        )

    @_agnosticcontextmanager
    def start_as_current_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[trace.Span]:
        span = self.start_span(name, context, kind, attributes, links, start_time)
        with trace.use_span(
            span,
            end_on_exit=end_on_exit,
            record_exception=record_exception,
            set_status_on_exception=set_status_on_exception,
        ) as current:
            yield current
