"""The MetricsAggregator's tables: totals and time-bucketed rollups in the object's SQLite storage.

One row per (resolution, bucket start, dimensions). Resolutions: `t` (totals since the object was
created, what Prometheus counters need: never pruned, bounded by the number of label sets), `m`
(per minute, kept `MINUTE_RETENTION_S`) and `h` (per hour, kept `HOUR_RETENTION_S`). Applying a
record is one upsert statement writing the three rows, plus one per upstream attempt and circuit
state it carries: O(1) per request. Histograms are fixed bucket columns (`d0..`, `t0..`).

Works on any `Sql` with `exec(query, *params)` returning a cursor with `toArray()`: a Durable
Object's `ctx.storage.sql` in production and under flaresim, or a sqlite3 adapter in tests.
"""

from __future__ import annotations

import heapq
from typing import Any, Protocol

from flarekit.metrics.buckets import BUCKET_COUNT
from flarekit.metrics.record import ParsedRecord

MINUTE_RETENTION_S = 26 * 3600
HOUR_RETENTION_S = 8 * 86400
SLOW_PER_MINUTE = 3
"""The slowest requests kept per minute (for 'recent slow requests' with their trace ids)."""

DIM_COLUMNS = ("worker", "route", "method", "status", "outcome", "model", "provider", "key_name", "cache")
DURATION_BUCKETS = tuple(f"d{i}" for i in range(BUCKET_COUNT))
TTFB_BUCKETS = tuple(f"t{i}" for i in range(BUCKET_COUNT))
VALUE_COLUMNS = (
    "requests",
    "errors",
    "dur_sum",
    *DURATION_BUCKETS,
    "ttfb_n",
    "ttfb_sum",
    *TTFB_BUCKETS,
    "in_tok",
    "out_tok",
    "cost_micro",
    "retries",
    "events_ok",
    "events_bad",
    "export_failures",
)


class SqlCursor(Protocol):
    def toArray(self) -> list[Any]: ...  # noqa: N802 - the JS name


class Sql(Protocol):
    """`ctx.storage.sql` as Durable Objects expose it."""

    def exec(self, query: str, *params: Any) -> SqlCursor: ...


def _schema() -> list[str]:
    dims = ", ".join(f"{c} {'INTEGER' if c == 'status' else 'TEXT'} NOT NULL" for c in DIM_COLUMNS)
    values = ", ".join(f"{c} {'REAL' if c.endswith('_sum') else 'INTEGER'} NOT NULL DEFAULT 0" for c in VALUE_COLUMNS)
    return [
        f"CREATE TABLE IF NOT EXISTS rollup (res TEXT NOT NULL, start INTEGER NOT NULL, {dims}, {values}, "
        f"PRIMARY KEY (res, start, {', '.join(DIM_COLUMNS)})) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS upstream (res TEXT NOT NULL, start INTEGER NOT NULL, provider TEXT NOT NULL, "
        "outcome TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, dur_sum REAL NOT NULL DEFAULT 0, "
        "PRIMARY KEY (res, start, provider, outcome)) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS circuit (provider TEXT PRIMARY KEY, state TEXT NOT NULL, "
        "changed_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS budget (key_name TEXT NOT NULL, period TEXT NOT NULL, spent_micro INTEGER NOT NULL, "
        "limit_micro INTEGER NOT NULL, updated_ms INTEGER NOT NULL, PRIMARY KEY (key_name, period))",
        "CREATE TABLE IF NOT EXISTS slow (ts INTEGER NOT NULL, minute INTEGER NOT NULL, dur REAL NOT NULL, "
        "worker TEXT, route TEXT, method TEXT, status INTEGER, model TEXT, provider TEXT, key_name TEXT, trace_id TEXT)",
        "CREATE INDEX IF NOT EXISTS slow_by_minute ON slow (minute, dur)",
    ]


SCHEMA = _schema()

