"""The isolate's gateway: settings, health, clients and caches, built once on the first request.

Everything here is per isolate on purpose (a local view): circuit breakers and latency averages,
the response cache's LRU, virtual-key lookups, the telemetry buffer. Everything that must be
exact or global goes through Durable Objects (limits, spend) or KV (cache, keys).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from ai_proxy.deferred_writes import DeferredWrites
from ai_proxy.errors import model_not_found
from ai_proxy.gateway_config import WORKERS_AI, GatewayConfig
from ai_proxy.model_spans import ModelCallSpans, backoff, loop_time
from ai_proxy.records import TelemetrySink
from ai_proxy.settings import Settings, load_settings
from ai_proxy.virtual_keys import VirtualKeys
from flarekit import clock
from flarekit.cache import KVTier, LRUCache, ResponseCache
from flarekit.llm.calls import CallContext
from flarekit.llm.circuit_breaker import HealthBoard
from flarekit.llm.deployments import Deployment
from flarekit.llm.failover import Outcome, call_with_failover
from flarekit.llm.prices import default_price
from flarekit.llm.providers import PROVIDER_TYPES
from flarekit.llm.routing import strategy
from flarekit.ratelimit import RateLimitClient
from flarekit.usage import UsageClient

# Models named per request (`@cf/...` passed through to Workers AI) are remembered up to this many.
MAX_PASSTHROUGH_MODELS = 256
CHAT, EMBEDDINGS = "chat", "embeddings"


class Gateway:
    """Per-isolate state and the operations that use it."""

    def __init__(self, env: Any, settings: Settings) -> None:
        self.settings = settings
        config = settings.gateway
        self.config = config
        self.health = HealthBoard([d.id for d in config.deployments], config.breaker, clock.now)
        self.order = strategy(config.strategy)
        self.limiter = (
            RateLimitClient(env.RATE_LIMITER, fail_closed=config.limiter_fail_closed)
            if _has(env, "RATE_LIMITER")
            else None
        )
        self.usage = UsageClient(env.USAGE) if _has(env, "USAGE") else None
        kv = getattr(env, "CACHE", None)
        self.cache = ResponseCache(LRUCache(), KVTier(kv) if kv is not None else None) if config.cache.enabled else None
        keys_kv = getattr(env, "KEYS", None) or kv
        self.keys = VirtualKeys(keys_kv, clock.now) if keys_kv is not None and settings.admin_token else None
        self.telemetry = TelemetrySink(settings.telemetry_token if config.telemetry else "")
        self.deferred = DeferredWrites(self.limiter, self.usage)
        self.flushing = False
        self._passthrough: dict[str, tuple[Deployment, ...]] = {}

    # -- models ------------------------------------------------------------------------------------

    def resolve(self, name: Any, kind: str = CHAT) -> tuple[str, tuple[Deployment, ...]]:
        """The alias and deployments serving a requested model name (404 when none)."""
        config = self.config
        if isinstance(name, str):
            found = config.models.get(name)
            if found is not None:
                return name, found
            if config.passthrough_workers_ai and name.startswith(("@cf/", "@hf/")):
                return name, self._passthrough_deployments(name)
        fallback = config.default_embedding_model if kind == EMBEDDINGS else config.default_model
        if fallback is not None:
            return fallback, config.models[fallback]
        raise model_not_found(name)

    def _passthrough_deployments(self, model: str) -> tuple[Deployment, ...]:
        found = self._passthrough.get(model)
        if found is None:
            provider = self.config.providers[WORKERS_AI]
            found = (Deployment(model, provider, model, price=default_price(model)),)
            if len(self._passthrough) < MAX_PASSTHROUGH_MODELS:
                self._passthrough[model] = found
        return found

    # -- calling providers ---------------------------------------------------------------------------

    async def call(
        self,
        env: Any,
        deployments: Sequence[Deployment],
        body: dict[str, Any],
        *,
        stream: bool,
        include_usage: bool,
        spans: ModelCallSpans | None = None,
    ) -> Outcome[Any]:
        """Route a chat request with failover; a stream comes back validated (first chunk read).

        `spans`: the model call's spans (one per attempt; a stream's left open for its end).
        """
        config = self.config
        cx = CallContext(env, config.timeouts, int(clock.now()), include_usage)
        ordered = self.order(deployments, self.health.latency_ms, random.random)
        spans = spans or ModelCallSpans("chat", body, stream)

        async def attempt(deployment: Deployment, left: float) -> Any:
            chat = PROVIDER_TYPES[deployment.provider.type].chat
            return await spans.run(deployment, lambda: chat(cx, deployment, body, stream, left))

        return await call_with_failover(
            ordered,
            attempt,
            health=self.health,
            policy=config.retry,
            deadline=loop_time() + config.timeouts.total,
            timer=loop_time,
            rng=random.random,
            sleep=backoff,
        )

    async def embed(
        self, env: Any, deployments: Sequence[Deployment], body: dict[str, Any], spans: ModelCallSpans | None = None
    ) -> Outcome[Any]:
        """Route an embeddings request with failover."""
        config = self.config
        cx = CallContext(env, config.timeouts, int(clock.now()))
        ordered = self.order(deployments, self.health.latency_ms, random.random)
        spans = spans or ModelCallSpans("embeddings", body)

        async def attempt(deployment: Deployment, left: float) -> Any:
            embeddings = PROVIDER_TYPES[deployment.provider.type].embeddings
            return await spans.run(deployment, lambda: embeddings(cx, deployment, body, left))

        return await call_with_failover(
            ordered,
            attempt,
            health=self.health,
            policy=config.retry,
            deadline=loop_time() + config.timeouts.total,
            timer=loop_time,
            rng=random.random,
            sleep=backoff,
        )


def _has(env: Any, name: str) -> bool:
    return getattr(env, name, None) is not None


_GATEWAY: list[Gateway] = []


def gateway(env: Any) -> Gateway:
    """The isolate's gateway, built on first use (a bad configuration raises on every request)."""
    if _GATEWAY:
        return _GATEWAY[0]
    built = Gateway(env, load_settings(env))
    _GATEWAY.append(built)
    return built


def config_of(env: Any) -> GatewayConfig:
    return gateway(env).config
