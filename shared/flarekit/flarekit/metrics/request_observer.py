"""Observe every request of a Worker: a server span, and one metrics record, sent after the response.

Wiring in a Worker is a few lines (build the Observer once per isolate):

    @functools.cache
    def observer(env):  # env is the same object for the life of an isolate
        return Observer(env, WORKER_NAME, __version__)

    async def handle(request, env, ctx):
        return await observer(env).serve(request, ctx, lambda: dispatch(router(), request, env, ctx, render_error))

The work after the response (ending a streamed request's span, exporting spans, sending the
record) runs in one `waitUntil` task, so the response never waits for monitoring and a monitoring
failure never changes it. Per request on the hot path: one header read, one span (when sampled),
one small object; no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, Tracer

from flarekit.clock import Clock, now
from flarekit.metrics import observation
from flarekit.metrics.sender import RecordSink, binding_sink, send_record
from flarekit.tracing import current as current_tracer
from flarekit.tracing import propagation
from flarekit.tracing.config import TracingConfig, tracing_config
from flarekit.tracing.export import export_spans, resource_attributes
from flarekit.tracing.provider import TracerProvider
from flarekit.tracing.semconv import end_http_server_span, start_http_server_span
from flarekit.tracing.spans import RecordingSpan

log = logging.getLogger("flarekit.metrics")


class Observer:
    """Per-isolate monitoring of one Worker: its tracer, tracing config and record sink."""

    def __init__(
        self,
        env: Any,
        worker: str,
        version: str | None = None,
        *,
        sink: RecordSink | None = None,
        clock: Clock = now,
        config: TracingConfig | None = None,
    ) -> None:
        self.env = env
        self.worker = worker
        self.clock = clock
        self.config = config or tracing_config(env, worker)
        self.resource = resource_attributes(self.config, version)
        self.provider = TracerProvider(self.config.sampler, self.resource, clock=clock)
        self.tracer: Tracer = self.provider.get_tracer("flarekit", version)
        self.sink = sink if sink is not None else binding_sink(env)

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    async def serve(self, request: Any, ctx: Any, handler: Callable[[], Awaitable[Any]]) -> Any:
        """Run `handler` inside the request's span and observation; finish both after the response."""
        method = str(getattr(request.method, "value", request.method)).upper()
        obs = observation.Observation(worker=self.worker, method=method, started_ms=self._now_ms())
        span: trace.Span = INVALID_SPAN
        if self.config.enabled:
            headers = request.headers  # built anew on each access in production: read once
            parent = propagation.extract(headers)
            span = start_http_server_span(self.tracer, method, request.url, parent, headers.get("user-agent"))
            context = span.get_span_context()
            if context.trace_flags.sampled:
                obs.trace_id = f"{context.trace_id:032x}"
        token = observation.activate(obs)
        tracer_token = current_tracer.activate(self.tracer)
        try:
            with trace.use_span(span, end_on_exit=False, record_exception=True):
                response = await handler()
        except Exception as error:
            obs.set(status=500, error_type=type(error).__name__)
            ctx.waitUntil(self.finish(obs, span, self._now_ms()))
            raise
        finally:
            current_tracer.deactivate(tracer_token)
            observation.deactivate(token)
        obs.status = response.status
        ctx.waitUntil(self.finish(obs, span, None if obs._done is not None else self._now_ms()))
        return response

    async def finish(self, obs: observation.Observation, span: trace.Span, ended_ms: int | None) -> None:
        """End the span (after a held stream is released), export the spans, send the record."""
        if ended_ms is None:
            await obs.wait_released()
            ended_ms = self._now_ms()
        end_http_server_span(span, obs.status, obs.route or None, obs.error_type or None, ended_ms * 1_000_000)
        export_failures = 0
        if isinstance(span, RecordingSpan):
            buffer = span.buffer
            if not await export_spans(self.env, self.config, self.resource, buffer.spans, buffer.dropped):
                export_failures = 1
        await send_record(self.sink, obs.to_record(ended_ms, export_failures))
