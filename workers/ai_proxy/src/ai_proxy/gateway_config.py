"""`GATEWAY_CONFIG` parsed into frozen records, once per isolate; every error names the bad field.

    {"providers": {"<name>": {"type": "openai"|"anthropic"|"workers-ai", "base_url": "...",
                              "api_key_env": "<SECRET NAME>", "headers": {...}, "api_version": "..."}},
     "models": {"<alias>": [{"provider": "<name>", "model": "<upstream model>", "weight": 1,
                             "price": {"input_per_mtok": 0.15, "output_per_mtok": 0.6}}]},
     "default_model": "<alias>",
     "routing": {"strategy": "priority", "timeouts": {...}, "retry": {...}, "circuit_breaker": {...}},
     "cache": {...}, "limits": {...}, "budgets": {...}, "cors": {...}, "request": {...},
     "batch": {...}, "conversations": {...}}

Without a config every model goes to Workers AI (see `default_config`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flarekit.cache import CachePolicy
from flarekit.errors import ConfigurationError
from flarekit.llm.circuit_breaker import BreakerPolicy
from flarekit.llm.deployments import Deployment, ProviderSpec, RetryPolicy, Secret, Timeouts
from flarekit.llm.prices import default_price, parse_price
from flarekit.llm.providers import provider_type
from flarekit.llm.routing import strategy
from flarekit.ratelimit import Limit
from flarekit.ratelimit.limits import ALGORITHMS
from flarekit.usage import Budget

ROOT = "GATEWAY_CONFIG"
WORKERS_AI = "workers-ai"


@dataclass(frozen=True)
class KeyPolicy:
    """Limits and budgets applied to a key (the config's defaults, or a virtual key's own)."""

    limits: tuple[Limit, ...] = ()
    budget: Budget = field(default_factory=Budget)
    tokens_limited: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens_limited", any(limit.unit == "tokens" for limit in self.limits))


@dataclass(frozen=True)
class CorsPolicy:
    allowed_origins: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age: int = 600

    def allows(self, origin: str) -> bool:
        return "*" in self.allowed_origins or origin in self.allowed_origins


@dataclass(frozen=True)
class RequestLimits:
    max_body_bytes: int = 1024 * 1024
    max_messages: int = 256
    max_depth: int = 32


@dataclass(frozen=True)
class GatewayConfig:
    """Everything the gateway routes and enforces; built once per isolate."""

    providers: Mapping[str, ProviderSpec]
    models: Mapping[str, tuple[Deployment, ...]]
    strategy: str = "priority"
    default_model: str | None = None
    default_embedding_model: str | None = None
    passthrough_workers_ai: bool = False
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    cache: CachePolicy = field(default_factory=CachePolicy)
    shared_cache: bool = False
    key_policy: KeyPolicy = field(default_factory=KeyPolicy)
    limiter_fail_closed: bool = False
    cors: CorsPolicy = field(default_factory=CorsPolicy)
    request: RequestLimits = field(default_factory=RequestLimits)
    batch_max_items: int = 100
    batch_concurrency: int = 4
    history_tokens: int = 3000
    telemetry: bool = True

    @property
    def deployments(self) -> list[Deployment]:
        """Every deployment once (an upstream model may serve several aliases)."""
        seen: dict[str, Deployment] = {}
        for group in self.models.values():
            for deployment in group:
                seen.setdefault(deployment.id, deployment)
        return list(seen.values())


class _Reader:
    """Typed access to one JSON object of the config, naming fields by their path."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"{where}: expected an object, got {_show(data)}")
        self.data = data
        self.where = where

    def path(self, name: str) -> str:
        return f"{self.where}.{name}"

    def known(self, *names: str) -> None:
        unknown = sorted(set(self.data) - set(names))
        if unknown:
            raise ConfigurationError(f"{self.path(unknown[0])}: unknown field (known: {', '.join(names)})")

    def get(
        self, name: str, kind: type | tuple[type, ...], default: Any = None, check: Callable[[Any], bool] | None = None
    ):
        value = self.data.get(name, default)
        if value is default:
            return value
        ok = isinstance(value, kind) and not (isinstance(value, bool) and bool not in _types(kind))
        if not ok or (check is not None and not check(value)):
            raise ConfigurationError(f"{self.path(name)}: invalid value {_show(value)}")
        return value

    def child(self, name: str) -> _Reader:
        return _Reader(self.data.get(name) or {}, self.path(name))


