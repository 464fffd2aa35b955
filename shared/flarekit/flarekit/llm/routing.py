"""Routing strategies: the order in which a model alias's deployments are tried.

Each strategy is a function `(deployments, latency_ms, rng) -> ordered list`, chosen from
`STRATEGIES` by the configuration string. Deployments whose breaker is open are skipped later, by
the failover loop, so a strategy only expresses preference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from flarekit.errors import ConfigurationError
from flarekit.llm.deployments import Deployment

Strategy = Callable[[Sequence[Deployment], Mapping[str, float], Callable[[], float]], list[Deployment]]


def priority(deployments: Sequence[Deployment], _latency: Mapping[str, float], _rng: Callable[[], float]):
    """In configured order: the first is preferred, the rest are failovers."""
    return list(deployments)


def weighted(deployments: Sequence[Deployment], _latency: Mapping[str, float], rng: Callable[[], float]):
    """A random order drawn by weight (sampling without replacement), so traffic splits by weight."""
    pool = [d for d in deployments if d.weight > 0]
    order: list[Deployment] = []
    while pool:
        total = sum(d.weight for d in pool)
        pick = rng() * total
        for index, candidate in enumerate(pool):
            pick -= candidate.weight
            if pick < 0 or index == len(pool) - 1:
                order.append(pool.pop(index))
                break
    return order + [d for d in deployments if d.weight <= 0]


def least_latency(deployments: Sequence[Deployment], latency: Mapping[str, float], _rng: Callable[[], float]):
    """Fastest moving-average latency first; a deployment never measured goes first, to be measured."""
    return sorted(deployments, key=lambda d: latency.get(d.id, 0.0))


def cheapest(deployments: Sequence[Deployment], _latency: Mapping[str, float], _rng: Callable[[], float]):
    """Lowest price first (input plus output per million tokens); ties keep configured order."""
    return sorted(deployments, key=lambda d: d.price.blended)


STRATEGIES: dict[str, Strategy] = {
    "priority": priority,
    "weighted": weighted,
    "least-latency": least_latency,
    "cheapest": cheapest,
}


def strategy(name: str) -> Strategy:
    """The strategy named in configuration."""
    try:
        return STRATEGIES[name]
    except KeyError:
        known = ", ".join(sorted(STRATEGIES))
        raise ConfigurationError(f"routing.strategy: unknown strategy {name!r} (known: {known})") from None
