"""The JSON behind `GET /api/stats?window=`: rates, error rates, quantiles and breakdowns.

Everything is computed from rollup rows summed over the window (pure functions, no storage here):
quantiles come from the fixed histogram buckets, so they are estimates within one bucket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flarekit.errors import HTTPError
from flarekit.metrics.buckets import quantile
from flarekit.metrics.rollup_store import DURATION_BUCKETS, TTFB_BUCKETS, VALUE_COLUMNS


@dataclass(frozen=True)
class Window:
    """A selectable window: its length, the rollup resolution it reads and the chart step."""

    name: str
    seconds: int
    res: str
    res_seconds: int
    step: int

    def since(self, now_s: float) -> int:
        """Start of the first bucket inside the window (the current, partial bucket is the last)."""
        first = int(now_s) - self.seconds
        return first - first % self.res_seconds + self.res_seconds


WINDOWS: dict[str, Window] = {
    "15m": Window("15m", 900, "m", 60, 60),
    "1h": Window("1h", 3600, "m", 60, 60),
    "24h": Window("24h", 86400, "m", 60, 1800),
    "7d": Window("7d", 7 * 86400, "h", 3600, 3 * 3600),
}
DEFAULT_WINDOW = "1h"
SLOW_LIMIT = 20
BREAKDOWN_LIMIT = 50


def parse_window(value: str | None) -> Window:
    """The window named by `?window=`; an unknown name is a 400 that lists the valid ones."""
    window = WINDOWS.get(value or DEFAULT_WINDOW)
    if window is None:
        raise HTTPError(400, f"unknown window {value!r}; use one of {', '.join(WINDOWS)}", code="bad_window")
    return window


def _sum_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    total: dict[str, float] = dict.fromkeys(VALUE_COLUMNS, 0)
    for row in rows:
        for column in VALUE_COLUMNS:
            total[column] += row[column] or 0
    return total


def _group(rows: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], Any]) -> dict[Any, list[Any]]:
    groups: dict[Any, list[Any]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _quantiles(sums: Mapping[str, float], columns: Sequence[str], total_col: str, n_col: str) -> dict[str, Any]:
    counts = [int(sums[c]) for c in columns]
    n = sums[n_col]
    return {
        "p50": _ms(quantile(counts, 0.50)),
        "p95": _ms(quantile(counts, 0.95)),
        "p99": _ms(quantile(counts, 0.99)),
        "avg": _ms(sums[total_col] / n) if n else None,
    }


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole else None


def _summary(sums: Mapping[str, float]) -> dict[str, Any]:
    return {
        "requests": int(sums["requests"]),
        "errors": int(sums["errors"]),
        "error_rate": _ratio(sums["errors"], sums["requests"]),
        "p95_ms": _quantiles(sums, DURATION_BUCKETS, "dur_sum", "requests")["p95"],
        "input_tokens": int(sums["in_tok"]),
        "output_tokens": int(sums["out_tok"]),
        "cost_usd": sums["cost_micro"] / 1_000_000,
    }


def _breakdown(rows: Sequence[Mapping[str, Any]], label: str, key: Callable[[Mapping[str, Any]], Any]):
    out = []
    for value, group in _group(rows, key).items():
        entry = _summary(_sum_rows(group))
        entry[label] = value
        entry["rejections"] = sum(r["requests"] for r in group if r["outcome"] in ("rate_limited", "budget_exceeded"))
        out.append(entry)
    out.sort(key=lambda e: (-e["requests"], str(e[label])))
    return out[:BREAKDOWN_LIMIT]


def _timeline(window: Window, since: int, now_s: float, steps: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    by_start = {int(row["t"]): row for row in steps}
    points = []
    first = since - since % window.step
    for start in range(first, int(now_s) + 1, window.step):
        row = by_start.get(start)
        sums = _sum_rows([row] if row else [])
        hits, misses = (row["cache_hit"], row["cache_miss"]) if row else (0, 0)
        latency = _quantiles(sums, DURATION_BUCKETS, "dur_sum", "requests")
        points.append(
            {
                "t": start,
                "requests": int(sums["requests"]),
                "errors": int(sums["errors"]),
                "rate_per_s": round(sums["requests"] / window.step, 4),
                "error_rate": _ratio(sums["errors"], sums["requests"]),
                "p50": latency["p50"],
                "p95": latency["p95"],
                "p99": latency["p99"],
                "ttfb_p50": _quantiles(sums, TTFB_BUCKETS, "ttfb_sum", "ttfb_n")["p50"],
                "cache_hit_rate": _ratio(hits, hits + misses),
                "events_ingested": int(sums["events_ok"]),
                "events_rejected": int(sums["events_bad"]),
            }
        )
    return points


def _providers(upstream: Sequence[Mapping[str, Any]], circuits: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    providers: dict[str, dict[str, Any]] = {}
    for row in upstream:
        entry = providers.setdefault(
            row["provider"], {"provider": row["provider"], "attempts": 0, "failures": 0, "_ms": 0.0}
        )
        entry["attempts"] += row["attempts"]
        entry["_ms"] += row["dur_sum"]
        if row["outcome"] != "ok":
            entry["failures"] += row["attempts"]
    for row in circuits:
        entry = providers.setdefault(
            row["provider"], {"provider": row["provider"], "attempts": 0, "failures": 0, "_ms": 0.0}
        )
        entry["circuit"] = row["state"]
        entry["circuit_since"] = row["changed_ms"]
    out = []
    for entry in providers.values():
        attempts = entry["attempts"]
        spent = entry.pop("_ms")
        entry.setdefault("circuit", "unknown")
        entry["success_rate"] = _ratio(attempts - entry["failures"], attempts)
        entry["avg_ms"] = _ms(spent / attempts) if attempts else None
        out.append(entry)
    return sorted(out, key=lambda e: e["provider"])


def build_stats(
    window: Window,
    now_s: float,
    rows: Sequence[Mapping[str, Any]],
    steps: Sequence[Mapping[str, Any]],
    upstream: Sequence[Mapping[str, Any]] = (),
    circuits: Sequence[Mapping[str, Any]] = (),
    budgets: Sequence[Mapping[str, Any]] = (),
    slow: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The stats document of one window from the aggregator's query results."""
    since = window.since(now_s)
    sums = _sum_rows(rows)
    cache = {result: sum(r["requests"] for r in rows if r["cache"] == result) for result in ("hit", "miss", "bypass")}
    covered = max(now_s - since, 1.0)
    return {
        "window": window.name,
        "from": since,
        "to": int(now_s),
        "step": window.step,
        "requests": int(sums["requests"]),
        "errors": int(sums["errors"]),
        "error_rate": _ratio(sums["errors"], sums["requests"]),
        "rate_per_s": round(sums["requests"] / covered, 4),
        "latency_ms": _quantiles(sums, DURATION_BUCKETS, "dur_sum", "requests"),
        "ttfb_ms": _quantiles(sums, TTFB_BUCKETS, "ttfb_sum", "ttfb_n"),
        "cache": {**cache, "hit_rate": _ratio(cache["hit"], cache["hit"] + cache["miss"])},
        "tokens": {"input": int(sums["in_tok"]), "output": int(sums["out_tok"])},
        "cost_usd": sums["cost_micro"] / 1_000_000,
        "rejections": {
            reason: sum(r["requests"] for r in rows if r["outcome"] == reason)
            for reason in ("rate_limited", "budget_exceeded")
        },
        "ingest": {"accepted": int(sums["events_ok"]), "rejected": int(sums["events_bad"])},
        "export_failures": int(sums["export_failures"]),
        "retries": int(sums["retries"]),
        "timeline": _timeline(window, since, now_s, steps),
        "by_worker": _breakdown(rows, "worker", lambda r: r["worker"]),
        "by_route": _breakdown(rows, "route", lambda r: f"{r['worker']} {r['method']} {r['route']}"),
        "by_status": _breakdown(rows, "status", lambda r: r["status"]),
        "by_model": _breakdown([r for r in rows if r["model"]], "model", lambda r: r["model"]),
        "by_key": _breakdown([r for r in rows if r["key_name"]], "key", lambda r: r["key_name"]),
        "providers": _providers(upstream, circuits),
        "budgets": [
            {
                "key": b["key_name"],
                "period": b["period"],
                "spent_usd": b["spent_micro"] / 1_000_000,
                "limit_usd": b["limit_micro"] / 1_000_000,
                "used": _ratio(b["spent_micro"], b["limit_micro"]),
                "updated_ms": b["updated_ms"],
            }
            for b in budgets
        ],
        "slow_requests": [
            {
                "ts": s["ts"],
                "duration_ms": s["dur"],
                "worker": s["worker"],
                "route": s["route"],
                "method": s["method"],
                "status": s["status"],
                "model": s["model"],
                "provider": s["provider"],
                "key": s["key_name"],
                "trace_id": s["trace_id"],
            }
            for s in slow
        ],
    }
