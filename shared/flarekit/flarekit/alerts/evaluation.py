"""Which alert rules fire now: pure functions over per-minute figures, circuits and budgets.

"For N minutes" means each of the last N complete minutes breaches (the minute in progress is not
judged yet). A minute with fewer than `min_requests` requests does not breach, so a quiet night
with one failed request raises nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flarekit.alerts.rules import (
    AlertConfig,
    BudgetRule,
    CircuitOpenRule,
    ErrorRateRule,
    IngestRejectionsRule,
    LatencyRule,
    Rule,
)
from flarekit.metrics.buckets import quantile
from flarekit.metrics.rollup_store import DURATION_BUCKETS


@dataclass(frozen=True)
class Minute:
    """One Worker's (or all Workers') figures in one minute."""

    start: int
    requests: int
    errors: int
    durations: tuple[int, ...]
    events_rejected: int


@dataclass(frozen=True)
class Snapshot:
    """What rules are evaluated against."""

    minute_start: int  # start of the minute in progress (not judged)
    minutes: tuple[Mapping[str, Any], ...]  # rows of RollupStore.minutes_by_worker
    circuits: tuple[Mapping[str, Any], ...]
    budgets: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Firing:
    """A rule breached for one subject (a provider, a key, or '' for the whole system)."""

    rule: Rule
    subject: str
    value: float
    summary: str


def last_minutes(snapshot: Snapshot, count: int, worker: str | None) -> list[Minute]:
    """The last `count` complete minutes, oldest first, summed over Workers (or one Worker)."""
    first = snapshot.minute_start - count * 60
    sums: dict[int, list[Any]] = {
        start: [0, 0, [0] * len(DURATION_BUCKETS), 0] for start in range(first, snapshot.minute_start, 60)
    }
    for row in snapshot.minutes:
        entry = sums.get(int(row["start"]))
        if entry is None or (worker is not None and row["worker"] != worker):
            continue
        entry[0] += row["requests"]
        entry[1] += row["errors"]
        for i, column in enumerate(DURATION_BUCKETS):
            entry[2][i] += row[column]
        entry[3] += row["events_bad"]
    return [Minute(start, r, e, tuple(d), bad) for start, (r, e, d, bad) in sorted(sums.items())]


def _scope(rule: Rule) -> str:
    return f" on {rule.worker}" if rule.worker else ""


def _error_rate(rule: ErrorRateRule, snapshot: Snapshot) -> Iterable[Firing]:
    minutes = last_minutes(snapshot, rule.for_minutes, rule.worker)
    if all(m.requests >= rule.min_requests and m.errors / m.requests >= rule.threshold for m in minutes):
        requests, errors = sum(m.requests for m in minutes), sum(m.errors for m in minutes)
        rate = errors / requests
        summary = (
            f"error rate {rate:.1%}{_scope(rule)} over the last {rule.for_minutes} min "
            f"({errors} of {requests} requests; threshold {rule.threshold:.1%})"
        )
        yield Firing(rule, "", rate, summary)


def _latency(rule: LatencyRule, snapshot: Snapshot) -> Iterable[Firing]:
    minutes = last_minutes(snapshot, rule.for_minutes, rule.worker)
    p95s = [quantile(m.durations, 0.95) if m.requests >= rule.min_requests else None for m in minutes]
    if all(p is not None and p >= rule.threshold_ms for p in p95s):
        worst = max(p for p in p95s if p is not None)
        summary = f"p95 latency{_scope(rule)} above {rule.threshold_ms:g} ms for {rule.for_minutes} min (worst {worst:.0f} ms)"
        yield Firing(rule, "", worst, summary)


def _circuit(rule: CircuitOpenRule, snapshot: Snapshot) -> Iterable[Firing]:
    for row in snapshot.circuits:
        if row["state"] == "open":
            yield Firing(rule, row["provider"], 1.0, f"provider {row['provider']}: circuit open")


def _budget(rule: BudgetRule, snapshot: Snapshot) -> Iterable[Firing]:
    for row in snapshot.budgets:
        limit = row["limit_micro"]
        used = row["spent_micro"] / limit if limit else 0.0
        if used >= rule.threshold:
            subject = f"{row['key_name']}/{row['period']}"
            summary = (
                f"key {row['key_name']} has used {used:.0%} of its {row['period']} budget "
                f"(${row['spent_micro'] / 1e6:.2f} of ${limit / 1e6:.2f})"
            )
            yield Firing(rule, subject, used, summary)


def _ingest(rule: IngestRejectionsRule, snapshot: Snapshot) -> Iterable[Firing]:
    rejected = sum(m.events_rejected for m in last_minutes(snapshot, rule.for_minutes, rule.worker))
    if rejected >= rule.threshold:
        summary = (
            f"{rejected} telemetry events rejected in the last {rule.for_minutes} min (threshold {rule.threshold})"
        )
        yield Firing(rule, "", float(rejected), summary)


EVALUATORS: dict[type, Callable[[Any, Snapshot], Iterable[Firing]]] = {
    ErrorRateRule: _error_rate,
    LatencyRule: _latency,
    CircuitOpenRule: _circuit,
    BudgetRule: _budget,
    IngestRejectionsRule: _ingest,
}


def evaluate(config: AlertConfig, snapshot: Snapshot) -> list[Firing]:
    """Every (rule, subject) breaching now."""
    firing: list[Firing] = []
    for rule in config.rules:
        firing.extend(EVALUATORS[type(rule)](rule, snapshot))
    return firing


def snapshot_from(
    minute_start: int, minutes: Sequence[Any], circuits: Sequence[Any], budgets: Sequence[Any]
) -> Snapshot:
    return Snapshot(minute_start, tuple(minutes), tuple(circuits), tuple(budgets))
