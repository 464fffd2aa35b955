"""The compact RPC form between `RateLimitClient` and the `RateLimiter` object: one string each way.

Every value crossing Durable Object RPC in production is converted by the workers SDK on both
sides, and the cost is per value: under Pyodide a string costs ~3 µs to send, while the same
information as nested lists and dicts (two limit rows, a cost dict; a result dict with rows) costs
~40-50 µs each way (bench/pyodide.py, docs/performance.md). This check runs on every request, so
it travels as text:

    request:  "{op} {amounts} {spec}"
        op       "hit", "charge" or "peek"
        amounts  the amount taken from each limit, in the spec's order, comma-separated
                 (`repr` of each number, so floats round-trip exactly); "-" for peek
        spec     the limits as compact JSON rows (`Limit.to_row()`), built once per limit set by
                 the client and parsed once per distinct text by the object
    result:   JSON `[allowed, [remaining, reset, retry_after, impossible], ...]`, rows in spec order
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from flarekit.errors import ConfigurationError
from flarekit.ratelimit.evaluation import Evaluation
from flarekit.ratelimit.limits import Limit, parse_limits

OPS = ("hit", "charge", "peek")
_NO_AMOUNTS = "-"
# Compact JSON from one encoder made once: `json.dumps(..., separators=...)` builds a new one per call.
compact_json = json.JSONEncoder(separators=(",", ":")).encode


@functools.lru_cache(maxsize=256)
def limits_spec(limits: tuple[Limit, ...]) -> str:
    """The spec text of a limit set (cached: callers send the same few sets again and again)."""
    return compact_json([limit.to_row() for limit in limits])


@functools.lru_cache(maxsize=256)
def parse_spec(spec: str) -> tuple[Limit, ...]:
    """The limits a spec text names, validated once per distinct text."""
    try:
        rows = json.loads(spec)
    except ValueError as error:
        raise ConfigurationError(f"rate-limit spec is not JSON: {spec[:80]!r}") from error
    if not isinstance(rows, list):
        raise ConfigurationError(f"rate-limit spec must be a list of limit rows: {spec[:80]!r}")
    return parse_limits(rows)


def encode_request(op: str, limits: tuple[Limit, ...], cost: Mapping[str, float] | None) -> str:
    """The request text for `op` on `limits` taking `cost` (amount per unit; None for peek)."""
    if cost is None:
        amounts = _NO_AMOUNTS
    else:
        amounts = ",".join([repr(cost.get(limit.unit, 0)) for limit in limits])
    return f"{op} {amounts} {limits_spec(limits)}"


def decode_request(text: str) -> tuple[str, tuple[Limit, ...], dict[str, float] | None]:
    """`(op, limits, cost per unit or None)` from a request text; a malformed one raises ConfigurationError."""
    parts = text.split(" ", 2)
    if len(parts) != 3 or parts[0] not in OPS:
        raise ConfigurationError(f"rate-limit request must be '<op> <amounts> <spec>': {text[:80]!r}")
    op, amounts, spec = parts
    limits = parse_spec(spec)
    if amounts == _NO_AMOUNTS:
        return op, limits, None
    values = amounts.split(",")
    if len(values) != len(limits):
        raise ConfigurationError(f"rate-limit request has {len(values)} amounts for {len(limits)} limits")
    try:
        numbers = [float(value) for value in values]
    except ValueError as error:
        raise ConfigurationError(f"rate-limit amounts must be numbers: {amounts!r}") from error
    return op, limits, {limit.unit: amount for limit, amount in zip(limits, numbers, strict=True)}


def encode_result(result: Evaluation) -> str:
    """The result text of one check."""
    # A status row is the status's last four fields (`LimitStatus.to_row`), a tuple slice here.
    return compact_json([result.allowed, *[status[3:] for status in result.statuses]])


def decode_result(text: str) -> tuple[bool, Sequence[Sequence[Any]]]:
    """`(allowed, status rows)` from a result text."""
    values = json.loads(text)
    return bool(values[0]), values[1:]
