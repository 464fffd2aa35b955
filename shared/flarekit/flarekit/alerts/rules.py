"""Alert rules from configuration: the `ALERT_RULES` variable (JSON), parsed once into frozen records.

    {"cooldown_minutes": 30,
     "rules": [
       {"name": "errors", "kind": "error_rate", "threshold": 0.05, "for_minutes": 5, "min_requests": 10},
       {"name": "slow", "kind": "latency_p95", "threshold_ms": 8000, "for_minutes": 5},
       {"name": "provider down", "kind": "circuit_open"},
       {"name": "budget 80%", "kind": "budget", "threshold": 0.8},
       {"name": "budget spent", "kind": "budget", "threshold": 1.0},
       {"name": "ingest rejections", "kind": "ingest_rejections", "threshold": 100, "for_minutes": 5}]}

Every rule may name a `worker` to watch only that Worker. A bad value raises ConfigurationError
naming the field, e.g. `ALERT_RULES.rules[2].threshold must be a number between 0 and 1`.
Without the variable, `DEFAULT_RULES` apply.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flarekit.errors import ConfigurationError

VARIABLE = "ALERT_RULES"


@dataclass(frozen=True)
class Rule:
    """A rule's common fields: a unique name, its kind and an optional Worker filter."""

    name: str
    kind: str
    worker: str | None


@dataclass(frozen=True)
class ErrorRateRule(Rule):
    """Fires when each of the last `for_minutes` minutes has an error (5xx) rate >= `threshold`."""

    threshold: float
    for_minutes: int
    min_requests: int


@dataclass(frozen=True)
class LatencyRule(Rule):
    """Fires when each of the last `for_minutes` minutes has a p95 latency >= `threshold_ms`."""

    threshold_ms: float
    for_minutes: int
    min_requests: int


@dataclass(frozen=True)
class CircuitOpenRule(Rule):
    """Fires for each provider whose last reported circuit state is open."""


@dataclass(frozen=True)
class BudgetRule(Rule):
    """Fires for each key (and budget period) that has spent `threshold` of its budget or more."""

    threshold: float


@dataclass(frozen=True)
class IngestRejectionsRule(Rule):
    """Fires when the telemetry Worker rejected >= `threshold` events over the last `for_minutes`."""

    threshold: int
    for_minutes: int


@dataclass(frozen=True)
class AlertConfig:
    rules: tuple[Rule, ...]
    cooldown_minutes: int

    @property
    def lookback_minutes(self) -> int:
        """How many past minutes the evaluation needs."""
        return max((getattr(rule, "for_minutes", 1) for rule in self.rules), default=1)


class _Fields:
    """Typed access to one rule object; errors name `ALERT_RULES.rules[i].field`."""

    def __init__(self, raw: dict[str, Any], where: str) -> None:
        self.raw = raw
        self.where = where

    def _fail(self, field: str, expected: str) -> ConfigurationError:
        return ConfigurationError(f"{self.where}.{field} must be {expected}, got {self.raw.get(field)!r}")

    def number(self, field: str, default: float | None = None, low: float = 0.0, high: float | None = None) -> float:
        value = self.raw.get(field, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < low or (high and value > high):
            bounds = f"a number between {low:g} and {high:g}" if high else f"a number >= {low:g}"
            raise self._fail(field, bounds)
        return float(value)

    def integer(self, field: str, default: int, low: int = 1) -> int:
        value = self.raw.get(field, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self._fail(field, f"an integer >= {low}")
        return value


def _error_rate(f: _Fields, name: str, worker: str | None) -> Rule:
    return ErrorRateRule(
        name,
        "error_rate",
        worker,
        f.number("threshold", 0.05, 0.0, 1.0),
        f.integer("for_minutes", 5),
        f.integer("min_requests", 1),
    )


def _latency(f: _Fields, name: str, worker: str | None) -> Rule:
    return LatencyRule(
        name,
        "latency_p95",
        worker,
        f.number("threshold_ms", 10_000),
        f.integer("for_minutes", 5),
        f.integer("min_requests", 1),
    )


def _circuit(f: _Fields, name: str, worker: str | None) -> Rule:
    return CircuitOpenRule(name, "circuit_open", worker)


def _budget(f: _Fields, name: str, worker: str | None) -> Rule:
    return BudgetRule(name, "budget", worker, f.number("threshold", 0.8, 0.0, 10.0))


def _ingest(f: _Fields, name: str, worker: str | None) -> Rule:
    return IngestRejectionsRule(
        name, "ingest_rejections", worker, int(f.number("threshold", 100, 1.0)), f.integer("for_minutes", 5)
    )


RULE_KINDS: dict[str, Callable[[_Fields, str, str | None], Rule]] = {
    "error_rate": _error_rate,
    "latency_p95": _latency,
    "circuit_open": _circuit,
    "budget": _budget,
    "ingest_rejections": _ingest,
}

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "name": "error rate over 5% for 5 minutes",
        "kind": "error_rate",
        "threshold": 0.05,
        "for_minutes": 5,
        "min_requests": 5,
    },
    {"name": "p95 latency over 10 s for 5 minutes", "kind": "latency_p95", "threshold_ms": 10_000, "for_minutes": 5},
    {"name": "provider circuit open", "kind": "circuit_open"},
    {"name": "budget 80% used", "kind": "budget", "threshold": 0.8},
    {"name": "budget exhausted", "kind": "budget", "threshold": 1.0},
    {"name": "telemetry rejections spiking", "kind": "ingest_rejections", "threshold": 100, "for_minutes": 5},
]


def _rule(raw: Any, index: int) -> Rule:
    where = f"{VARIABLE}.rules[{index}]"
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{where} must be an object, got {raw!r}")
    kind = raw.get("kind")
    factory = RULE_KINDS.get(kind) if isinstance(kind, str) else None
    if factory is None:
        raise ConfigurationError(f"{where}.kind must be one of {', '.join(RULE_KINDS)}, got {kind!r}")
    name = raw.get("name", kind)
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"{where}.name must be a non-empty string, got {name!r}")
    worker = raw.get("worker")
    if worker is not None and not isinstance(worker, str):
        raise ConfigurationError(f"{where}.worker must be a string, got {worker!r}")
    return factory(_Fields(raw, where), name, worker)


def parse_alert_config(text: str | None) -> AlertConfig:
    """Parse `ALERT_RULES` (a JSON object with `rules`, or a bare list of rules); None gives the defaults."""
    if text is None or not text.strip():
        data: Any = {"rules": DEFAULT_RULES}
    else:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ConfigurationError(f"{VARIABLE} is not valid JSON: {error}") from None
    if isinstance(data, list):
        data = {"rules": data}
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ConfigurationError(f"{VARIABLE}.rules must be a list of rules")
    rules = tuple(_rule(raw, i) for i, raw in enumerate(data["rules"]))
    names = [rule.name for rule in rules]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise ConfigurationError(f"{VARIABLE}.rules has two rules named {duplicate!r} (names identify incidents)")
    cooldown = _Fields(data, VARIABLE).integer("cooldown_minutes", 30, low=0)
    return AlertConfig(rules, cooldown)
