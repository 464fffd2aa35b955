"""The RateLimiter Durable Object: exact limits for one subject across every isolate.

One object per limited subject (`idFromName("key:<key-id>")`, `idFromName("chat:<chat-id>")`), so
a hot key queues only its own calls. Each RPC method runs without awaiting, so one call's
read-check-write cannot interleave with another's (the object handles one event at a time and
nothing here yields).

State: the limit states live in the object's memory (loaded from SQLite once per instance) and
every event that changes them writes them back before returning: one row holding all of them as
JSON, in one statement with one parameter (the SDK converts each bound value separately on
Pyodide, ~3-4 µs each, and a subject has few limits). A call writes only when it took a non-zero
amount from some limit: a zero-amount step (refill, window roll) is a function of time and the
stored state, so storing its result changes nothing. Refusals write only their rejection counters
(one statement), peeks nothing. In workerd the write belongs to the event's implicit transaction,
durable before the output gate lets the answer out: an eviction or restart loses nothing a caller
was told.

Hosting Workers declare the class in `new_sqlite_classes` and re-export it from `src/entry.py`.

RPC (positional arguments only):
    decide(request)                   -> result text; the compact form `RateLimitClient` uses
                                         (`flarekit.ratelimit.wire`: one string each way)
    hit(limits, cost, now_ms=None)    -> {"allowed", "limits": [[remaining, reset, retry_after, impossible], ...]}
    charge(limits, cost, now_ms=None) -> same shape; takes the cost even past the limit
    peek(limits, now_ms=None)         -> same shape; takes nothing
    stats()                           -> {"rejections": {name: n}, "rejections_total", "by_day": [...]}
    reset()                           -> None; forgets every limit's state (not the counters)
For hit/charge/peek, `limits` is a list of `Limit.to_row()` rows (`[name, limit, window, unit,
algorithm, burst]`) or `Limit.to_wire()` dicts; result rows follow its order. `cost` maps unit to
amount; `now_ms` defaults to the object's own clock (pass one only from tests).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from workers import DurableObject

from flarekit import clock
from flarekit.ratelimit.evaluation import Evaluation, evaluate
from flarekit.ratelimit.limits import Limit, parse_limits
from flarekit.ratelimit.state import State
from flarekit.ratelimit.wire import compact_json, decode_request, encode_result

# rl_states holds one row: every limit's state as JSON `{name: [shape, level, previous, stamp_ms]}`.
# rl_state (one row per limit) is the layout before that, still read when rl_states is empty.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS rl_states (id INTEGER PRIMARY KEY CHECK (id = 1), states TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rl_state (
    name TEXT PRIMARY KEY, shape TEXT NOT NULL, level REAL NOT NULL, previous REAL NOT NULL, stamp_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rl_rejections (
    day INTEGER NOT NULL, name TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, name)
);
"""
_SAVE_STATES = "INSERT OR REPLACE INTO rl_states (id, states) VALUES (1, ?)"
# One JSON parameter `[day, [name, ...]]`; `WHERE true` tells SQLite the ON CONFLICT is an upsert's.
_COUNT_REJECTIONS = (
    "INSERT INTO rl_rejections (day, name, count) SELECT json_extract(?1, '$[0]'), value, 1 "
    "FROM json_each(?1, '$[1]') WHERE true ON CONFLICT (day, name) DO UPDATE SET count = count + 1"
)
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
            rows = self._sql.exec("SELECT states FROM rl_states").toArray()
            if rows:
                saved = json.loads(rows[0]["states"])
                self._states = {
                    name: State(level, previous, stamp, shape)
                    for name, (shape, level, previous, stamp) in saved.items()
                }
            else:
                rows = self._sql.exec("SELECT name, shape, level, previous, stamp_ms FROM rl_state").toArray()
                self._states = {
                    r["name"]: State(float(r["level"]), float(r["previous"]), int(r["stamp_ms"]), r["shape"])
                    for r in rows
                }
        return self._states

    def _save(self, states: Mapping[str, State]) -> None:
        """Write every limit's state (one row, one parameter)."""
        saved = {name: [st.shape, st.level, st.previous, st.stamp_ms] for name, st in states.items()}
        self._sql.exec(_SAVE_STATES, compact_json(saved))

    def _count_rejections(self, names: tuple[str, ...], now_ms: int) -> None:
        day = now_ms // _DAY_MS
        self._sql.exec(_COUNT_REJECTIONS, compact_json([day, names]))
        if day != self._last_rejection_day:
            self._last_rejection_day = day
            self._sql.exec("DELETE FROM rl_rejections WHERE day < ?", day - REJECTION_DAYS_KEPT)

    def _run(self, limits: tuple[Limit, ...], cost: Mapping[str, float] | None, now_ms: Any, force: bool) -> Evaluation:
        now = clock.now_ms() if now_ms is None else int(now_ms)
        states = self._load()
        result = evaluate(limits, states, cost or {}, now, force)
        if not result.allowed:
            self._count_rejections(result.rejected, now)
        elif cost:
            # Only what this call took from changes a limit (see the module docstring).
            changed = False
            for limit in limits:
                if cost.get(limit.unit, 0):
                    states[limit.name] = result.states[limit.name]
                    changed = True
            if changed:
                self._save(states)
        return result

    async def decide(self, request: str) -> str:
        """The compact check `RateLimitClient` sends (`flarekit.ratelimit.wire`): one string each way."""
        op, limits, cost = decode_request(request)
        return encode_result(self._run(limits, cost, None, op == "charge"))

    async def hit(
        self, limits: list[dict[str, Any]], cost: dict[str, float], now_ms: int | None = None
    ) -> dict[str, Any]:
        """Check `cost` against every limit and take it from all only if all allow it."""
        return self._run(_parsed(limits), cost, now_ms, False).to_wire()

    async def charge(
        self, limits: list[dict[str, Any]], cost: dict[str, float], now_ms: int | None = None
    ) -> dict[str, Any]:
        """Take `cost` regardless of the limits (usage known after the fact); negative amounts refund."""
        return self._run(_parsed(limits), cost, now_ms, True).to_wire()

    async def peek(self, limits: list[dict[str, Any]], now_ms: int | None = None) -> dict[str, Any]:
        """Every limit's status now, taking nothing."""
        return self._run(_parsed(limits), None, now_ms, False).to_wire()

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
        self._sql.exec("DELETE FROM rl_states")
        self._sql.exec("DELETE FROM rl_state")
        self._states = {}
