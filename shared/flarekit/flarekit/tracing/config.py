"""Tracing configuration: the standard OTEL_* variables plus two of ours, parsed once per isolate.

| variable | default | meaning |
|---|---|---|
| OTEL_SDK_DISABLED | false | `true` turns tracing off (no span is recorded) |
| OTEL_SERVICE_NAME | the Worker's name | `service.name` of every span |
| OTEL_TRACES_SAMPLER | parentbased_traceidratio | see `sampling.SAMPLERS` |
| OTEL_TRACES_SAMPLER_ARG | 1.0 | ratio of root traces kept |
| OTEL_EXPORTER_OTLP_TRACES_ENDPOINT | | full URL spans are POSTed to |
| OTEL_EXPORTER_OTLP_ENDPOINT | | base URL; `/v1/traces` is appended |
| OTEL_EXPORTER_OTLP_(TRACES_)HEADERS | | `k=v,k2=v2`, values percent-decoded |
| OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL | http/json over the binding, http/protobuf to a URL | encoding |
| OTEL_EXPORTER_SERVICE_BINDING | TELEMETRY | service binding used when no endpoint is set |
| TELEMETRY_INGEST_TOKEN | | sent as the bearer token over the binding unless a header sets one |
| OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT | false | record prompts and completions |
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from flarekit.errors import ConfigurationError
from flarekit.tracing.sampling import Sampler, sampler

log = logging.getLogger("flarekit.tracing")

DEFAULT_BINDING = "TELEMETRY"
PROTOCOLS = ("http/protobuf", "http/json")
_TRUE = frozenset({"true", "1", "yes", "on"})


class Secret(str):
    """A header value that never shows in a repr or a log line."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('**********')"


@dataclass(frozen=True)
class TracingConfig:
    """Where and how spans go; `enabled` is False when tracing is off or has nowhere to go."""

    enabled: bool
    service_name: str
    sampler: Sampler
    endpoint: str | None
    binding: str | None
    headers: tuple[tuple[str, Secret], ...]
    protocol: str
    capture_content: bool


def _var(env: Any, name: str) -> str | None:
    value = getattr(env, name, None)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string variable, got {type(value).__name__}")
    return value.strip() or None


def parse_headers(text: str | None, variable: str = "OTEL_EXPORTER_OTLP_HEADERS") -> tuple[tuple[str, Secret], ...]:
    """`key1=value1,key2=value2` as the OpenTelemetry spec says: trimmed, percent-decoded; bad entries dropped."""
    if not text:
        return ()
    headers = []
    for entry in text.split(","):
        name, sep, value = entry.partition("=")
        name, value = unquote(name.strip()).lower(), unquote(value.strip())
        if not sep or not name or any(c in name for c in " \t\r\n:"):
            log.warning("%s: ignored a malformed entry (expected key=value)", variable)
            continue
        headers.append((name, Secret(value)))
    return tuple(headers)


def is_service_binding(value: Any) -> bool:
    """Whether an env entry is a service binding (it has `fetch`); the telemetry Worker's own
    `TELEMETRY` is a KV namespace, which must not be mistaken for one."""
    return value is not None and callable(getattr(value, "fetch", None))


def _traces_endpoint(env: Any) -> str | None:
    specific = _var(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if specific:
        return specific
    base = _var(env, "OTEL_EXPORTER_OTLP_ENDPOINT")
    return base.rstrip("/") + "/v1/traces" if base else None


def tracing_config(env: Any, worker: str) -> TracingConfig:
    """Parse the tracing variables of `env` (call once per isolate); errors name the variable."""
    disabled = (_var(env, "OTEL_SDK_DISABLED") or "false").lower() in _TRUE
    ratio_text = _var(env, "OTEL_TRACES_SAMPLER_ARG") or "1.0"
    try:
        ratio = float(ratio_text)
    except ValueError:
        raise ConfigurationError(f"OTEL_TRACES_SAMPLER_ARG={ratio_text!r} is not a number") from None
    chosen = sampler(_var(env, "OTEL_TRACES_SAMPLER") or "parentbased_traceidratio", ratio)
    endpoint = _traces_endpoint(env)
    binding_name = _var(env, "OTEL_EXPORTER_SERVICE_BINDING") or DEFAULT_BINDING
    binding = None if endpoint or not is_service_binding(getattr(env, binding_name, None)) else binding_name
    protocol = (
        _var(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or _var(env, "OTEL_EXPORTER_OTLP_PROTOCOL")
        or ("http/protobuf" if endpoint else "http/json")
    )
    if protocol not in PROTOCOLS:
        raise ConfigurationError(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r} is not one of {', '.join(PROTOCOLS)}")
    headers = parse_headers(_var(env, "OTEL_EXPORTER_OTLP_HEADERS")) + parse_headers(
        _var(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS"), "OTEL_EXPORTER_OTLP_TRACES_HEADERS"
    )
    ingest_token = _var(env, "TELEMETRY_INGEST_TOKEN")
    if binding is not None and ingest_token and not any(name == "authorization" for name, _ in headers):
        # The telemetry Worker's /v1/traces wants its ingest token, which the Workers that send it
        # records already hold: no second copy of it in OTEL_EXPORTER_OTLP_HEADERS.
        headers += (("authorization", Secret(f"Bearer {ingest_token}")),)
    capture = (_var(env, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT") or "false").lower() in _TRUE
    return TracingConfig(
        enabled=not disabled and (endpoint is not None or binding is not None),
        service_name=_var(env, "OTEL_SERVICE_NAME") or worker,
        sampler=chosen,
        endpoint=endpoint,
        binding=binding,
        headers=headers,
        protocol=protocol,
        capture_content=capture,
    )
