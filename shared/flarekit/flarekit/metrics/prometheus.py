"""Render the aggregator's totals as Prometheus text exposition format (version 0.0.4).

Counters end in `_total`; histograms have cumulative `_bucket{le=...}` lines ending at `+Inf`,
then `_sum` and `_count`; times are in seconds as Prometheus expects. Histograms are aggregated to
(worker, route, model, provider) so a scrape stays small even with many keys and statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from flarekit.metrics.buckets import LATENCY_BOUNDS_MS, add_counts, cumulative
from flarekit.metrics.rollup_store import DURATION_BUCKETS, TTFB_BUCKETS

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "flarekit_"

_LE = (*(repr(bound / 1000) for bound in LATENCY_BOUNDS_MS), "+Inf")
_REQUEST_LABELS = ("worker", "route", "method", "status", "outcome", "model", "provider", "key", "cache")
_HISTOGRAM_LABELS = ("worker", "route", "model", "provider")


def escape_label(value: str) -> str:
    """Escape a label value: backslash, double quote and line feed, as the format requires."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(names: Sequence[str], values: Sequence[Any]) -> str:
    if not names:
        return ""
    return "{" + ",".join(f'{n}="{escape_label(str(v))}"' for n, v in zip(names, values, strict=True)) + "}"


def _number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


class _Family:
    def __init__(self, name: str, kind: str, help_text: str) -> None:
        self.name = PREFIX + name
        self.lines = [f"# HELP {self.name} {help_text}", f"# TYPE {self.name} {kind}"]

    def sample(self, labels: str, value: float, suffix: str = "") -> None:
        self.lines.append(f"{self.name}{suffix}{labels} {_number(value)}")


def _row_labels(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        row["worker"],
        row["route"],
        row["method"],
        row["status"],
        row["outcome"],
        row["model"],
        row["provider"],
        row["key_name"],
        row["cache"],
    )


def _sum_by(rows: Iterable[Mapping[str, Any]], pick: Any, value: Any) -> dict[tuple[Any, ...], float]:
    sums: dict[tuple[Any, ...], float] = {}
    for row in rows:
        amount = value(row)
        if amount:
            key = pick(row)
            sums[key] = sums.get(key, 0) + amount
    return sums


def _histograms(family: _Family, rows: Sequence[Mapping[str, Any]], columns: Sequence[str], sum_col: str, n_col: str):
    grouped: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        if not row[n_col]:
            continue
        key = (row["worker"], row["route"], row["model"], row["provider"])
        entry = grouped.get(key)
        if entry is None:
            entry = grouped[key] = [[0] * len(columns), 0.0, 0]
        add_counts(entry[0], [row[c] for c in columns])
        entry[1] += row[sum_col]
        entry[2] += row[n_col]
    for key, (counts, total_ms, count) in sorted(grouped.items()):
        base = [f'{n}="{escape_label(str(v))}"' for n, v in zip(_HISTOGRAM_LABELS, key, strict=True)]
        for le, running in zip(_LE, cumulative(counts), strict=True):
            family.sample("{" + ",".join([*base, f'le="{le}"']) + "}", running, "_bucket")
        family.sample("{" + ",".join(base) + "}", total_ms / 1000, "_sum")
        family.sample("{" + ",".join(base) + "}", count, "_count")


def _is_rejection(row: Mapping[str, Any]) -> bool:
    return row["outcome"] in ("rate_limited", "budget_exceeded")


