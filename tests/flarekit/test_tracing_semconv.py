"""Spans follow the semantic conventions: stable HTTP server attributes, GenAI client attributes."""

from __future__ import annotations

import json

from opentelemetry.trace import SpanKind, StatusCode

from flarekit.tracing.provider import TracerProvider
from flarekit.tracing.sampling import sampler
from flarekit.tracing.semconv import (
    end_genai_span,
    end_http_server_span,
    start_genai_span,
    start_http_server_span,
)


def _tracer():
    return TracerProvider(sampler("always_on", 1.0), {}, clock=lambda: 100.0).get_tracer("t")


def test_a_server_span_carries_the_stable_http_attributes():
    span = start_http_server_span(
        _tracer(), "POST", "https://proxy.example:8443/v1/chat/completions?x=1", None, "curl/8"
    )
    end_http_server_span(span, 200, "/v1/chat/completions")
    assert span.kind is SpanKind.SERVER
    assert span.name == "POST /v1/chat/completions"
    assert span.attributes == {
        "http.request.method": "POST",
        "url.path": "/v1/chat/completions",
        "url.scheme": "https",
        "url.query": "x=1",
        "server.address": "proxy.example",
        "server.port": 8443,
        "user_agent.original": "curl/8",
        "http.response.status_code": 200,
        "http.route": "/v1/chat/completions",
    }
    assert span.status.status_code is StatusCode.UNSET


def test_a_server_span_without_a_route_is_named_by_its_method():
    span = start_http_server_span(_tracer(), "GET", "http://x/nowhere", None)
    end_http_server_span(span, 404)
    assert span.name == "GET"
    assert span.status.status_code is StatusCode.UNSET  # 4xx is the client's error, not the server's


def test_a_5xx_marks_the_server_span_as_an_error_with_its_status_as_type():
    span = start_http_server_span(_tracer(), "GET", "http://x/", None)
    end_http_server_span(span, 503, "/")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "503"


def test_an_unknown_method_is_reported_as_other_with_the_original():
    span = start_http_server_span(_tracer(), "PURGE", "http://x/", None)
    assert span.attributes["http.request.method"] == "_OTHER"
    assert span.attributes["http.request.method_original"] == "PURGE"


def test_a_genai_span_carries_request_and_response_attributes():
    span = start_genai_span(_tracer(), operation="chat", provider="openai", request_model="gpt-4o", stream=True)
    end_genai_span(
        span,
        response_model="gpt-4o-2024-08-06",
        input_tokens=12,
        output_tokens=34,
        finish_reasons=["stop"],
        time_to_first_chunk_s=0.25,
    )
    assert span.kind is SpanKind.CLIENT
    assert span.name == "chat gpt-4o"
    assert span.attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.request.stream": True,
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 34,
        "gen_ai.response.time_to_first_chunk": 0.25,
        "gen_ai.response.finish_reasons": ["stop"],
    }


def test_prompts_and_completions_are_recorded_only_when_opted_in():
    messages = [{"role": "user", "content": "secret plans"}]
    quiet = start_genai_span(_tracer(), operation="chat", provider="openai", request_model="m", input_messages=messages)
    end_genai_span(quiet, output_messages=[{"role": "assistant", "content": "ok"}])
    assert not any("messages" in key for key in quiet.attributes)
    loud = start_genai_span(
        _tracer(), operation="chat", provider="openai", request_model="m", input_messages=messages, capture_content=True
    )
    end_genai_span(loud, output_messages=[{"role": "assistant", "content": "ok"}], capture_content=True)
    assert json.loads(loud.attributes["gen_ai.input.messages"]) == messages
    assert "gen_ai.output.messages" in loud.attributes


def test_a_failed_model_call_sets_error_type_and_status():
    span = start_genai_span(_tracer(), operation="chat", provider="anthropic", request_model="claude")
    end_genai_span(span, error_type="timeout")
    assert span.attributes["error.type"] == "timeout"
    assert span.status.status_code is StatusCode.ERROR
