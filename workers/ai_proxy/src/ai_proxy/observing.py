"""Monitoring of the proxy (docs/observability.md): its Observer, and what each request tells it.

`OBSERVER.serve` wraps every request: the HTTP server span, and one metrics record sent to the
telemetry Worker after the response. When an answer is final (`finish`, or the end of a stream),
`observe(call)` copies onto the request's observation what the proxy learnt: model, provider, key
name, cache result, tokens, cost, time to first byte, retries, each upstream attempt, the circuit
state of every deployment of the model as this isolate's HealthBoard sees it, and the key's budget
position. A batch adds each item's tokens and cost to its one request; labels come from the first
item that has them.

Circuits: each request reports the deployments of its model, not the whole HealthBoard. A breaker
only changes state while a request is routed to its deployment (a failure, a success, the half-open
probe), and that request reports it, so the aggregator's last state per deployment is current, for
one upsert per deployment of the model instead of one per deployment the isolate knows.

The request's `ai.request` event (records.py) stays a separate, batched post: it is the request
log that `/api/telemetry/query`, `/errors` and `/metrics/summary` read (request id, deployment,
error message, trace id), while the metrics record is what the exact counters are made of.
"""

from __future__ import annotations

from typing import Any

from ai_proxy import WORKER_NAME, __version__
from flarekit import clock
from flarekit.metrics.observation import INERT, Observation
from flarekit.metrics.request_observer import Observer
from flarekit.usage.budgets import BudgetCheck

OBSERVER = Observer(WORKER_NAME, __version__)  # module level: no I/O, no entropy

_PERIODS = (("day", "daily"), ("month", "monthly"))


def capture_content(env: Any) -> bool:
    """Whether prompts and completions go into spans (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)."""
    return OBSERVER.tracing(env).config.capture_content


def budget_position(check: BudgetCheck | None, cost: float) -> dict[str, Any] | None:
    """The key's most used budget period after this request: `{spent_usd, limit_usd, period}`."""
    if check is None or check.degraded:
        return None
    best: dict[str, Any] | None = None
    best_ratio = -1.0
    for period, name in _PERIODS:
        figures = getattr(check, name)
        limit = figures.get("limit_usd")
        if not limit:
            continue
        spent = float(figures.get("spent_usd") or 0.0) + cost
        if spent / limit > best_ratio:
            best_ratio = spent / limit
            best = {"spent_usd": round(spent, 8), "limit_usd": float(limit), "period": period}
    return best


def first_byte(call: Any) -> None:
    """The upstream's first byte arrived (a stream's first chunk, a whole answer): the request's TTFB,
    on the Observer's clock (the one its duration is measured on)."""
    obs: Observation = call.obs
    if obs is not INERT and obs.ttfb_ms is None:
        obs.ttfb_ms = float(max(clock.now_ms() - obs.started_ms, 0))


def observe(call: Any) -> None:
    """Copy what the call learnt onto its request's observation (once per call, when final)."""
    obs: Observation = call.obs
    if obs is INERT:  # not inside an observed request (the shared inert observation must stay empty)
        return
    record = call.record
    if not obs.model and record.model:
        obs.model = record.model
    if not obs.provider and record.provider:
        obs.provider = record.provider
    if not obs.key and record.key_name:
        obs.key = record.key_name
    if not obs.cache and record.cache:
        obs.cache = record.cache.lower()
    if record.error_type and not obs.error_type:
        obs.error_type = record.error_type
    obs.input_tokens += record.input_tokens
    obs.output_tokens += record.output_tokens
    obs.cost_usd += record.cost_usd
    obs.retries += record.retries
    for attempt in call.attempts:
        obs.attempt(attempt.deployment, attempt.error or "ok", round(attempt.ms, 3))
    breakers = call.gateway.health.breakers
    for deployment in call.deployments:
        breaker = breakers.get(deployment.id)
        if breaker is not None:
            obs.circuit(deployment.id, breaker.state)
    position = budget_position(call.budget, record.cost_usd)
    if position is not None:
        obs.budget = position
