"""What the gateway routes to: providers, deployments (a provider + upstream model), timeouts, retries.

Frozen records built once per isolate from configuration; request code only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flarekit.llm.prices import Price


class Secret(str):
    """A credential: usable as a string, masked in repr so it never lands in a log line."""

    def __repr__(self) -> str:
        return "Secret('**********')" if self else "Secret('')"


NO_SECRET = Secret("")


@dataclass(frozen=True)
class ProviderSpec:
    """One configured provider: its type (a key of the provider registry) and how to reach it."""

    name: str
    type: str
    base_url: str = ""
    api_key: Secret = NO_SECRET
    headers: tuple[tuple[str, str], ...] = ()
    api_version: str = ""
    binding: str = "AI"


@dataclass(frozen=True)
class Deployment:
    """An upstream model at a provider that serves a model alias."""

    alias: str
    provider: ProviderSpec
    model: str
    weight: float = 1.0
    price: Price = field(default_factory=Price)

    @property
    def id(self) -> str:
        """A stable name for health and records: `provider/model`."""
        return f"{self.provider.name}/{self.model}"


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `connect`: until response headers; `first_byte`: until the first body event (and
    between events of a stream); `total`: the whole request, retries and failover included."""

    connect: float = 10.0
    first_byte: float = 60.0
    total: float = 120.0


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts over all deployments, and the backoff between rounds (seconds)."""

    max_attempts: int = 3
    base_delay: float = 0.1
    max_delay: float = 4.0
    # A Retry-After longer than this is not waited for: the error goes back to the client.
    max_retry_after: float = 30.0
