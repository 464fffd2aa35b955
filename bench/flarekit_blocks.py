#!/usr/bin/env python3
"""Per-call CPU of flarekit's stateful building blocks on the request path (CPython here).

Pure parts with timeit (the rate-limit decision, cache key, policy, LRU, token estimate, trimming),
then the RateLimiter, Conversation and UsageLedger round trips through flaresim (one object call
each, as a Worker makes them). Writes its section of docs/performance.md.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import sys
import tempfile
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# Python puts this script's folder first on the path, where bench/flaresim.py would shadow the
# flaresim package (its editable finder comes after the path): keep the folder off the path.
sys.path[:] = [str(ROOT / "shared" / "flarekit")] + [p for p in sys.path if Path(p or ".").resolve() != BENCH]

import flaresim  # noqa: E402, F401 - installs the workers/js shims

_spec = importlib.util.spec_from_file_location("bench_report", BENCH / "report.py")
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)

from flarekit.cache import CachePolicy, LRUCache, chat_cache_key, decide, make_entry  # noqa: E402
from flarekit.conversation import trim_to_budget  # noqa: E402
from flarekit.ratelimit import Decision, evaluate, per_minute  # noqa: E402
from flarekit.tokens import estimate_messages_tokens  # noqa: E402

LIMITS = (
    per_minute("requests_per_minute", 100_000),
    per_minute("tokens_per_minute", 1_000_000, "tokens", "token_bucket"),
)
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant. " * 4},
    *[
        {"role": "user" if i % 2 == 0 else "assistant", "content": "Some question or answer text. " * 10}
        for i in range(6)
    ],
]
BODY = {"model": "gpt-4o-mini", "messages": MESSAGES, "temperature": 0, "max_tokens": 256, "stream": True}


def per_call_us(stmt, number: int = 20_000) -> float:
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e6


def pure_rows() -> list[list[object]]:
    states: dict = {}
    now = [1_790_000_000_000]

    def limit_check():
        now[0] += 1
        result = evaluate(LIMITS, states, {"requests": 1, "tokens": 300}, now[0])
        states.update(result.states)

    wire = evaluate(LIMITS, {}, {"requests": 1, "tokens": 300}, now[0]).to_wire()
    lru = LRUCache(clock=lambda: 1.0)
    key = chat_cache_key("key_1", BODY)
    lru.put(key, make_entry("x" * 2000, {"model": "m"}, 3600, 0.0))
    policy = CachePolicy()
    long_history = MESSAGES * 10
    return [
        ["rate-limit decision, 2 limits (in the object)", f"{per_call_us(limit_check):.1f}"],
        [
            "decision from the RPC result + OpenAI headers (client)",
            f"{per_call_us(lambda: Decision.from_wire(wire, LIMITS).headers):.1f}",
        ],
        [
            f"cache key of a {len(str(BODY))}-char chat request",
            f"{per_call_us(lambda: chat_cache_key('key_1', BODY)):.1f}",
        ],
        ["cache policy decision", f"{per_call_us(lambda: decide(policy, BODY, None, None)):.2f}"],
        ["LRU hit", f"{per_call_us(lambda: lru.get(key)):.2f}"],
        ["token estimate of 7 messages", f"{per_call_us(lambda: estimate_messages_tokens(MESSAGES)):.1f}"],
        ["trim 70 messages to 1,000 tokens", f"{per_call_us(lambda: trim_to_budget(long_history, 1000), 2000):.1f}"],
    ]


async def object_rows() -> list[list[object]]:
    from flarekit.conversation import conversation_stub
    from flarekit.ratelimit import RateLimitClient
    from flarekit.usage import Budget, UsageClient, UsageEntry
    from flaresim.clock import FakeClock
    from flaresim.outbound import Outbound
    from flaresim.runtime import Runtime

    with tempfile.TemporaryDirectory() as tmp:
        worker = Path(tmp) / "flarekit_host"
        shutil.copytree(ROOT / "tests" / "fixtures" / "flarekit_host", worker)
        (worker / "python_modules").mkdir()
        (worker / "python_modules" / "flarekit").symlink_to(ROOT / "shared" / "flarekit" / "flarekit")
        runtime = Runtime(Path(tmp) / "state", clock=FakeClock(), outbound=Outbound(), environ={})
        try:
            env = runtime.load_worker(worker).isolates[0].env
            limiter, usage = RateLimitClient(env.RATE_LIMITER), UsageClient(env.USAGE)
            conversation = conversation_stub(env.CONVERSATIONS, "chat:1")
            budget = Budget(daily_usd=100, monthly_usd=1000)
            entry = UsageEntry("gpt-4o-mini", 300, 50, 0.0001)
            calls = {
                "RateLimiter.hit (2 limits) via RateLimitClient": lambda: limiter.hit(
                    "key:1", LIMITS, {"requests": 1, "tokens": 300}
                ),
                "UsageLedger.check (budget) via UsageClient": lambda: usage.check("key:1", budget),
                "UsageLedger.record via UsageClient": lambda: usage.record("key:1", entry),
                "Conversation.append (2 messages)": lambda: conversation.append(MESSAGES[1:3]),
                "Conversation.history (budget 2,000 tokens)": lambda: conversation.history(2000),
            }
            rows = []
            loop = asyncio.get_running_loop()
            for name, call in calls.items():
                for _ in range(50):
                    await call()
                best = float("inf")
                for _ in range(7):  # the best of several runs: other work on the machine only adds time
                    start = loop.time()
                    for _ in range(200):
                        await call()
                    best = min(best, (loop.time() - start) / 200)
                rows.append([name, f"{best * 1e6:.0f}"])
            return rows
        finally:
            await runtime.close()


def main() -> None:
    rows = pure_rows()
    try:
        rows += asyncio.run(object_rows())
    except NotImplementedError as error:
        print(f"(Durable Object round trips skipped: {error})")
    body = report.table(["operation", "µs per call"], rows)
    body += (
        "\n\nThe pure figures are what the code costs in CPython; Pyodide runs the same bytecode a few times "
        "slower. Durable Object round trips here include flaresim's own dispatch and SQLite; in production "
        "the object call is a network hop (same colo) whose CPU is billed to the object, not the Worker."
    )
    report.write_section("flarekit-blocks", "flarekit building blocks (per call)", body)


if __name__ == "__main__":
    main()
