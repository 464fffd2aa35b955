"""The provider registry: each provider type is a frozen record of call functions, chosen by the
configuration string (`"openai"`, `"anthropic"`, `"workers-ai"`).

Every `chat` function takes `(CallContext, Deployment, OpenAI request body, stream, seconds_left)`
and returns a `ChatResult` or a validated `ChatStream`; every `embeddings` function returns
`(OpenAI embeddings body, Usage)`. Failures are raised as `ProviderError`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from flarekit.errors import ConfigurationError
from flarekit.llm.providers import anthropic, openai, workers_ai

ChatCall = Callable[..., Awaitable[Any]]
EmbeddingsCall = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class ProviderType:
    """How to talk to one kind of API."""

    name: str
    chat: ChatCall
    embeddings: EmbeddingsCall
    default_base_url: str = ""
    # True when requests go over HTTP to `base_url`; False for a binding (Workers AI).
    http: bool = True


PROVIDER_TYPES: dict[str, ProviderType] = {
    "openai": ProviderType("openai", openai.chat, openai.embeddings, openai.DEFAULT_BASE_URL),
    "anthropic": ProviderType("anthropic", anthropic.chat, anthropic.embeddings, anthropic.DEFAULT_BASE_URL),
    "workers-ai": ProviderType("workers-ai", workers_ai.chat, workers_ai.embeddings, http=False),
}


def provider_type(name: str, where: str = "type") -> ProviderType:
    """The provider type named in configuration."""
    try:
        return PROVIDER_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDER_TYPES))
        raise ConfigurationError(f"{where}: unknown provider type {name!r} (known: {known})") from None
