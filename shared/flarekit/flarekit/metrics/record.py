"""The request record: what a Worker sends for each request (batched, one RPC per batch), and how it is read.

A record is a plain dict (it crosses Durable Object RPC, so no tuples and no custom classes). Every
figure of one request travels in it: the request itself (worker, route, status, timings), what the
proxy learnt (model, provider, key name, cache status, tokens, cost, upstream attempts, circuit
states, the key's budget) and what the telemetry Worker ingested. The aggregator applies it once,
so two isolates of a Worker each sending their own records count every request exactly once.

The key is a key *name* (what the proxy calls the key), never the credential itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flarekit.metrics.buckets import BUCKET_COUNT, bucket_index

RECORD_VERSION = 1

DIMENSIONS = ("worker", "route", "method", "status", "outcome", "model", "provider", "key", "cache")
"""The labels every rollup row is keyed by (besides its time bucket)."""

CACHE_RESULTS = frozenset({"hit", "miss", "bypass"})
CIRCUIT_STATES = frozenset({"closed", "open", "half_open"})
MAX_ATTEMPTS = 8
MAX_CIRCUITS = 16
_MAX_LABEL = 128


@dataclass(frozen=True)
class Attempt:
    """One upstream call of a request: which provider, how it ended, how long it took."""

    provider: str
    outcome: str
    duration_ms: float


@dataclass(frozen=True)
class Budget:
    """Where a key stands against its budget after this request."""

    key: str
    spent_micro: int
    limit_micro: int
    period: str


@dataclass(frozen=True)
class ParsedRecord:
    """A record as the aggregator applies it: dimensions, counters and bucket indexes."""

    ts_ms: int
    dims: tuple[Any, ...]
    errors: int
    duration_ms: float
    duration_bucket: int
    ttfb_ms: float | None
    ttfb_bucket: int
    input_tokens: int
    output_tokens: int
    cost_micro: int
    retries: int
    events_accepted: int
    events_rejected: int
    export_failures: int
    trace_id: str
    attempts: tuple[Attempt, ...]
    circuits: tuple[tuple[str, str], ...]
    budget: Budget | None


class RecordError(ValueError):
    """A record that cannot be applied; the message names the field."""


def request_record(
    *,
    ts_ms: int,
    worker: str,
    route: str,
    method: str,
    status: int,
    duration_ms: float,
    ttfb_ms: float | None = None,
    error_type: str = "",
    model: str = "",
    provider: str = "",
    key: str = "",
    cache: str = "",
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: float = 0.0,
    retries: int = 0,
    trace_id: str = "",
    attempts: list[list[Any]] | None = None,
    circuits: dict[str, str] | None = None,
    budget: dict[str, Any] | None = None,
    events_accepted: int = 0,
    events_rejected: int = 0,
    export_failures: int = 0,
) -> dict[str, Any]:
    """Build the record of one request (a dict ready for RPC); optional parts are left out when empty."""
    record: dict[str, Any] = {
        "v": RECORD_VERSION,
        "ts": ts_ms,
        "worker": worker,
        "route": route,
        "method": method,
        "status": status,
        "duration_ms": duration_ms,
    }
    optional = {
        "ttfb_ms": ttfb_ms,
        "error_type": error_type,
        "model": model,
        "provider": provider,
        "key": key,
        "cache": cache,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cost_usd": cost_usd,
        "retries": retries,
        "trace_id": trace_id,
        "attempts": attempts,
        "circuits": circuits,
        "budget": budget,
        "events_accepted": events_accepted,
        "events_rejected": events_rejected,
        "export_failures": export_failures,
    }
    for name, value in optional.items():
        if value:
            record[name] = value
    return record


def outcome_of(status: int, error_type: str) -> str:
    """A low-cardinality outcome: ok, rate_limited, budget_exceeded, client_error or error."""
    if status < 400:
        return "ok"
    if status == 429:
        return "budget_exceeded" if error_type == "budget_exceeded" else "rate_limited"
    if status < 500:
        return "client_error"
    return "error"


def _label(record: Any, name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"record field {name!r} must be a string, got {type(value).__name__}")
    return value[:_MAX_LABEL]


def _number(record: Any, name: str, default: float = 0) -> float:
    value = record.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise RecordError(f"record field {name!r} must be a non-negative number, got {value!r}")
    return value


def parse_record(record: Any) -> ParsedRecord:
    """Validate a received record (a dict or JsDict) into what the aggregator applies."""
    if not hasattr(record, "get"):
        raise RecordError(f"a record must be an object, got {type(record).__name__}")
    if record.get("v") != RECORD_VERSION:
        raise RecordError(f"record field 'v' must be {RECORD_VERSION}, got {record.get('v')!r}")
    status = int(_number(record, "status"))
    if not 100 <= status <= 599:
        raise RecordError(f"record field 'status' must be an HTTP status, got {status}")
    cache = _label(record, "cache")
    if cache and cache not in CACHE_RESULTS:
        raise RecordError(f"record field 'cache' must be one of {sorted(CACHE_RESULTS)}, got {cache!r}")
    error_type = _label(record, "error_type")
    dims = (
        _label(record, "worker"),
        _label(record, "route"),
        _label(record, "method").upper(),
        status,
        outcome_of(status, error_type),
        _label(record, "model"),
        _label(record, "provider"),
        _label(record, "key"),
        cache,
    )
    duration = float(_number(record, "duration_ms"))
    ttfb_raw = record.get("ttfb_ms")
    ttfb = None if ttfb_raw is None else float(_number(record, "ttfb_ms"))
    return ParsedRecord(
        ts_ms=int(_number(record, "ts")),
        dims=dims,
        errors=1 if status >= 500 else 0,
        duration_ms=duration,
        duration_bucket=bucket_index(duration),
        ttfb_ms=ttfb,
        ttfb_bucket=bucket_index(ttfb) if ttfb is not None else BUCKET_COUNT,
        input_tokens=int(_number(record, "input_tokens")),
        output_tokens=int(_number(record, "output_tokens")),
        cost_micro=round(_number(record, "cost_usd") * 1_000_000),
        retries=int(_number(record, "retries")),
        events_accepted=int(_number(record, "events_accepted")),
        events_rejected=int(_number(record, "events_rejected")),
        export_failures=int(_number(record, "export_failures")),
        trace_id=_label(record, "trace_id"),
        attempts=_attempts(record.get("attempts")),
        circuits=_circuits(record.get("circuits")),
        budget=_budget(record.get("budget"), dims[7]),
    )


def _attempts(value: Any) -> tuple[Attempt, ...]:
    if not value:
        return ()
    if not isinstance(value, list):
        raise RecordError("record field 'attempts' must be a list of [provider, outcome, duration_ms]")
    attempts = []
    for item in value[:MAX_ATTEMPTS]:
        if not isinstance(item, list) or len(item) != 3:
            raise RecordError("record field 'attempts' must be a list of [provider, outcome, duration_ms]")
        provider, outcome, duration = item
        if not isinstance(provider, str) or not isinstance(outcome, str) or not isinstance(duration, int | float):
            raise RecordError(f"record field 'attempts' has a bad item {item!r}")
        attempts.append(Attempt(provider[:_MAX_LABEL], outcome[:_MAX_LABEL], float(duration)))
    return tuple(attempts)


def _circuits(value: Any) -> tuple[tuple[str, str], ...]:
    if not value:
        return ()
    if not hasattr(value, "items"):
        raise RecordError("record field 'circuits' must map provider names to states")
    circuits = []
    for provider, state in list(value.items())[:MAX_CIRCUITS]:
        if state not in CIRCUIT_STATES:
            raise RecordError(f"record field 'circuits' has state {state!r} for {provider!r}")
        circuits.append((str(provider)[:_MAX_LABEL], state))
    return tuple(circuits)


def _budget(value: Any, request_key: str) -> Budget | None:
    if not value:
        return None
    if not hasattr(value, "get"):
        raise RecordError("record field 'budget' must be an object")
    limit = _number(value, "limit_usd")
    if limit <= 0:
        raise RecordError("record field 'budget.limit_usd' must be positive")
    return Budget(
        key=_label(value, "key") or request_key,
        spent_micro=round(_number(value, "spent_usd") * 1_000_000),
        limit_micro=round(limit * 1_000_000),
        period=_label(value, "period") or "day",
    )
