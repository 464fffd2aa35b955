"""In-process Durable Object throughput, for `bench/flaresim.py`: `await measure()`.

Builds a throwaway Worker with one SQLite-backed Durable Object class, then times RPC round
trips to a trivial method (no storage) with an int and with JSON-like arguments and result (the
shape of a RateLimiter call: rows of limits, a cost dict, a result dict with rows), storage
`put`/`get` from inside the object, and a `sql.exec` insert, each on one object and one core.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

_WRANGLER = """
name = "do-bench"
main = "src/entry.py"
compatibility_date = "2026-05-26"
compatibility_flags = ["python_workers"]

[[durable_objects.bindings]]
name = "BENCH"
class_name = "Bench"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Bench"]
"""

# Arguments shaped like a RateLimiter.hit call (flarekit.ratelimit): two limit rows and a cost.
_LIMIT_ROWS = [
    ["requests_per_minute", 100_000, 60, "requests", "sliding_window", None],
    ["tokens_per_minute", 1_000_000, 60, "tokens", "token_bucket", None],
]
_COST = {"requests": 1, "tokens": 300}

_ENTRY = """
from workers import DurableObject, Response, WorkerEntrypoint


class Bench(DurableObject):
    async def ping(self, value):
        return value

    async def check(self, limits, cost, now_ms):
        return {"allowed": True, "limits": [[99, 60.0, None, False] for _ in limits]}

    async def puts(self, count):
        storage = self.ctx.storage
        for i in range(count):
            await storage.put(f"k{i % 100}", i)
        return count

    async def gets(self, count):
        storage = self.ctx.storage
        for i in range(count):
            await storage.get(f"k{i % 100}")
        return count

    async def inserts(self, count):
        sql = self.ctx.storage.sql
        sql.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
        for i in range(count):
            sql.exec("INSERT INTO t (v) VALUES (?)", "x")
        return count


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("bench")
"""


async def measure(calls: int = 20_000, *, state_dir: Path | None = None) -> dict[str, float]:
    """Operations per second: `rpc` round trips (an int; `rpc_json`: JSON-like values both ways),
    storage `put` and `get`, SQL `insert`.

    `state_dir=None` keeps storage in memory; pass a directory to measure on-disk SQLite files.
    """
    from flaresim.clock import FakeClock
    from flaresim.runtime import Runtime

    with tempfile.TemporaryDirectory(prefix="flaresim-do-bench-") as tmp:
        worker = Path(tmp) / "worker"
        (worker / "src").mkdir(parents=True)
        (worker / "wrangler.toml").write_text(_WRANGLER)
        (worker / "src" / "entry.py").write_text(_ENTRY)
        runtime = Runtime(state_dir, clock=FakeClock(), environ={}, dev_vars=".dev.vars.example")
        try:
            stub = runtime.load_worker(worker).isolates[0].env.BENCH.getByName("bench")
            await stub.ping(0)  # construct the object and open its storage

            started = time.perf_counter()
            for i in range(calls):
                await stub.ping(i)
            results = {"rpc": calls / (time.perf_counter() - started)}
            started = time.perf_counter()
            for _ in range(calls):
                await stub.check(_LIMIT_ROWS, _COST, None)
            results["rpc_json"] = calls / (time.perf_counter() - started)
            for name in ("puts", "gets", "inserts"):
                started = time.perf_counter()
                await getattr(stub, name)(calls)
                results[name.removesuffix("s")] = calls / (time.perf_counter() - started)
            return results
        finally:
            await runtime.close()
