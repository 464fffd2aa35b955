"""The telemetry Worker's configuration: one frozen record parsed from `env` once per set of values."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flarekit.errors import ConfigurationError

# Storage and request limits (docs/telemetry.md explains each).
DEFAULT_TTL_SECONDS = 7 * 24 * 3600  # KV `expirationTtl` of everything stored
MIN_TTL_SECONDS = 60  # KV refuses shorter TTLs
MAX_BODY_BYTES = 20 * 1024 * 1024  # after decompression (OTLP's recommended default)
MAX_EVENT_BYTES = 64 * 1024  # one stored event
MAX_BATCH_EVENTS = 1000

_VARIABLES = (
    "ENVIRONMENT",
    "TELEMETRY_INGEST_TOKEN",
    "TELEMETRY_QUERY_TOKEN",
    "TELEMETRY_TTL_SECONDS",
    "TELEMETRY_CORS_ORIGINS",
    "INSTALL_SCRIPT_URL",
    "TELEMETRY_KV_RETRY_BASE_MS",
)
DEFAULT_RETRY_BASE_MS = 100  # KV retries wait 100, 200, 400 ms


@dataclass(frozen=True)
class Secret:
    """A credential whose repr never shows it."""

    value: str

    def __repr__(self) -> str:
        return "Secret('********')"


@dataclass(frozen=True)
class TelemetryConfig:
    environment: str
    ingest_token: Secret | None
    query_token: Secret | None
    ttl_seconds: int
    cors_origins: tuple[str, ...]  # ("*",) allows any origin; () sends no CORS headers
    install_script_url: str | None
    retry_delays: tuple[float, ...] = (0.1, 0.2, 0.4)  # seconds before each retry of a failed KV call

    @property
    def production(self) -> bool:
        """Anything not explicitly a development setup is treated as production (fail closed)."""
        return self.environment not in ("development", "dev", "test")


def config_from_env(env: Any) -> TelemetryConfig:
    """The configuration for this env (parsed once per distinct set of values)."""
    return _parse(tuple(_text(getattr(env, name, None)) for name in _VARIABLES))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


@lru_cache(maxsize=8)
def _parse(values: tuple[str | None, ...]) -> TelemetryConfig:
    environment, ingest, query, ttl_text, cors, install, retry_text = values
    ttl = DEFAULT_TTL_SECONDS
    if ttl_text is not None:
        try:
            ttl = int(ttl_text)
        except ValueError:
            raise ConfigurationError(
                f"TELEMETRY_TTL_SECONDS must be a whole number of seconds, got {ttl_text!r}"
            ) from None
        if ttl < MIN_TTL_SECONDS:
            raise ConfigurationError(
                f"TELEMETRY_TTL_SECONDS must be at least {MIN_TTL_SECONDS} (KV's minimum), got {ttl}"
            )
    origins = tuple(o.strip().rstrip("/") for o in (cors or "").split(",") if o.strip())
    if install is not None and not install.startswith(("https://", "http://")):
        raise ConfigurationError(f"INSTALL_SCRIPT_URL must be an http(s) URL, got {install!r}")
    base = _whole_number("TELEMETRY_KV_RETRY_BASE_MS", retry_text, DEFAULT_RETRY_BASE_MS)
    return TelemetryConfig(
        environment=(environment or "production").lower(),
        ingest_token=Secret(ingest) if ingest else None,
        query_token=Secret(query) if query else None,
        ttl_seconds=ttl,
        cors_origins=origins,
        install_script_url=install,
        retry_delays=tuple(base * factor / 1000 for factor in (1, 2, 4)),
    )


def _whole_number(name: str, text: str | None, default: int) -> int:
    if text is None:
        return default
    if not text.isdigit():
        raise ConfigurationError(f"{name} must be a whole number, got {text!r}")
    return int(text)