_RESOLUTIONS = "(VALUES ('t', 0), ('m', ?), ('h', ?)) AS r"
# `WHERE true` resolves SQLite's parsing ambiguity between a SELECT's join and an upsert's ON CONFLICT.
_APPLY = (
    f"INSERT INTO rollup (res, start, {', '.join(DIM_COLUMNS + VALUE_COLUMNS)}) "
    f"SELECT r.column1, r.column2, {', '.join('?' * len(DIM_COLUMNS + VALUE_COLUMNS))} FROM {_RESOLUTIONS} WHERE true "
    f"ON CONFLICT (res, start, {', '.join(DIM_COLUMNS)}) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in VALUE_COLUMNS)
)
_APPLY_ATTEMPT = (
    f"INSERT INTO upstream (res, start, provider, outcome, attempts, dur_sum) "
    f"SELECT r.column1, r.column2, ?, ?, 1, ? FROM {_RESOLUTIONS} WHERE true "
    "ON CONFLICT (res, start, provider, outcome) DO UPDATE SET attempts = attempts + 1, dur_sum = dur_sum + excluded.dur_sum"
)
_APPLY_CIRCUIT = (
    "INSERT INTO circuit (provider, state, changed_ms, updated_ms) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (provider) DO UPDATE SET "
    "changed_ms = CASE WHEN state = excluded.state THEN changed_ms ELSE excluded.changed_ms END, "
    "state = excluded.state, updated_ms = excluded.updated_ms WHERE excluded.updated_ms >= updated_ms"
)
_APPLY_BUDGET = (
    "INSERT INTO budget (key_name, period, spent_micro, limit_micro, updated_ms) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (key_name, period) DO UPDATE SET spent_micro = excluded.spent_micro, "
    "limit_micro = excluded.limit_micro, updated_ms = excluded.updated_ms WHERE excluded.updated_ms >= updated_ms"
)
_SUMS = ", ".join(f"SUM({c}) AS {c}" for c in VALUE_COLUMNS)
_CACHE_SUMS = ", ".join(
    f"SUM(CASE WHEN cache = '{result}' THEN requests ELSE 0 END) AS cache_{result}" for result in ("hit", "miss")
)


def _values(parsed: ParsedRecord) -> list[Any]:
    durations = [0] * BUCKET_COUNT
    durations[parsed.duration_bucket] = 1
    ttfbs = [0] * BUCKET_COUNT
    has_ttfb = parsed.ttfb_ms is not None
    if has_ttfb:
        ttfbs[parsed.ttfb_bucket] = 1
    return [
        1,
        parsed.errors,
        parsed.duration_ms,
        *durations,
        1 if has_ttfb else 0,
        parsed.ttfb_ms or 0.0,
        *ttfbs,
        parsed.input_tokens,
        parsed.output_tokens,
        parsed.cost_micro,
        parsed.retries,
        parsed.events_accepted,
        parsed.events_rejected,
        parsed.export_failures,
    ]


