"""The recording span and the per-request buffer its finished spans go to.

Limits keep a span's memory bounded whatever the instrumented code does: attributes, events and
links past their limit, and attribute values of an unsupported type, are dropped and counted
(the counts travel in OTLP's `dropped_*_count` fields), as OpenTelemetry's BoundedAttributes does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opentelemetry.trace import Link, Span, SpanContext, SpanKind, Status, StatusCode
from opentelemetry.util import types

MAX_ATTRIBUTES = 64
MAX_EVENTS = 32
MAX_LINKS = 8
MAX_SPANS_PER_REQUEST = 128
MAX_STRING = 4096
_SCALARS = (str, bool, int, float)


class SpanBuffer:
    """The finished spans of one local trace (one request), bounded; drops are counted."""

    __slots__ = ("dropped", "limit", "spans")

    def __init__(self, limit: int = MAX_SPANS_PER_REQUEST) -> None:
        self.limit = limit
        self.spans: list[RecordingSpan] = []
        self.dropped = 0

    def add(self, span: RecordingSpan) -> None:
        if len(self.spans) < self.limit:
            self.spans.append(span)
        else:
            self.dropped += 1


def clean_value(value: Any) -> Any:
    """An attribute value as OpenTelemetry allows it (scalar or homogeneous list), or None to drop it."""
    if isinstance(value, str):
        return value[:MAX_STRING]
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items = list(value)
        if not items:
            return items
        kind = type(items[0])
        if kind in _SCALARS and all(type(item) is kind for item in items):
            return [item[:MAX_STRING] if kind is str else item for item in items]
    return None


class RecordingSpan(Span):
    """A sampled span: what OTLP needs, kept until the request's spans are exported."""

    __slots__ = (
        "_clock_ns",
        "attributes",
        "buffer",
        "context",
        "dropped_attributes",
        "dropped_events",
        "dropped_links",
        "end_ns",
        "events",
        "kind",
        "links",
        "name",
        "parent",
        "scope",
        "start_ns",
        "status",
    )

    def __init__(
        self,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        kind: SpanKind,
        start_ns: int,
        buffer: SpanBuffer,
        scope: tuple[str, str | None],
        clock_ns: Callable[[], int],
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = None,
    ) -> None:
        self.name = name
        self.context = context
        self.parent = parent
        self.kind = kind
        self.start_ns = start_ns
        self.end_ns: int | None = None
        self.buffer = buffer
        self.scope = scope
        self._clock_ns = clock_ns
        self.attributes: dict[str, Any] = {}
        self.events: list[tuple[str, int, dict[str, Any]]] = []
        self.links: list[tuple[SpanContext, dict[str, Any]]] = []
        self.status = Status(StatusCode.UNSET)
        self.dropped_attributes = self.dropped_events = self.dropped_links = 0
        if attributes:
            self.set_attributes(attributes)
        for link in links or ():
            self.add_link(link.context, link.attributes)

    # -- opentelemetry.trace.Span ---------------------------------------------------------------

    def get_span_context(self) -> SpanContext:
        return self.context

    def is_recording(self) -> bool:
        return self.end_ns is None

    def set_attribute(self, key: str, value: types.AnyValue) -> None:
        if self.end_ns is not None:
            return
        cleaned = clean_value(value)
        if not key or not isinstance(key, str) or cleaned is None:
            self.dropped_attributes += 1
        elif key in self.attributes or len(self.attributes) < MAX_ATTRIBUTES:
            self.attributes[key] = cleaned
        else:
            self.dropped_attributes += 1

    def set_attributes(self, attributes: Mapping[str, types.AnyValue]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def add_event(self, name: str, attributes: types.Attributes = None, timestamp: int | None = None) -> None:
        if self.end_ns is not None:
            return
        if len(self.events) >= MAX_EVENTS:
            self.dropped_events += 1
            return
        cleaned = {k: v for k, v in ((k, clean_value(v)) for k, v in (attributes or {}).items()) if v is not None}
        self.events.append((name, timestamp if timestamp is not None else self._clock_ns(), cleaned))

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        if self.end_ns is not None or not context.is_valid:
            return
        if len(self.links) >= MAX_LINKS:
            self.dropped_links += 1
            return
        self.links.append((context, {k: clean_value(v) for k, v in (attributes or {}).items()}))

    def update_name(self, name: str) -> None:
        if self.end_ns is None:
            self.name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self.end_ns is not None:
            return
        if isinstance(status, StatusCode):
            status = Status(status, description)
        # OK is final; UNSET never overrides (the OpenTelemetry SDK's rule).
        if self.status.status_code is StatusCode.OK or status.status_code is StatusCode.UNSET:
            return
        self.status = status

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        event: dict[str, Any] = {
            "exception.type": type(exception).__qualname__,
            "exception.message": str(exception),
        }
        event.update(attributes or {})
        self.add_event("exception", event, timestamp)

    def end(self, end_time: int | None = None) -> None:
        if self.end_ns is not None:
            return
        self.end_ns = end_time if end_time is not None else self._clock_ns()
        self.buffer.add(self)

    def __repr__(self) -> str:
        return (
            f"RecordingSpan({self.name!r}, trace_id={self.context.trace_id:032x}, span_id={self.context.span_id:016x})"
        )
