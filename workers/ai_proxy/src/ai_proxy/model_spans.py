"""Spans of the calls to providers (OpenTelemetry GenAI conventions), for the request's trace.

Each attempt the failover loop makes is one CLIENT span `chat {model}` (`embeddings {model}`),
current while the call runs, so the upstream request carries it as its `traceparent`
(flarekit.llm.transport). A failed attempt ends with `error.type` (the ProviderError's kind); an
answer ends with the response model and id, usage and finish reasons; a stream's span stays open
from its first chunk (`gen_ai.response.time_to_first_chunk`) until the stream ends. The wait
between retry rounds is a `retry backoff` span. Prompts and completions are recorded only with
OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import trace

from flarekit.llm.calls import ChatResult, ChatStream
from flarekit.llm.deployments import Deployment
from flarekit.llm.errors import ProviderError
from flarekit.llm.tokens import Usage
from flarekit.tracing.current import tracer
from flarekit.tracing.semconv import end_genai_span, start_genai_span


def loop_time() -> float:
    """Seconds on the event loop's clock (real elapsed time, as the gateway's deadlines use)."""
    return asyncio.get_running_loop().time()


def _finish_reasons(choices: Any) -> list[str]:
    if not isinstance(choices, list):
        return []
    return [str(c["finish_reason"]) for c in choices if isinstance(c, dict) and c.get("finish_reason")]


class ModelCallSpans:
    """The spans of one logical model call: one per attempt; a stream's stays open until it ends."""

    __slots__ = ("body", "capture", "open", "operation", "started", "stream")

    def __init__(self, operation: str, body: dict[str, Any], stream: bool = False, capture: bool = False) -> None:
        self.operation = operation
        self.body = body
        self.stream = stream
        self.capture = capture
        self.open: trace.Span | None = None  # a stream's span, ended by `stream_ended`
        self.started = 0.0

    async def run(self, deployment: Deployment, call: Callable[[], Awaitable[Any]]) -> Any:
        """Make one attempt inside its span."""
        body = self.body
        base_url = deployment.provider.base_url
        span = start_genai_span(
            tracer(),
            operation=self.operation,
            provider=deployment.provider.name,
            request_model=deployment.model,
            server_address=urlsplit(base_url).hostname if base_url else None,
            stream=self.stream,
            max_tokens=body.get("max_tokens") if type(body.get("max_tokens")) is int else None,
            temperature=body.get("temperature") if type(body.get("temperature")) in (int, float) else None,
            input_messages=body.get("messages") if self.capture else None,
            capture_content=self.capture,
        )
        self.started = loop_time()
        try:
            with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
                value = await call()
        except ProviderError as error:
            # An error status is named by its code (as HTTP spans do); other failures by kind
            # (timeout, connection, malformed, ...).
            status = error.kind == "status" and error.status
            end_genai_span(span, error_type=str(error.status) if status else error.kind, error_message=error.message)
            raise
        except BaseException as error:
            end_genai_span(span, error_type=type(error).__name__)
            raise
        self._answered(span, value)
        return value

    def _answered(self, span: trace.Span, value: Any) -> None:
        if isinstance(value, ChatStream):
            first = value.first[0].data if value.first else {}
            if span.is_recording():
                span.set_attribute("gen_ai.response.time_to_first_chunk", round(loop_time() - self.started, 6))
                if first.get("model"):
                    span.set_attribute("gen_ai.response.model", str(first["model"]))
                if first.get("id"):
                    span.set_attribute("gen_ai.response.id", str(first["id"]))
            self.open = span
            return
        if isinstance(value, ChatResult):
            body, usage = value.body, value.usage
            outputs = [c.get("message") for c in body.get("choices") or () if isinstance(c, dict)]
            finish_reasons = _finish_reasons(body.get("choices"))
        else:  # embeddings: (body, usage)
            body, usage = value
            outputs, finish_reasons = None, []
        end_genai_span(
            span,
            response_model=str(body.get("model")) if body.get("model") else None,
            response_id=str(body.get("id")) if body.get("id") else None,
            input_tokens=usage.prompt_tokens if usage is not None else None,
            output_tokens=usage.completion_tokens if usage is not None and self.operation == "chat" else None,
            finish_reasons=finish_reasons,
            output_messages=outputs,
            capture_content=self.capture,
        )

    def stream_ended(
        self,
        usage: Usage | None,
        finish_reasons: Sequence[str] = (),
        error_type: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """End a stream's span with what the stream told (usage, finish reasons, or why it broke)."""
        span, self.open = self.open, None
        if span is None:
            return
        end_genai_span(
            span,
            input_tokens=usage.prompt_tokens if usage is not None else None,
            output_tokens=usage.completion_tokens if usage is not None else None,
            finish_reasons=finish_reasons,
            error_type=error_type,
            error_message=error_message,
        )


async def backoff(delay: float) -> None:
    """The wait between two failover rounds, as a span of its own."""
    with tracer().start_as_current_span("retry backoff", attributes={"flarekit.retry.delay_s": round(delay, 6)}):
        await asyncio.sleep(delay)
