"""Observe every request of a Worker: a server span, and one metrics record, sent after the response.

Wiring in a Worker is a few lines:

    OBSERVER = Observer(WORKER_NAME, __version__)  # module level: no I/O, no entropy

    async def handle(request, env, ctx):
        return await OBSERVER.serve(request, env, ctx, lambda: dispatch(router(), request, env, ctx, render_error))

The Observer is keyed to nothing per request: production wraps `env` in a new `_EnvWrapper` for
every request, so anything cached on the env object would be rebuilt (and kept) per request. The
tracing configuration is parsed from the first request's env (vars do not change within an
isolate); the record sink is looked up on each request's env (one attribute read).

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
from opentelemetry.trace import INVALID_SPAN

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

    def tracing(self, env: Any) -> _Tracing:
        """The tracing setup, parsed from `env` on first use."""
        if self._tracing is None:
            self._tracing = _Tracing(tracing_config(env, self.worker), self.version, self.clock)
        return self._tracing

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    async def serve(self, request: Any, env: Any, ctx: Any, handler: Callable[[], Awaitable[Any]]) -> Any:
        """Run `handler` inside the request's span and observation; finish both after the response."""
        tracing = self.tracing(env)
        method = str(getattr(request.method, "value", request.method)).upper()
        obs = observation.Observation(worker=self.worker, method=method, started_ms=self._now_ms())
        span: trace.Span = INVALID_SPAN
        if tracing.config.enabled:
            headers = request.headers  # built anew on each access in production: read once
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
            ctx.waitUntil(self.finish(env, obs, span, self._now_ms()))
            raise
        finally:
            current_tracer.deactivate(tracer_token)
            observation.deactivate(token)
        obs.status = response.status
        ctx.waitUntil(self.finish(env, obs, span, None if obs._done is not None else self._now_ms()))
        return response

    async def finish(self, env: Any, obs: observation.Observation, span: trace.Span, ended_ms: int | None) -> None:
        """End the span (after a held stream is released), export the spans, send the record."""
        if ended_ms is None:
            await obs.wait_released()
            ended_ms = self._now_ms()
        end_http_server_span(span, obs.status, obs.route or None, obs.error_type or None, ended_ms * 1_000_000)
        export_failures = 0
        if isinstance(span, RecordingSpan):
            tracing = self.tracing(env)
            buffer = span.buffer
            if not await export_spans(env, tracing.config, tracing.resource, buffer.spans, buffer.dropped):
                export_failures = 1
        await send_record(self._sink(env), obs.to_record(ended_ms, export_failures))
