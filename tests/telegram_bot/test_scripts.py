"""The setup script and the local sandbox, run as a user runs them, against local servers."""

from __future__ import annotations

import asyncio
import json
import socket
import sys

from conftest import BOT_DIR, PROXY_DIR, ROOT, SECRET, TELEMETRY_DIR, TOKEN

from flaresim.testing import serve_workers

SCRIPTS = ROOT / "scripts"


async def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


def script_env(**values: str) -> dict[str, str]:
    import os

    return {"PATH": os.environ.get("PATH", ""), **values}


async def test_the_setup_script_sets_the_webhook_with_the_secret_and_registers_the_commands(bot_api):
    code, out, err = await run(
        str(SCRIPTS / "set_telegram_webhook.py"),
        "https://bot.example.workers.dev",
        "--api-base",
        bot_api.url,
        env=script_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET),
    )
    assert code == 0, err
    assert bot_api.webhook == {
        "url": "https://bot.example.workers.dev/telegram/webhook",
        "secret_token": SECRET,
        "allowed_updates": ["message"],
        "max_connections": 40,
    }
    assert [c["command"] for c in bot_api.commands] == ["start", "help", "reset", "model", "stats", "retry"]
    assert '"url": "https://bot.example.workers.dev/telegram/webhook"' in out
    assert "TELEGRAM_BOT_USERNAME=flarekit_bot" in out


async def test_the_setup_script_refuses_a_plain_http_url_and_a_missing_secret(bot_api):
    env = script_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET)
    code, _, err = await run(
        str(SCRIPTS / "set_telegram_webhook.py"), "http://127.0.0.1:8789", "--api-base", bot_api.url, env=env
    )
    assert code == 2 and "https://" in err
    env = script_env(TELEGRAM_BOT_TOKEN=TOKEN)
    code, _, err = await run(
        str(SCRIPTS / "set_telegram_webhook.py"), "https://x.example", "--api-base", bot_api.url, env=env
    )
    assert code == 2 and "TELEGRAM_WEBHOOK_SECRET" in err
    assert bot_api.calls_of("setWebhook", ok_only=False) == []


async def test_the_setup_script_reports_telegrams_refusal(bot_api):
    code, _, err = await run(
        str(SCRIPTS / "set_telegram_webhook.py"),
        "--info",
        "--api-base",
        bot_api.url,
        env=script_env(TELEGRAM_BOT_TOKEN="999:wrong-token"),
    )
    assert code == 1 and "401 Unauthorized" in err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_the_sandbox_posts_a_message_and_prints_the_bots_answer(flaresim):
    port = free_port()
    proxy = flaresim.load_worker(PROXY_DIR)
    flaresim.load_worker(TELEMETRY_DIR)
    bot = flaresim.load_worker(
        BOT_DIR, overrides={"TELEGRAM_API_BASE": f"http://127.0.0.1:{port}", "BOT_STREAM": "off"}
    )
    async with serve_workers(bot, proxy) as urls:
        code, out, err = await run(
            str(SCRIPTS / "chat.py"),
            "--bot",
            urls["telegram-bot"],
            "--api-port",
            str(port),
            "--quiet",
            "0.2",
            "--json",
            "hello",
            "sandbox",
            env=script_env(),
        )
    assert code == 0, err
    [answer] = [json.loads(line) for line in out.splitlines()]
    assert answer.startswith("[simulated]")
