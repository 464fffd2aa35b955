"""Prices per million tokens and the cost of a request.

Defaults are list prices found 2026-11-22 (llm-wire-formats.md §9); providers change them without
notice, so configuration overrides any of them per deployment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flarekit.errors import ConfigurationError
from flarekit.llm.tokens import Usage

MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens; `cached_per_mtok` None means cached input costs the input price."""

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0
    cached_per_mtok: float | None = None

    @property
    def blended(self) -> float:
        """One figure to compare deployments by (input and output weighted equally)."""
        return self.input_per_mtok + self.output_per_mtok


FREE = Price()

DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o": Price(2.50, 10.00, 1.25),
    "gpt-4o-mini": Price(0.15, 0.60, 0.075),
    "gpt-4.1-mini": Price(0.40, 1.60, 0.10),
    "o4-mini": Price(1.10, 4.40, 0.275),
    "o3": Price(2.00, 8.00),
    "text-embedding-3-small": Price(0.02, 0.0),
    "claude-opus-5-5": Price(4.00, 20.00, 0.20),
    "claude-sonnet-5-5": Price(2.00, 10.00, 0.20),
    "claude-haiku-4-5": Price(1.00, 5.00, 0.10),
    "claude-haiku-5-5": Price(0.10, 0.50, 0.01),
    "@cf/meta/llama-3.1-8b-instruct-fp8-fast": Price(0.045, 0.384),
    "@cf/meta/llama-3.3-70b-instruct-fp8-fast": Price(0.293, 2.253),
    "@cf/zai-org/glm-4.7-flash": Price(0.0605, 0.40),
    "@cf/baai/bge-base-en-v1.5": Price(0.067, 0.0),
}


def default_price(model: str) -> Price:
    """The default price of an upstream model; dated variants (`gpt-4o-2024-08-06`) match their base."""
    price = DEFAULT_PRICES.get(model)
    if price is not None:
        return price
    best = ""
    for name in DEFAULT_PRICES:
        if model.startswith(name + "-") and len(name) > len(best):
            best = name
    return DEFAULT_PRICES[best] if best else FREE


def parse_price(value: Any, where: str) -> Price:
    """A price from configuration (`{"input_per_mtok": 0.15, "output_per_mtok": 0.6}`)."""
    if not isinstance(value, dict):
        raise ConfigurationError(f"{where}: expected an object with input_per_mtok/output_per_mtok, got {value!r}")
    fields = {}
    for name in ("input_per_mtok", "output_per_mtok", "cached_per_mtok"):
        item = value.get(name)
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, (int, float)) or item < 0:
            raise ConfigurationError(f"{where}.{name}: expected a number >= 0, got {item!r}")
        fields[name] = float(item)
    unknown = set(value) - {"input_per_mtok", "output_per_mtok", "cached_per_mtok"}
    if unknown:
        raise ConfigurationError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    return Price(**fields)


def cost_usd(price: Price, usage: Usage) -> float:
    """OpenAI's formula: uncached input at the input rate, cached at the cached rate, output at the output rate."""
    cached_rate = price.input_per_mtok if price.cached_per_mtok is None else price.cached_per_mtok
    cached = min(usage.cached_tokens, usage.prompt_tokens)
    return (
        (usage.prompt_tokens - cached) * price.input_per_mtok
        + cached * cached_rate
        + usage.completion_tokens * price.output_per_mtok
    ) / MILLION
