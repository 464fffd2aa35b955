#!/usr/bin/env python3
"""Telegram bot benchmark: webhook acknowledgement latency and updates handled per second end to end.

The bot, the AI proxy and the telemetry Worker run in one flaresim runtime (the proxy's provider is
flaresim's simulated Workers AI, so no network model is involved); a fake Bot API server on
127.0.0.1 receives the answers.

- acknowledgement: the time from a webhook POST to its 200 (secret check, parsing, the update
  stored in its chat's Durable Object), in process and over HTTP, one request at a time with the
  previous update's background work finished first. Target: p50 <= 5 ms.
- end to end: updates from many chats posted over HTTP at a fixed concurrency, timed until every
  answer has reached the fake Bot API (per-chat limits off), with streaming off and on.

Usage: .venv/bin/python bench/telegram_bot.py [--updates N] [--chats N] [--concurrency N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from report import table, write_section

ROOT = Path(__file__).resolve().parent.parent
# bench/flaresim.py (another benchmark) must not shadow the flaresim package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from flaresim.fake_telegram import FakeBotApi, UpdateFactory  # noqa: E402
from flaresim.outbound import Outbound  # noqa: E402
from flaresim.runtime import Runtime  # noqa: E402
from flaresim.testing import serve_workers  # noqa: E402

BOT_DIR = ROOT / "workers" / "telegram_bot"
PROXY_DIR = ROOT / "workers" / "ai_proxy"
TELEMETRY_DIR = ROOT / "workers" / "telemetry"  # the proxy sends its request records there
SECRET = "dev-webhook-secret"
TOKEN = "123456:dev-bot-token"
HEADERS = {"content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def start(state: Path, api: FakeBotApi, stream: str) -> tuple[Runtime, object, object]:
    runtime = Runtime(state, outbound=Outbound(), environ={}, dev_vars=".dev.vars.example")
    proxy = runtime.load_worker(PROXY_DIR)
    runtime.load_worker(TELEMETRY_DIR)
    overrides = {
        "TELEGRAM_API_BASE": api.url,
        "BOT_MESSAGES_PER_MINUTE": "0",
        "BOT_TOKENS_PER_DAY": "0",
        "BOT_STREAM": stream,
    }
    bot = runtime.load_worker(BOT_DIR, overrides=overrides)
    return runtime, bot, proxy


async def ack_latency(samples: int, chats: int) -> dict[str, list[float]]:
    """Milliseconds per webhook acknowledgement, in process and over HTTP."""
    from workers import Request

    results: dict[str, list[float]] = {"in process, a chat's first update": [], "in process": [], "HTTP": []}
    factory = UpdateFactory()
    with tempfile.TemporaryDirectory() as state:
        async with FakeBotApi(TOKEN) as api:
            runtime, bot, proxy = await start(Path(state), api, "off")
            try:
                users = [factory.user(10_000 + i, f"U{i}", f"u{i}") for i in range(chats)]
                for i in range(samples + chats):
                    body = json.dumps(factory.text(f"hello {i}", user=users[i % chats]))
                    request = Request("http://bot/telegram/webhook", method="POST", headers=HEADERS, body=body)
                    began = time.perf_counter()
                    response = await bot.fetch(request)
                    # A chat's first update also creates its Durable Object (and its SQLite file here).
                    kind = "in process, a chat's first update" if i < chats else "in process"
                    results[kind].append((time.perf_counter() - began) * 1000)
                    assert response.status == 200
                    await runtime.drain()
                async with serve_workers(bot, proxy) as urls, aiohttp.ClientSession() as session:
                    url = urls["telegram-bot"] + "/telegram/webhook"
                    for i in range(samples):
                        body = json.dumps(factory.text(f"hello {i}", user=users[i % chats]))
                        began = time.perf_counter()
                        async with session.post(url, data=body, headers=HEADERS) as response:
                            await response.read()
                        results["HTTP"].append((time.perf_counter() - began) * 1000)
                        assert response.status == 200
                        await runtime.drain()
            finally:
                await runtime.close()
    return results


async def end_to_end(updates: int, chats: int, concurrency: int, stream: str) -> tuple[float, int]:
    """Updates per second from the first POST until every answer reached the Bot API; and Bot API calls made."""
    factory = UpdateFactory()
    with tempfile.TemporaryDirectory() as state:
        async with FakeBotApi(TOKEN) as api:
            runtime, bot, proxy = await start(Path(state), api, stream)
            try:
                async with serve_workers(bot, proxy) as urls, aiohttp.ClientSession() as session:
                    url = urls["telegram-bot"] + "/telegram/webhook"
                    users = [factory.user(20_000 + i, f"U{i}", f"u{i}") for i in range(chats)]
                    # Warm up: each chat's objects exist before timing (a bot's chats mostly already do).
                    for user in users:
                        async with session.post(url, data=json.dumps(factory.text("hi", user=user)), headers=HEADERS):
                            pass
                    await runtime.drain()
                    await api.wait_for(lambda: len(api.messages) >= chats, timeout=600)
                    api.messages.clear()
                    api.calls.clear()
                    bodies = [json.dumps(factory.text(f"question {i}", user=users[i % chats])) for i in range(updates)]
                    queue = list(reversed(bodies))

                    async def client() -> None:
                        while queue:
                            async with session.post(url, data=queue.pop(), headers=HEADERS) as response:
                                await response.read()
                                assert response.status == 200

                    def answered() -> bool:
                        # every answer is final: a sendMessage (streaming off) or the last edit of a placeholder
                        finals = [m for m in api.messages.values() if m.text != "…" and not m.text.endswith(" ▌")]
                        return len(finals) >= updates

                    began = time.perf_counter()
                    await asyncio.gather(*(client() for _ in range(concurrency)))
                    await api.wait_for(answered, timeout=600)
                    elapsed = time.perf_counter() - began
                    await runtime.drain()
                    return updates / elapsed, len(api.calls)
            finally:
                await runtime.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=300, help="acknowledgements timed per transport")
    parser.add_argument("--updates", type=int, default=400, help="updates in the end-to-end run")
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3, help="end-to-end runs per mode (the median is reported)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    acks = await ack_latency(args.samples, args.chats)
    ack_rows = [
        [name, len(ms), f"{statistics.median(ms):.2f}", f"{percentile(ms, 0.9):.2f}", f"{percentile(ms, 0.99):.2f}"]
        for name, ms in acks.items()
    ]
    e2e_rows = []
    for stream in ("off", "private"):
        runs = [await end_to_end(args.updates, args.chats, args.concurrency, stream) for _ in range(args.runs)]
        rates = sorted(rate for rate, _ in runs)
        calls = runs[0][1]
        label = "streaming off" if stream == "off" else "streaming (private chats)"
        spread = f"{rates[0]:.0f}-{rates[-1]:.0f}"
        e2e_rows.append(
            [
                label,
                args.updates,
                args.chats,
                args.concurrency,
                f"{statistics.median(rates):.0f}",
                spread,
                f"{calls / args.updates:.1f}",
            ]
        )

    body = "\n\n".join(
        [
            "Webhook acknowledgement (POST /telegram/webhook until its 200: secret check, parse, update stored in "
            "the chat's Durable Object), one request at a time. Target p50 <= 5 ms.",
            table(["transport", "requests", "p50 ms", "p90 ms", "p99 ms"], ack_rows),
            "End to end: updates posted over HTTP by concurrent clients to chats that already exist, until every "
            "answer reached the fake Bot API (the AI proxy over flaresim's simulated Workers AI, its telemetry Worker loaded; per-chat "
            "limits off). Each update costs 7 Durable Object calls (accept and drain on the chat's object, history "
            "and append on its conversation, hit and charge on its limiter, record on its usage ledger) and the "
            "proxy call.",
            table(
                ["mode", "updates", "chats", "concurrency", "updates/s (median)", "range", "Bot API calls per update"],
                e2e_rows,
            ),
        ]
    )
    write_section("telegram_bot", "Telegram bot", body)


if __name__ == "__main__":
    asyncio.run(main())
