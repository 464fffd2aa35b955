#!/usr/bin/env python3
"""`make profile`: the local stack under load, sampled by py-spy, and a report of where the time goes.

Runs the three Workers under `flaresim dev` (one process, as `make dev` does, on free ports, never
8787-8789) inside `py-spy record`, with an OpenAI-compatible upstream without delay
(bench/gateway.py's, in a child process) behind the AI proxy and a fake Bot API behind the bot.
The load, from this process for `--seconds`: chat completions through the proxy (plain, streamed
and some repeated, so answered from the cache), Telegram updates to the bot's webhook (each
answered through the proxy) and event batches to the telemetry Worker, with monitoring on as
deployed (spans, records, the MetricsAggregator). Writes to `--out` (default build/profile/):

  summary.txt              shares per component, hottest functions (printed too)
  flamegraph.svg           open in a browser; hover a box for its samples
  profile.speedscope.json  open in https://www.speedscope.app (time order, left heavy, sandwich)
  profile.raw.txt          py-spy's collapsed stacks

Usage: scripts/profile.py [--seconds 20] [--concurrency 16] [--rate 250] [--out build/profile]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import shutil
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from profile_report import write_report  # noqa: E402

from flaresim.config import parse_dev_vars  # noqa: E402
from flaresim.dev_process import child_process, dev_process, free_port  # noqa: E402
from flaresim.fake_telegram import FakeBotApi, UpdateFactory  # noqa: E402

WORKERS = {"ai-proxy": "ai_proxy", "telemetry": "telemetry", "telegram-bot": "telegram_bot"}
PROXY_KEY = "sk-flarekit-dev"  # the bot's key too (.dev.vars.example)
INGEST = "Bearer ingest-dev-token"
WEBHOOK_SECRET = "dev-webhook-secret"  # noqa: S105 - the development secret of .dev.vars.example


def stack_directory(out: Path, upstream: str, bot_api: str) -> list[Path]:
    """Copies of the Workers (code linked) whose secrets point at the local upstream and Bot API."""
    config = {
        "providers": {"local": {"type": "openai", "base_url": upstream + "/v1", "api_key_env": "UPSTREAM_KEY"}},
        "models": {"gpt-4o-mini": [{"provider": "local", "model": "gpt-4o-mini"}]},
        "default_model": "gpt-4o-mini",
    }
    extra = {
        "ai-proxy": {"GATEWAY_CONFIG": json.dumps(config), "UPSTREAM_KEY": "sk-upstream"},
        "telegram-bot": {"TELEGRAM_API_BASE": bot_api, "BOT_MODEL": "gpt-4o-mini", "BOT_MESSAGES_PER_MINUTE": "0",
                         "BOT_TOKENS_PER_DAY": "0", "BOT_STREAM": "off"},
        "telemetry": {},
    }  # fmt: skip
    directories = []
    for name, folder in WORKERS.items():
        source, target = ROOT / "workers" / folder, out / "workers" / folder
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        shutil.copy(source / "wrangler.toml", target / "wrangler.toml")
        for linked in ("src", "python_modules"):
            (target / linked).symlink_to(source / linked, target_is_directory=True)
        secrets = {**parse_dev_vars(source / ".dev.vars.example"), **extra[name]}
        (target / ".dev.vars").write_text("".join(f"{k}={v}\n" for k, v in secrets.items()))
        directories.append(target)
    return directories


async def load(urls: dict[str, str], seconds: float, concurrency: int) -> dict[str, int]:
    """Mixed traffic until the deadline; returns how many requests of each kind were answered."""
    counts: dict[str, int] = {"chat": 0, "stream": 0, "cache hit": 0, "telegram": 0, "ingest": 0, "errors": 0}
    numbers = itertools.count()
    updates = UpdateFactory()
    deadline = time.monotonic() + seconds
    proxy_headers = {"authorization": f"Bearer {PROXY_KEY}", "content-type": "application/json"}

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        kind = ("chat", "chat", "stream", "cache hit", "chat", "telegram", "chat", "ingest")[n % 8]
        if kind in ("chat", "stream", "cache hit"):
            text = "the same question" if kind == "cache hit" else f"question {n}"
            body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], "stream": kind == "stream"}
            request = session.post(urls["ai-proxy"] + "/v1/chat/completions", json=body, headers=proxy_headers)
        elif kind == "telegram":
            update = updates.text(f"hello {n}", user=UpdateFactory.user(100_000 + n % 50))
            headers = {"x-telegram-bot-api-secret-token": WEBHOOK_SECRET}
            request = session.post(urls["telegram-bot"] + "/telegram/webhook", json=update, headers=headers)
        else:
            events = [{"event_type": "app.click", "data": {"n": n, "i": i}} for i in range(20)]
            request = session.post(
                urls["telemetry"] + "/api/telemetry/ingest", json=events, headers={"authorization": INGEST}
            )
        async with request as response:
            await response.read()
            counts[kind if response.status < 400 else "errors"] += 1

    async def worker(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            await one(session, next(numbers))

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return counts


async def run(args: argparse.Namespace) -> int:
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    upstream_port = free_port()
    raw = out / "profile.raw.txt"
    async with (
        FakeBotApi("123456:dev-bot-token") as bot_api,
        child_process([sys.executable, str(ROOT / "bench" / "gateway.py"), "--serve-upstream", str(upstream_port)]),
    ):
        directories = stack_directory(out, f"http://127.0.0.1:{upstream_port}", bot_api.url)
        record = [spy, "record", "--format", "raw", "--function", "--rate", str(args.rate), "-o", str(raw), "--"]
        print("profile: flaresim dev on free ports, under py-spy")
        async with dev_process(directories, out / "state", "--fresh", wrapper=record) as dev:
            print("profile: " + ", ".join(f"{name} {url}" for name, url in dev.urls.items()))
            counts = await load(dev.urls, args.seconds, args.concurrency)
        print("profile: load", ", ".join(f"{kind} {n}" for kind, n in counts.items()))
    if not raw.exists():
        raise SystemExit(
            "profile: py-spy wrote no samples (is ptrace allowed here? try as root or with CAP_SYS_PTRACE)"
        )
    title = f"flarekit local stack, {args.seconds:g} s of mixed load, {args.concurrency} connections"
    print(write_report(raw, out, title))
    print(f"profile: report in {out} (flamegraph.svg, profile.speedscope.json, summary.txt)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "profile")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
