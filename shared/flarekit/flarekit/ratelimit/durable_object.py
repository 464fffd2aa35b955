"""The RateLimiter Durable Object: exact limits for one subject across every isolate.

One object per limited subject (`idFromName("key:<key-id>")`, `idFromName("chat:<chat-id>")`), so
a hot key queues only its own calls. Each RPC method runs without awaiting, so one call's
read-check-write cannot interleave with another's (the object handles one event at a time and
nothing here yields). State lives in the object's SQLite storage (one row per limit) and in a
mirror in memory rebuilt after eviction; every change is written before the method returns.

Hosting Workers declare the class in `new_sqlite_classes` and re-export it from `src/entry.py`.

RPC (positional arguments only; values are JSON-like):
    hit(limits, cost, now_ms=None)    -> {"allowed", "limits": [[remaining, reset, retry_after, impossible], ...]}
    charge(limits, cost, now_ms=None) -> same shape; takes the cost even past the limit
    peek(limits, now_ms=None)         -> same shape; takes nothing
    stats()                           -> {"rejections": {name: n}, "rejections_total", "by_day": [...]}
    reset()                           -> None; forgets every limit's state (not the counters)
`limits` is a list of `Limit.to_row()` rows (`[name, limit, window, unit, algorithm, burst]`) or
`Limit.to_wire()` dicts; result rows follow its order. `cost` maps unit to amount; `now_ms`
defaults to the object's own clock (pass one only from tests). Rows keep the values crossing RPC
few: each is converted on both sides in production, and this call is on every request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from workers import DurableObject

from flarekit import clock
from flarekit.ratelimit.evaluation import Evaluation, evaluate
from flarekit.ratelimit.limits import Limit, parse_limits
from flarekit.ratelimit.state import State

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rl_state (
    name TEXT PRIMARY KEY, shape TEXT NOT NULL, level REAL NOT NULL, previous REAL NOT NULL, stamp_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rl_rejections (
    day INTEGER NOT NULL, name TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, name)
);
"""
# SQLite in Durable Objects allows at most 100 bound parameters per statement.
_ROWS_PER_UPSERT = 20
_UPSERT_HEAD = "INSERT OR REPLACE INTO rl_state (name, shape, level, previous, stamp_ms) VALUES "
# Rejection counts per UTC day are kept this long for the dashboard, then deleted.
REJECTION_DAYS_KEPT = 31
_DAY_MS = 86_400_000
_EPOCH = dt.date(1970, 1, 1)


_PARSED: dict[tuple[Any, ...], tuple[Limit, ...]] = {}
_PARSED_MAX = 256


def _parsed(limits: Any) -> tuple[Limit, ...]:
    """Limits parsed once per distinct row list (callers send the same few sets again and again)."""
    if not limits or not isinstance(limits[0], list):
        return parse_limits(limits or ())
    key = tuple(tuple(row) for row in limits)
    parsed = _PARSED.get(key)
    if parsed is None:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()  # bounded; refilling costs one parse per distinct set
        parsed = _PARSED[key] = parse_limits(limits)
    return parsed


class RateLimiter(DurableObject):
    """Holds one subject's limit states; see the module docstring for the RPC methods."""

    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self._sql = ctx.storage.sql
        self._sql.exec(_SCHEMA)
        self._states: dict[str, State] | None = None
        self._last_rejection_day = -1

    def _load(self) -> dict[str, State]:
        if self._states is None:
            rows = self._sql.exec("SELECT name, shape, level, previous, stamp_ms FROM rl_state").toArray()
            self._states = {
                r["name"]: State(float(r["level"]), float(r["previous"]), int(r["stamp_ms"]), r["shape"]) for r in rows
            }
        return self._states

    def _store(self, states: Mapping[str, State]) -> None:
        items = list(states.items())
        for start in range(0, len(items), _ROWS_PER_UPSERT):
            chunk = items[start : start + _ROWS_PER_UPSERT]
            params: list[Any] = []
            for name, s in chunk:
                params += (name, s.shape, s.level, s.previous, s.stamp_ms)
            self._sql.exec(_UPSERT_HEAD + ",".join(["(?, ?, ?, ?, ?)"] * len(chunk)), *params)
        self._load().update(states)

    def _count_rejections(self, names: tuple[str, ...], now_ms: int) -> None:
        day = now_ms // _DAY_MS
        for name in names:
            self._sql.exec(
                "INSERT INTO rl_rejections (day, name, count) VALUES (?, ?, 1) "
                "ON CONFLICT (day, name) DO UPDATE SET count = count + 1",
                day,
                name,
            )
        if day != self._last_rejection_day:
            self._last_rejection_day = day
            self._sql.exec("DELETE FROM rl_rejections WHERE day < ?", day - REJECTION_DAYS_KEPT)

    def _run(self, limits: Any, cost: Any, now_ms: Any, force: bool) -> Evaluation:
        now = clock.now_ms() if now_ms is None else int(now_ms)
        result = evaluate(_parsed(limits), self._load(), cost or {}, now, force)
        if result.allowed:
            if cost:
                self._store(result.states)
        else:
            self._count_rejections(result.rejected, now)
        return result

    async def hit(
        self, limits: list[dict[str, Any]], cost: dict[str, float], now_ms: int | None = None
    ) -> dict[str, Any]:
        """Check `cost` against every limit and take it from all only if all allow it."""
        return self._run(limits, cost, now_ms, False).to_wire()

    async def charge(
        self, limits: list[dict[str, Any]], cost: dict[str, float], now_ms: int | None = None
    ) -> dict[str, Any]:
        """Take `cost` regardless of the limits (usage known after the fact); negative amounts refund."""
        return self._run(limits, cost, now_ms, True).to_wire()

    async def peek(self, limits: list[dict[str, Any]], now_ms: int | None = None) -> dict[str, Any]:
        """Every limit's status now, taking nothing."""
        return self._run(limits, None, now_ms, False).to_wire()

    async def stats(self) -> dict[str, Any]:
        """Rejection counts: per limit in total (over the days kept) and per UTC day (`YYYY-MM-DD`)."""
        rows = self._sql.exec("SELECT day, name, count FROM rl_rejections ORDER BY day, name").toArray()
        totals: dict[str, int] = {}
        by_day = []
        for r in rows:
            totals[r["name"]] = totals.get(r["name"], 0) + int(r["count"])
            day = (_EPOCH + dt.timedelta(days=int(r["day"]))).isoformat()
            by_day.append({"day": day, "name": r["name"], "count": int(r["count"])})
        return {"rejections": totals, "rejections_total": sum(totals.values()), "by_day": by_day}

    async def reset(self) -> None:
        """Forget every limit's state (the subject starts with full allowances); counters stay."""
        self._sql.exec("DELETE FROM rl_state")
        self._states = {}
