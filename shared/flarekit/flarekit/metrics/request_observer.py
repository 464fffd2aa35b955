"""Observe every request of a Worker: a server span, and one metrics record, sent after the response.

Wiring in a Worker is a few lines:

    OBSERVER = Observer(WORKER_NAME, __version__)  # module level: no I/O, no entropy

    async def handle(request, env, ctx):
        return await OBSERVER.serve(request, env, ctx, lambda: dispatch(router(), request, env, ctx, render_error))

The Observer is keyed to nothing per request: production wraps `env` in a new `_EnvWrapper` for
every request, so anything cached on the env object would be rebuilt (and kept) per request. The
tracing configuration is parsed from the first request's env (vars do not change within an
isolate); the record sink is looked up on each request's env (one attribute read).

When the response is ready its span ends and the span and the record are queued in the isolate's
`Outbox`; the flush that sends them in batches runs in `waitUntil` (one per batch, not one per
request), so the response never waits for I/O and a monitoring failure never changes it. A held
(streamed) response is finished by a `waitUntil` task when its stream says it ended. Per request:
one header read, one span (when sampled), one small object and a list append; no I/O.

Background work that continues a request's trace later (a Durable Object handling a queued
Telegram update) runs inside `continue_trace(env, ctx, name, traceparent)`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, SpanKind

from flarekit.clock import Clock, now
from flarekit.metrics import observation
from flarekit.metrics.outbox import Outbox
from flarekit.metrics.sender import RecordSink, ServiceBindingSink, binding_sink, send_records
from flarekit.tracing import current as current_tracer
from flarekit.tracing import propagation
from flarekit.tracing.config import TracingConfig, tracing_config
from flarekit.tracing.export import export_spans, resource_attributes
from flarekit.tracing.provider import TracerProvider
from flarekit.tracing.semconv import end_http_server_span, start_http_server_span
from flarekit.tracing.spans import RecordingSpan

log = logging.getLogger("flarekit.metrics")

SinkFactory = Callable[[Any], RecordSink | None]


class _Tracing:
    """What the first request's env configures, once per isolate."""

    def __init__(self, config: TracingConfig, version: str | None, clock: Clock) -> None:
        self.config = config
        self.resource = resource_attributes(config, version)
        self.tracer = TracerProvider(config.sampler, self.resource, clock=clock).get_tracer("flarekit", version)


