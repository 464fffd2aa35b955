"""Tracing configuration from the standard OTEL_* variables (parsed like the OpenTelemetry spec says)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from flarekit.errors import ConfigurationError
from flarekit.tracing.config import parse_headers, tracing_config


def env(**values):
    return SimpleNamespace(**values)


def test_headers_are_trimmed_and_percent_decoded():
    headers = parse_headers(" Authorization = Bearer%20abc%3D%3D , x-tenant=acme ")
    assert [(k, str(v)) for k, v in headers] == [("authorization", "Bearer abc=="), ("x-tenant", "acme")]


def test_malformed_header_entries_are_dropped():
    assert [k for k, _ in parse_headers("novalue,=x,ok=1,bad key=2")] == ["ok"]


def test_header_values_are_masked_in_reprs():
    config = tracing_config(
        env(
            OTEL_EXPORTER_OTLP_ENDPOINT="https://collector:4318",
            OTEL_EXPORTER_OTLP_HEADERS="authorization=secret-token",
        ),
        "ai-proxy",
    )
    assert "secret-token" not in repr(config)


def test_an_endpoint_gets_the_traces_path_and_protobuf_by_default():
    config = tracing_config(env(OTEL_EXPORTER_OTLP_ENDPOINT="https://collector:4318/"), "ai-proxy")
    assert config.enabled
    assert (config.endpoint, config.binding, config.protocol) == (
        "https://collector:4318/v1/traces",
        None,
        "http/protobuf",
    )


def test_a_signal_specific_endpoint_is_used_as_is():
    config = tracing_config(env(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="https://x/custom"), "w")
    assert config.endpoint == "https://x/custom"


class Binding:
    async def fetch(self, *args, **kwargs):
        raise NotImplementedError


def test_without_an_endpoint_spans_go_over_the_telemetry_binding_as_json():
    config = tracing_config(env(TELEMETRY=Binding()), "telegram-bot")
    assert (config.enabled, config.binding, config.endpoint, config.protocol) == (True, "TELEMETRY", None, "http/json")
    assert config.service_name == "telegram-bot"


def test_with_nowhere_to_send_tracing_is_off():
    assert not tracing_config(env(), "w").enabled


def test_a_kv_namespace_named_telemetry_is_not_mistaken_for_the_service_binding():
    assert not tracing_config(env(TELEMETRY=object()), "telemetry").enabled


def test_the_sdk_can_be_disabled():
    assert not tracing_config(env(TELEMETRY=Binding(), OTEL_SDK_DISABLED="true"), "w").enabled


def test_sampling_ratio_and_content_capture_are_read():
    config = tracing_config(
        env(
            TELEMETRY=Binding(),
            OTEL_TRACES_SAMPLER_ARG="0.25",
            OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="true",
        ),
        "w",
    )
    assert config.sampler.ratio == 0.25 and config.sampler.parent_based
    assert config.capture_content


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"OTEL_TRACES_SAMPLER_ARG": "half"}, "OTEL_TRACES_SAMPLER_ARG"),
        ({"OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER"),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
    ],
)
def test_bad_values_are_errors_naming_the_variable(values, variable):
    with pytest.raises(ConfigurationError, match=variable):
        tracing_config(env(**values), "w")


def test_over_the_binding_the_ingest_token_is_sent_unless_a_header_sets_authorization():
    config = tracing_config(env(TELEMETRY=Binding(), TELEMETRY_INGEST_TOKEN="ingest-tok"), "ai-proxy")
    assert [(k, str(v)) for k, v in config.headers] == [("authorization", "Bearer ingest-tok")]
    explicit = tracing_config(
        env(
            TELEMETRY=Binding(),
            TELEMETRY_INGEST_TOKEN="ingest-tok",
            OTEL_EXPORTER_OTLP_HEADERS="Authorization=Basic%20x",
        ),
        "ai-proxy",
    )
    assert [(k, str(v)) for k, v in explicit.headers] == [("authorization", "Basic x")]


def test_the_ingest_token_is_never_sent_to_a_foreign_endpoint():
    config = tracing_config(env(OTEL_EXPORTER_OTLP_ENDPOINT="https://c:4318", TELEMETRY_INGEST_TOKEN="t"), "w")
    assert config.headers == ()