# Counter families over the total rows: name, help, label names, labels of a row, value of a row.
_COUNTERS: tuple[tuple[str, str, tuple[str, ...], Callable[[Any], tuple[Any, ...]], Callable[[Any], float]], ...] = (
    ("requests_total", "Requests handled, by every label.", _REQUEST_LABELS, _row_labels, lambda r: r["requests"]),
    (
        "request_errors_total",
        "Requests answered with a 5xx status.",
        _REQUEST_LABELS,
        _row_labels,
        lambda r: r["errors"],
    ),
    (
        "cache_lookups_total",
        "Response cache lookups by result (hit, miss, bypass).",
        ("worker", "model", "result"),
        lambda r: (r["worker"], r["model"], r["cache"]),
        lambda r: r["requests"] if r["cache"] else 0,
    ),
    (
        "input_tokens_total",
        "LLM input (prompt) tokens.",
        ("worker", "model", "provider", "key"),
        lambda r: (r["worker"], r["model"], r["provider"], r["key_name"]),
        lambda r: r["in_tok"],
    ),
    (
        "output_tokens_total",
        "LLM output (completion) tokens.",
        ("worker", "model", "provider", "key"),
        lambda r: (r["worker"], r["model"], r["provider"], r["key_name"]),
        lambda r: r["out_tok"],
    ),
    (
        "cost_usd_total",
        "Cost of LLM calls in US dollars.",
        ("worker", "model", "provider", "key"),
        lambda r: (r["worker"], r["model"], r["provider"], r["key_name"]),
        lambda r: r["cost_micro"] / 1_000_000,
    ),
    (
        "rejections_total",
        "Requests refused by a rate limit or a budget (reason rate_limited or budget_exceeded).",
        ("worker", "key", "reason"),
        lambda r: (r["worker"], r["key_name"], r["outcome"]),
        lambda r: r["requests"] if _is_rejection(r) else 0,
    ),
    (
        "retries_total",
        "Upstream retries.",
        ("worker", "provider"),
        lambda r: (r["worker"], r["provider"]),
        lambda r: r["retries"],
    ),
    (
        "telemetry_events_ingested_total",
        "Telemetry events stored.",
        ("worker",),
        lambda r: (r["worker"],),
        lambda r: r["events_ok"],
    ),
    (
        "telemetry_events_rejected_total",
        "Telemetry events refused (invalid or over a limit).",
        ("worker",),
        lambda r: (r["worker"],),
        lambda r: r["events_bad"],
    ),
    (
        "export_failures_total",
        "Span exports that failed (the response was not affected).",
        ("worker",),
        lambda r: (r["worker"],),
        lambda r: r["export_failures"],
    ),
)


def _counter(name: str, help_text: str, labels: Sequence[str], sums: Mapping[tuple[Any, ...], float]) -> _Family:
    family = _Family(name, "counter", help_text)
    for key in sorted(sums, key=lambda k: tuple(str(v) for v in k)):
        family.sample(_labels(labels, key), sums[key])
    return family


def render(
    totals: Sequence[Mapping[str, Any]],
    upstream: Sequence[Mapping[str, Any]] = (),
    circuits: Sequence[Mapping[str, Any]] = (),
    budgets: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The whole exposition from the aggregator's total rows and its provider and budget tables."""
    families = [
        _counter(name, text, labels, _sum_by(totals, pick, value)) for name, text, labels, pick, value in _COUNTERS
    ]
    duration = _Family("request_duration_seconds", "histogram", "Time from request to response (or stream end).")
    _histograms(duration, totals, DURATION_BUCKETS, "dur_sum", "requests")
    ttfb = _Family("time_to_first_byte_seconds", "histogram", "Time to the first byte of the upstream answer.")
    _histograms(ttfb, totals, TTFB_BUCKETS, "ttfb_sum", "ttfb_n")
    families += [duration, ttfb]
    families.append(
        _counter(
            "upstream_attempts_total",
            "Calls to LLM providers by outcome.",
            ("provider", "outcome"),
            {(r["provider"], r["outcome"]): r["attempts"] for r in upstream},
        )
    )
    circuit = _Family("provider_circuit_state", "gauge", "1 for each provider's last reported circuit state.")
    for row in circuits:
        for state in ("closed", "half_open", "open"):
            circuit.sample(_labels(("provider", "state"), (row["provider"], state)), 1 if row["state"] == state else 0)
    budget = _Family("key_budget_used_ratio", "gauge", "Spend over budget of each key and period, last reported.")
    for row in budgets:
        ratio = row["spent_micro"] / row["limit_micro"] if row["limit_micro"] else 0
        budget.sample(_labels(("key", "period"), (row["key_name"], row["period"])), ratio)
    families += [circuit, budget]
    return "\n".join(line for family in families for line in family.lines) + "\n"