def _types(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _positive(value: Any) -> bool:
    return value > 0


def _non_negative(value: Any) -> bool:
    return value >= 0


def _provider(name: str, reader: _Reader, secrets: Callable[[str], str | None]) -> ProviderSpec:
    reader.known("type", "base_url", "api_key_env", "headers", "api_version", "binding")
    kind = reader.get("type", str)
    if kind is None:
        raise ConfigurationError(f"{reader.path('type')}: required")
    ptype = provider_type(kind, reader.path("type"))
    base_url = reader.get("base_url", str, "") or ptype.default_base_url
    if ptype.http and not base_url.startswith(("http://", "https://")):
        raise ConfigurationError(f"{reader.path('base_url')}: must be an http(s) URL, got {_show(base_url)}")
    key_env = reader.get("api_key_env", str)
    api_key = ""
    if key_env:
        api_key = secrets(key_env) or ""
        if not api_key:
            raise ConfigurationError(f"{reader.path('api_key_env')}: the secret {key_env!r} is not set")
    headers = reader.get("headers", dict, {})
    for header, value in headers.items():
        if not isinstance(value, str):
            raise ConfigurationError(f"{reader.path('headers')}.{header}: expected a string")
    return ProviderSpec(
        name=name,
        type=kind,
        base_url=base_url,
        api_key=Secret(api_key),
        headers=tuple((k.lower(), v) for k, v in headers.items()),
        api_version=reader.get("api_version", str, ""),
        binding=reader.get("binding", str, "AI"),
    )


def _deployments(alias: str, value: Any, where: str, providers: Mapping[str, ProviderSpec]) -> tuple[Deployment, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigurationError(f"{where}: expected a non-empty list of deployments")
    out = []
    for index, item in enumerate(value):
        reader = _Reader(item, f"{where}[{index}]")
        reader.known("provider", "model", "weight", "price")
        provider_name = reader.get("provider", str)
        if provider_name not in providers:
            known = ", ".join(sorted(providers)) or "none"
            raise ConfigurationError(f"{reader.path('provider')}: unknown provider {provider_name!r} (known: {known})")
        model = reader.get("model", str) or alias
        price = reader.data.get("price")
        out.append(
            Deployment(
                alias=alias,
                provider=providers[provider_name],
                model=model,
                weight=float(reader.get("weight", (int, float), 1, _non_negative)),
                price=parse_price(price, reader.path("price")) if price is not None else default_price(model),
            )
        )
    return tuple(out)


def _limits(reader: _Reader) -> tuple[Limit, ...]:
    reader.known("requests_per_minute", "tokens_per_minute", "algorithm", "burst", "fail_closed")
    algorithm = reader.get("algorithm", str, "sliding_window")
    if algorithm not in ALGORITHMS:
        raise ConfigurationError(
            f"{reader.path('algorithm')}: unknown algorithm {algorithm!r} (known: {', '.join(ALGORITHMS)})"
        )
    burst = reader.get("burst", int, None, _positive)
    limits = []
    for name, unit in (("requests_per_minute", "requests"), ("tokens_per_minute", "tokens")):
        value = reader.get(name, int, None, _non_negative)
        if value is not None:
            try:
                limits.append(Limit(name, value, 60, unit, algorithm, burst if algorithm == "token_bucket" else None))
            except ConfigurationError as error:
                raise ConfigurationError(f"{reader.path(name)}: {error}") from None
    return tuple(limits)


def _budget(reader: _Reader) -> Budget:
    reader.known("daily_usd", "monthly_usd")
    try:
        return Budget(reader.get("daily_usd", (int, float)), reader.get("monthly_usd", (int, float)))
    except ConfigurationError as error:
        raise ConfigurationError(f"{reader.where}: {error}") from None


def key_policy(data: Any, where: str) -> KeyPolicy:
    """Limits and budgets from `{"limits": {...}, "budgets": {...}}` (config defaults or a virtual key)."""
    reader = _Reader(data or {}, where)
    return KeyPolicy(_limits(reader.child("limits")), _budget(reader.child("budgets")))


def parse_gateway_config(data: Any, secrets: Callable[[str], str | None]) -> GatewayConfig:
    """Validate the whole config; `secrets(name)` reads a secret by name (for `api_key_env`)."""
    root = _Reader(data, ROOT)
    root.known(
        "providers",
        "models",
        "default_model",
        "default_embedding_model",
        "routing",
        "cache",
        "limits",
        "budgets",
        "cors",
        "request",
        "batch",
        "conversations",
        "telemetry",
    )
    providers_reader = root.child("providers")
    providers = {
        name: _provider(name, _Reader(value, providers_reader.path(name)), secrets)
        for name, value in providers_reader.data.items()
    }
    models_reader = root.child("models")
    models = {
        alias: _deployments(alias, value, models_reader.path(alias), providers)
        for alias, value in models_reader.data.items()
    }
    if not models:
        raise ConfigurationError(f"{root.path('models')}: at least one model alias is required")
    for name in ("default_model", "default_embedding_model"):
        alias = root.get(name, str)
        if alias is not None and alias not in models:
            raise ConfigurationError(f"{root.path(name)}: {alias!r} is not a model alias")
    return _with_sections(
        root,
        GatewayConfig(
            providers=providers,
            models=models,
            default_model=root.get("default_model", str),
            default_embedding_model=root.get("default_embedding_model", str),
        ),
    )


def _with_sections(root: _Reader, base: GatewayConfig) -> GatewayConfig:
    from dataclasses import replace

    routing = root.child("routing")
    routing.known("strategy", "timeouts", "retry", "circuit_breaker")
    name = routing.get("strategy", str, "priority")
    strategy(name)  # an unknown strategy fails here, naming itself
    timeouts = routing.child("timeouts")
    timeouts.known("connect_ms", "first_byte_ms", "total_ms")
    retry = routing.child("retry")
    retry.known("max_attempts", "base_delay_ms", "max_delay_ms", "max_retry_after_s")
    breaker = routing.child("circuit_breaker")
    breaker.known("failure_threshold", "cooldown_s")
    cache = root.child("cache")
    cache.known("enabled", "ttl_s", "max_ttl_s", "shared", "any_temperature")
    ttl = cache.get("ttl_s", int, 3600, lambda v: v >= 60)
    limits = root.child("limits")
    cors = root.child("cors")
    cors.known("allowed_origins", "allow_credentials", "max_age")
    origins = cors.get("allowed_origins", list, [])
    if not all(isinstance(o, str) for o in origins):
        raise ConfigurationError(f"{cors.path('allowed_origins')}: expected a list of origins")
    credentials = cors.get("allow_credentials", bool, False)
    if credentials and "*" in origins:
        raise ConfigurationError(f"{cors.path('allow_credentials')}: credentials cannot be allowed for origin '*'")
    request = root.child("request")
    request.known("max_body_bytes", "max_messages", "max_depth")
    batch = root.child("batch")
    batch.known("max_items", "concurrency")
    conversations = root.child("conversations")
    conversations.known("history_tokens")
    return replace(
        base,
        strategy=name,
        timeouts=Timeouts(
            timeouts.get("connect_ms", (int, float), 10_000, _positive) / 1000,
            timeouts.get("first_byte_ms", (int, float), 60_000, _positive) / 1000,
            timeouts.get("total_ms", (int, float), 120_000, _positive) / 1000,
        ),
        retry=RetryPolicy(
            retry.get("max_attempts", int, 3, _positive),
            retry.get("base_delay_ms", (int, float), 100, _non_negative) / 1000,
            retry.get("max_delay_ms", (int, float), 4000, _non_negative) / 1000,
            float(retry.get("max_retry_after_s", (int, float), 30, _non_negative)),
        ),
        breaker=BreakerPolicy(
            breaker.get("failure_threshold", int, 3, _positive),
            float(breaker.get("cooldown_s", (int, float), 30, _positive)),
        ),
        cache=CachePolicy(
            enabled=cache.get("enabled", bool, True),
            default_ttl=ttl,
            max_ttl=max(ttl, cache.get("max_ttl_s", int, 7 * 86_400, lambda v: v >= 60)),
            any_temperature=cache.get("any_temperature", bool, False),
        ),
        shared_cache=cache.get("shared", bool, False),
        key_policy=KeyPolicy(_limits(limits), _budget(root.child("budgets"))),
        limiter_fail_closed=limits.get("fail_closed", bool, False),
        cors=CorsPolicy(tuple(origins), credentials, cors.get("max_age", int, 600, _non_negative)),
        request=RequestLimits(
            request.get("max_body_bytes", int, 1024 * 1024, _positive),
            request.get("max_messages", int, 256, _positive),
            request.get("max_depth", int, 32, _positive),
        ),
        batch_max_items=batch.get("max_items", int, 100, _positive),
        batch_concurrency=batch.get("concurrency", int, 4, _positive),
        history_tokens=conversations.get("history_tokens", int, 3000, _positive),
        telemetry=root.get("telemetry", bool, True),
    )


def default_config(default_model: str, embedding_model: str) -> GatewayConfig:
    """No GATEWAY_CONFIG: every model to Workers AI; unknown names use DEFAULT_MODEL, `@cf/` names pass through."""
    provider = ProviderSpec(WORKERS_AI, WORKERS_AI)
    models = {
        default_model: (Deployment(default_model, provider, default_model, price=default_price(default_model)),),
        embedding_model: (
            Deployment(embedding_model, provider, embedding_model, price=default_price(embedding_model)),
        ),
    }
    return GatewayConfig(
        providers={WORKERS_AI: provider},
        models=models,
        default_model=default_model,
        default_embedding_model=embedding_model,
        passthrough_workers_ai=True,
    )