class RollupStore:
    """Applies parsed records and answers the queries behind /metrics, /api/stats and alerts."""

    def __init__(self, sql: Sql) -> None:
        self._sql = sql
        self._slow_minute = -1
        self._slow_heap: list[float] = []  # the durations kept for the current minute (a min-heap)
        for statement in SCHEMA:
            sql.exec(statement)

    def apply(self, parsed: ParsedRecord) -> None:
        """Count one request in the totals and in its minute and hour buckets."""
        ts = parsed.ts_ms // 1000
        minute, hour = ts - ts % 60, ts - ts % 3600
        exec_ = self._sql.exec
        exec_(_APPLY, *parsed.dims, *_values(parsed), minute, hour)
        for attempt in parsed.attempts:
            exec_(_APPLY_ATTEMPT, attempt.provider, attempt.outcome, attempt.duration_ms, minute, hour)
        for provider, state in parsed.circuits:
            exec_(_APPLY_CIRCUIT, provider, state, parsed.ts_ms, parsed.ts_ms)
        budget = parsed.budget
        if budget is not None:
            exec_(_APPLY_BUDGET, budget.key, budget.period, budget.spent_micro, budget.limit_micro, parsed.ts_ms)
        self._keep_if_slow(parsed, minute)

    def _keep_if_slow(self, parsed: ParsedRecord, minute: int) -> None:
        if minute != self._slow_minute:
            if minute < self._slow_minute:
                return  # a late record for an earlier minute: not worth a read
            self._slow_minute = minute
            rows = self._sql.exec(
                "SELECT dur FROM slow WHERE minute = ? ORDER BY dur DESC LIMIT ?", minute, SLOW_PER_MINUTE
            ).toArray()
            self._slow_heap = [float(row["dur"]) for row in rows]
            heapq.heapify(self._slow_heap)
        heap = self._slow_heap
        if len(heap) >= SLOW_PER_MINUTE:
            if parsed.duration_ms <= heap[0]:
                return
            heapq.heapreplace(heap, parsed.duration_ms)
            self._sql.exec(
                "DELETE FROM slow WHERE rowid = (SELECT rowid FROM slow WHERE minute = ? ORDER BY dur ASC LIMIT 1)",
                minute,
            )
        else:
            heapq.heappush(heap, parsed.duration_ms)
        worker, route, method, status, _outcome, model, provider, key, _cache = parsed.dims
        self._sql.exec(
            "INSERT INTO slow (ts, minute, dur, worker, route, method, status, model, provider, key_name, trace_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            parsed.ts_ms,
            minute,
            parsed.duration_ms,
            worker,
            route,
            method,
            status,
            model,
            provider,
            key,
            parsed.trace_id or None,
        )

    def prune(self, now_s: float) -> None:
        """Drop buckets past their retention (run from the object's alarm)."""
        minute_cutoff = int(now_s) - MINUTE_RETENTION_S
        hour_cutoff = int(now_s) - HOUR_RETENTION_S
        for table in ("rollup", "upstream"):
            self._sql.exec(f"DELETE FROM {table} WHERE res = 'm' AND start < ?", minute_cutoff)
            self._sql.exec(f"DELETE FROM {table} WHERE res = 'h' AND start < ?", hour_cutoff)
        self._sql.exec("DELETE FROM slow WHERE minute < ?", hour_cutoff)

    def row_counts(self) -> dict[str, int]:
        """Rows held per resolution and table: what bounds the object's storage."""
        counts = {"rollup_t": 0, "rollup_m": 0, "rollup_h": 0}
        for row in self._sql.exec("SELECT res, count(*) AS n FROM rollup GROUP BY res").toArray():
            counts[f"rollup_{row['res']}"] = row["n"]
        for table in ("upstream", "slow", "circuit", "budget"):
            counts[table] = self._sql.exec(f"SELECT count(*) AS n FROM {table}").toArray()[0]["n"]
        return counts

    # -- queries ------------------------------------------------------------------------------

    def totals(self) -> list[Any]:
        """Every total row (one per label set): what /metrics renders."""
        columns = ", ".join(DIM_COLUMNS + VALUE_COLUMNS)
        return self._sql.exec(f"SELECT {columns} FROM rollup WHERE res = 't'").toArray()

    def window(self, res: str, since_s: int) -> list[Any]:
        """Rows summed over a window, one per label set."""
        dims = ", ".join(DIM_COLUMNS)
        return self._sql.exec(
            f"SELECT {dims}, {_SUMS} FROM rollup WHERE res = ? AND start >= ? GROUP BY {dims}", res, since_s
        ).toArray()

    def timeline(self, res: str, since_s: int, step_s: int) -> list[Any]:
        """All label sets summed per time step, oldest first (`t` is the step's start)."""
        return self._sql.exec(
            f"SELECT (start / ?) * ? AS t, {_SUMS}, {_CACHE_SUMS} FROM rollup WHERE res = ? AND start >= ? "
            "GROUP BY t ORDER BY t",
            step_s,
            step_s,
            res,
            since_s,
        ).toArray()

    def minutes_by_worker(self, since_s: int, until_s: int) -> list[Any]:
        """Per-minute sums of each Worker in [since, until): what alert rules evaluate."""
        return self._sql.exec(
            f"SELECT start, worker, {_SUMS} FROM rollup WHERE res = 'm' AND start >= ? AND start < ? "
            "GROUP BY start, worker ORDER BY start",
            since_s,
            until_s,
        ).toArray()

    def upstream(self, res: str, since_s: int) -> list[Any]:
        """Upstream attempts by provider and outcome over a window (`res` 't' for all time)."""
        return self._sql.exec(
            "SELECT provider, outcome, SUM(attempts) AS attempts, SUM(dur_sum) AS dur_sum FROM upstream "
            "WHERE res = ? AND start >= ? GROUP BY provider, outcome",
            res,
            since_s,
        ).toArray()

    def circuits(self) -> list[Any]:
        """The last reported circuit state of every provider."""
        return self._sql.exec("SELECT provider, state, changed_ms, updated_ms FROM circuit ORDER BY provider").toArray()

    def budgets(self) -> list[Any]:
        """The last reported budget position of every key and period."""
        return self._sql.exec(
            "SELECT key_name, period, spent_micro, limit_micro, updated_ms FROM budget ORDER BY key_name, period"
        ).toArray()

    def slow_requests(self, since_s: int, limit: int) -> list[Any]:
        """The slowest requests kept since `since_s`, slowest first."""
        return self._sql.exec(
            "SELECT ts, dur, worker, route, method, status, model, provider, key_name, trace_id FROM slow "
            "WHERE minute >= ? ORDER BY dur DESC, ts DESC LIMIT ?",
            since_s - since_s % 60,
            limit,
        ).toArray()