class Observer:
    """Monitoring of one Worker, built once per isolate: its tracer, tracing config and record sink."""

    def __init__(
        self,
        worker: str,
        version: str | None = None,
        *,
        sink: SinkFactory = binding_sink,
        clock: Clock = now,
        config: TracingConfig | None = None,
    ) -> None:
        self.worker = worker
        self.version = version
        self.clock = clock
        self._sink = sink
        self._tracing = _Tracing(config, version, clock) if config is not None else None
        self.outbox = Outbox()

    def tracing(self, env: Any) -> _Tracing:
        """The tracing setup, parsed from `env` on first use."""
        if self._tracing is None:
            self._tracing = _Tracing(tracing_config(env, self.worker), self.version, self.clock)
        return self._tracing

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    async def serve(
        self, request: Any, env: Any, ctx: Any, handler: Callable[[], Awaitable[Any]], headers: Any = None
    ) -> Any:
        """Run `handler` inside the request's span and observation; finish both after the response.

        `headers`: the request's headers when the caller has read them already (production builds
        the mapping anew on each `request.headers` access).
        """
        tracing = self.tracing(env)
        method = str(getattr(request.method, "value", request.method)).upper()
        obs = observation.Observation(worker=self.worker, method=method, started_ms=self._now_ms())
        span: trace.Span = INVALID_SPAN
        if tracing.config.enabled:
            if headers is None:
                # Three header reads straight from the JS Headers: cheaper than building the whole
                # mapping, which production does on every `request.headers` access.
                js_request = getattr(request, "js_object", None)
                headers = js_request.headers if js_request is not None else request.headers
            parent = propagation.extract(headers)
            span = start_http_server_span(tracing.tracer, method, request.url, parent, headers.get("user-agent"))
            context = span.get_span_context()
            if context.trace_flags.sampled:
                obs.trace_id = f"{context.trace_id:032x}"
        token = observation.activate(obs)
        tracer_token = current_tracer.activate(tracing.tracer)
        try:
            with trace.use_span(span, end_on_exit=False, record_exception=True):
                response = await handler()
        except Exception as error:
            obs.set(status=500, error_type=type(error).__name__)
            self._queue(env, ctx, obs, span)
            raise
        finally:
            current_tracer.deactivate(tracer_token)
            observation.deactivate(token)
        obs.status = response.status
        if obs._done is None:
            self._queue(env, ctx, obs, span)
        else:  # a stream still running: its record and span end when it says so
            ctx.waitUntil(self.finish(env, obs, span))
        return response

    def _queue(self, env: Any, ctx: Any, obs: observation.Observation, span: trace.Span) -> None:
        """End the span, queue it and the record; start a flush unless one is already on its way.

        Done before returning rather than in a task of its own: a `waitUntil` per request costs more
        (a JS promise per coroutine in production) than these few microseconds.
        """
        self._end(obs, span)
        if self.outbox.claim_flush():
            ctx.waitUntil(self.flush(env))

    def _end(self, obs: observation.Observation, span: trace.Span) -> None:
        """End the request's server span and put it, its children and the record in the outbox."""
        ended_ms = self._now_ms()
        end_http_server_span(span, obs.status, obs.route or None, obs.error_type or None, ended_ms * 1_000_000)
        if isinstance(span, RecordingSpan):
            self.outbox.add(obs.to_record(ended_ms), span.buffer.spans, span.buffer.dropped)
        else:
            self.outbox.add(obs.to_record(ended_ms))

    async def finish(self, env: Any, obs: observation.Observation, span: trace.Span) -> None:
        """After a held stream is released: end the span, queue its spans and record, flush."""
        await obs.wait_released()
        self._end(obs, span)
        await self.flush(env)

    async def flush(self, env: Any) -> None:
        """Send what the isolate has pending (spans, then records), unless a flush already will. Never raises."""
        tracing = self.tracing(env)
        sink = self._sink(env)
        # Spans and records usually cross the same binding: read it from env once.
        same = isinstance(sink, ServiceBindingSink) and sink.name == tracing.config.binding
        binding = sink.binding if same and isinstance(sink, ServiceBindingSink) else None

        async def send_spans(spans: Any, dropped: int) -> bool:
            return await export_spans(env, tracing.config, tracing.resource, spans, dropped, binding)

        async def send(records: list[dict[str, Any]]) -> None:
            await send_records(sink, records)

        await self.outbox.flush(send_spans, send)

    @contextlib.asynccontextmanager
    async def continue_trace(
        self,
        env: Any,
        ctx: Any,
        name: str,
        traceparent: str | None,
        attributes: Mapping[str, Any] | None = None,
        kind: SpanKind = SpanKind.CONSUMER,
    ) -> AsyncIterator[trace.Span]:
        """Run background work as a span of the trace `traceparent` names (a new trace without one).

        For work a request queued and something else runs later (a Durable Object draining
        Telegram updates): inside, `current.tracer()` and `inject_current` work as in a request;
        at the end the spans are queued and flushed through `ctx.waitUntil`.
        """
        tracing = self.tracing(env)
        if not tracing.config.enabled:
            yield INVALID_SPAN
            return
        parent = propagation.extract({"traceparent": traceparent}) if traceparent else None
        span = tracing.tracer.start_span(name, parent, kind, dict(attributes or {}))
        token = current_tracer.activate(tracing.tracer)
        try:
            with trace.use_span(span, end_on_exit=True, record_exception=True, set_status_on_exception=True):
                yield span
        finally:
            current_tracer.deactivate(token)
            if isinstance(span, RecordingSpan):
                self.outbox.add_spans(span.buffer.spans, span.buffer.dropped)
                if self.outbox.claim_flush():
                    ctx.waitUntil(self.flush(env))
