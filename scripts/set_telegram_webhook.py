#!/usr/bin/env python3
"""Point a Telegram bot at the deployed (or tunnelled) telegram-bot Worker.

    scripts/set_telegram_webhook.py https://telegram-bot.example.workers.dev
    scripts/set_telegram_webhook.py https://abc.trycloudflare.com --dev-vars     # a local run through a tunnel
    scripts/set_telegram_webhook.py --info                                       # only show the current state
    scripts/set_telegram_webhook.py --delete                                     # stop webhook deliveries

It calls `setWebhook` (the URL plus `/telegram/webhook`, the secret token Telegram will send back in
`X-Telegram-Bot-Api-Secret-Token`, and the update types the bot answers), registers the bot's
commands with `setMyCommands`, and prints `getMe` and `getWebhookInfo`.

The token and secret come from TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET in the environment,
or with `--dev-vars` from workers/telegram_bot/.dev.vars. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "workers" / "telegram_bot"
WEBHOOK_PATH = "/telegram/webhook"
# The bot answers new messages only; Telegram then does not send edits, channel posts or callbacks.
ALLOWED_UPDATES = ["message"]

sys.path.insert(0, str(WORKER / "src"))
from telegram_bot.texts import COMMANDS  # noqa: E402 - the Worker's own command list


class BotApiError(Exception):
    pass


def read_dev_vars(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip("\"'")
    return values


def call(api_base: str, token: str, method: str, params: dict[str, Any] | None = None) -> Any:
    """One Bot API call; returns `result` or raises BotApiError with Telegram's description."""
    if not api_base.startswith(("https://", "http://")):
        raise BotApiError(f"the Bot API base must be an http(s) URL, got {api_base!r}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        f"{api_base.rstrip('/')}/bot{token}/{method}",
        data=json.dumps(params or {}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the configured Bot API URL
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            body = json.loads(error.read())
        except ValueError:
            raise BotApiError(f"{method}: HTTP {error.code}") from None
    except urllib.error.URLError as error:
        raise BotApiError(f"{method}: cannot reach {api_base}: {error.reason}") from None
    if not body.get("ok"):
        raise BotApiError(f"{method}: {body.get('error_code')} {body.get('description')}")
    return body.get("result")


def webhook_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith(WEBHOOK_PATH) else base + WEBHOOK_PATH


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", help="the Worker's public https URL (the webhook path is added)")
    parser.add_argument(
        "--dev-vars", action="store_true", help="read the token and secret from workers/telegram_bot/.dev.vars"
    )
    parser.add_argument("--api-base", help="Bot API base URL (default TELEGRAM_API_BASE or https://api.telegram.org)")
    parser.add_argument("--drop-pending", action="store_true", help="discard updates Telegram is still holding")
    parser.add_argument("--max-connections", type=int, default=40, help="parallel webhook connections (1-100)")
    parser.add_argument("--info", action="store_true", help="only print getMe and getWebhookInfo")
    parser.add_argument("--delete", action="store_true", help="remove the webhook")
    args = parser.parse_args(argv)

    values = read_dev_vars(WORKER / ".dev.vars") if args.dev_vars else {}
    token = os.environ.get("TELEGRAM_BOT_TOKEN") or values.get("TELEGRAM_BOT_TOKEN", "")
    secret = os.environ.get("TELEGRAM_WEBHOOK_SECRET") or values.get("TELEGRAM_WEBHOOK_SECRET", "")
    api_base = args.api_base or os.environ.get("TELEGRAM_API_BASE") or "https://api.telegram.org"
    if not token:
        parser.error("no bot token: set TELEGRAM_BOT_TOKEN (or use --dev-vars)")
    if not (args.info or args.delete):
        if not args.url:
            parser.error("give the Worker's URL, or --info / --delete")
        if not args.url.startswith("https://"):
            parser.error("Telegram only delivers to https:// URLs (use a tunnel for a local run)")
        if not secret:
            parser.error("no webhook secret: set TELEGRAM_WEBHOOK_SECRET (the Worker refuses calls without it)")
    try:
        me = call(api_base, token, "getMe")
        print(f"bot: @{me.get('username')} (id {me.get('id')}); set TELEGRAM_BOT_USERNAME={me.get('username')}")
        if args.delete:
            call(api_base, token, "deleteWebhook", {"drop_pending_updates": args.drop_pending})
            print("webhook removed")
        elif not args.info:
            url = webhook_url(args.url)
            call(
                api_base,
                token,
                "setWebhook",
                {
                    "url": url,
                    "secret_token": secret,
                    "allowed_updates": ALLOWED_UPDATES,
                    "drop_pending_updates": args.drop_pending,
                    "max_connections": args.max_connections,
                },
            )
            print(f"webhook set: {url} (allowed updates: {', '.join(ALLOWED_UPDATES)})")
            commands = [{"command": name, "description": text} for name, text in COMMANDS.items()]
            call(api_base, token, "setMyCommands", {"commands": commands})
            print(f"commands registered: {' '.join('/' + c['command'] for c in commands)}")
        info = call(api_base, token, "getWebhookInfo")
    except BotApiError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("getWebhookInfo:", json.dumps(info, indent=2, sort_keys=True))
    if info.get("last_error_message"):
        print(f"warning: Telegram's last delivery failed: {info['last_error_message']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
