#!/usr/bin/env python3
"""Talk to the local Telegram bot without Telegram: a sandbox for `make dev`.

    make dev                              # in one terminal (the bot's .dev.vars points it at :8790)
    .venv/bin/python scripts/chat.py "hello"
    .venv/bin/python scripts/chat.py      # interactive: one line per message, Ctrl-D to stop
    .venv/bin/python scripts/chat.py --group "@flarekit_bot what is 2+2?"

It serves a fake Bot API on 127.0.0.1:8790 (flaresim.fake_telegram), posts each message as a real
Update to the bot's webhook with the webhook secret, and prints what the bot sent to the chat
(the final text of each message, after any streaming edits). The bot must have
TELEGRAM_API_BASE=http://127.0.0.1:8790 (the default in workers/telegram_bot/.dev.vars.example).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp

from flaresim.config import parse_dev_vars
from flaresim.fake_telegram import FakeBotApi, UpdateFactory

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "workers" / "telegram_bot"
# The bot shows "typing…" before asking the model, so silence this long means it will not answer.
NO_REACTION_SECONDS = 5.0


def dev_settings() -> dict[str, str]:
    """The bot's local settings: .dev.vars if `make dev` created it, else the committed example."""
    for name in (".dev.vars", ".dev.vars.example"):
        values = parse_dev_vars(WORKER / name)
        if values:
            return values
    return {}


def settled(api: FakeBotApi, chat_id: int, since: int, quiet: float) -> bool:
    """The bot has answered: something arrived after `since`, nothing for `quiet` s, no streaming mark left."""
    calls = [c for c in list(api.calls)[since:] if c.params.get("chat_id") in (chat_id, str(chat_id))]
    sent = [c for c in calls if c.method in ("sendMessage", "editMessageText") and c.status == 200]
    if not sent:
        return False
    if time.time() - calls[-1].at < quiet:
        return False
    return not any(text == "…" or text.endswith(" ▌") for text in api.chat(chat_id)[-3:])


async def exchange(session, api, factory, args, chat, user, text) -> list[str]:
    """Post one message and return the texts of the messages the bot sent or changed for it."""
    before_calls = len(api.calls)
    before = {key: m.text for key, m in api.messages.items()}
    update = factory.text(text, user=user, chat=chat)
    async with session.post(
        f"{args.bot}/telegram/webhook",
        json=update,
        headers={"x-telegram-bot-api-secret-token": args.secret},
    ) as response:
        if response.status != 200:
            raise SystemExit(f"the webhook answered {response.status}: {await response.text()}")
    started = time.monotonic()
    while not settled(api, chat["id"], before_calls, args.quiet):
        waited = time.monotonic() - started
        if waited > args.timeout:
            raise SystemExit(f"no answer from the bot within {args.timeout:g} s (is `make dev` running?)")
        if waited > NO_REACTION_SECONDS and len(api.calls) == before_calls:
            return ["(no answer: the bot ignored this message; in a group, mention it or use a /command)"]
        await asyncio.sleep(0.05)
    changed = [m for key, m in sorted(api.messages.items()) if key[0] == chat["id"] and before.get(key) != m.text]
    return [m.text for m in changed]


async def run(args: argparse.Namespace) -> int:
    settings = dev_settings()
    args.secret = args.secret or settings.get("TELEGRAM_WEBHOOK_SECRET", "")
    token = args.token or settings.get("TELEGRAM_BOT_TOKEN", "")
    expected_base = f"http://127.0.0.1:{args.api_port}"
    if settings.get("TELEGRAM_API_BASE", "").rstrip("/") != expected_base:
        print(
            f"note: the bot's .dev.vars has TELEGRAM_API_BASE={settings.get('TELEGRAM_API_BASE')!r}; it must be "
            f"{expected_base} (or start `TELEGRAM_API_BASE={expected_base} make dev`)",
            file=sys.stderr,
        )
    api = FakeBotApi(token, username=settings.get("TELEGRAM_BOT_USERNAME") or "flarekit_bot")
    await api.start(port=args.api_port)
    # update_ids must be new for every run: the bot remembers the ones it has seen for two days.
    factory = UpdateFactory(first_update_id=int(time.time() * 1000) % 2_000_000_000)
    user = factory.user(args.user_id, "You", "you")
    chat = factory.group_chat(args.group_id) if args.group else factory.private_chat(user)
    try:
        async with aiohttp.ClientSession() as session:
            messages = [" ".join(args.message)] if args.message else None
            while True:
                if messages is None:
                    try:
                        line = await asyncio.to_thread(input, "you> ")
                    except EOFError:
                        return 0
                    if not line.strip():
                        continue
                else:
                    if not messages:
                        return 0
                    line = messages.pop(0)
                for text in await exchange(session, api, factory, args, chat, user, line):
                    print(json.dumps(text, ensure_ascii=False) if args.json else f"bot> {text}")
    finally:
        await api.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("message", nargs="*", help="the message to send (none: read lines interactively)")
    parser.add_argument("--bot", default="http://127.0.0.1:8789", help="the bot Worker's URL")
    parser.add_argument("--api-port", type=int, default=8790, help="port of the fake Bot API (TELEGRAM_API_BASE)")
    parser.add_argument("--secret", help="webhook secret (default: from the bot's .dev.vars)")
    parser.add_argument("--token", help="bot token the fake accepts (default: from the bot's .dev.vars)")
    parser.add_argument("--user-id", type=int, default=4242, help="your Telegram user id in the sandbox")
    parser.add_argument("--group", action="store_true", help="talk in a group chat (mention the bot or use /cmd)")
    parser.add_argument("--group-id", type=int, default=-1001234567890)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for an answer")
    parser.add_argument("--quiet", type=float, default=1.5, help="an answer is complete after this many quiet seconds")
    parser.add_argument("--json", action="store_true", help="print each message as a JSON string")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
