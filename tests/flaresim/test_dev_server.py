"""`flaresim dev` as a developer runs it: a real process on a free port, restarted between steps."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from flaresim.dev_process import DevProcess, dev_process

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

pytestmark = pytest.mark.slow


def request_log(server: DevProcess) -> list[dict]:
    """The structured lines the server wrote, one per request."""
    return [json.loads(line) for line in server.stderr if line.startswith("{")]


@contextlib.asynccontextmanager
async def flaresim_dev(state: Path, *flags: str, env: dict[str, str] | None = None) -> AsyncIterator[DevProcess]:
    async with dev_process([FIXTURES / "kv_worker"], state, *flags, env=env, capture_stderr=True) as server:
        yield server


async def test_a_key_written_before_a_restart_is_read_back_after_it(tmp_path):
    state = tmp_path / "state"
    async with flaresim_dev(state) as server, aiohttp.ClientSession() as session:
        async with session.get(server.url + "/health") as response:
            assert await response.json() == {"status": "ok", "worker": "kv-worker"}
        async with session.put(server.url + "/kv/colour", data="teal") as response:
            assert response.status == 201
    assert (state / "kv.sqlite3").is_file()

    async with flaresim_dev(state) as server, aiohttp.ClientSession() as session:
        async with session.get(server.url + "/kv/colour") as response:
            assert (response.status, await response.text()) == (200, "teal")

    async with flaresim_dev(state, "--fresh") as server, aiohttp.ClientSession() as session:
        async with session.get(server.url + "/kv/colour") as response:
            assert response.status == 404


async def test_each_request_writes_one_structured_log_line(tmp_path):
    async with flaresim_dev(tmp_path) as server, aiohttp.ClientSession() as session:
        health_checks = 1  # the readiness probe above
        for path in ("/kv/a", "/nothing-here"):
            async with session.get(server.url + path) as response:
                await response.read()
        async with session.put(server.url + "/kv/a", data="x") as response:
            await response.read()
    log = request_log(server)
    assert len(log) == health_checks + 3
    assert [(line["method"], line["path"], line["status"]) for line in log[-3:]] == [
        ("GET", "/kv/a", 404),
        ("GET", "/nothing-here", 404),
        ("PUT", "/kv/a", 201),
    ]
    assert all(line["worker"] == "kv-worker" and line["ms"] >= 0 and "bytes" in line for line in log)


async def test_the_scheduled_path_and_the_cron_command_fire_scheduled(tmp_path):
    async with flaresim_dev(tmp_path) as server, aiohttp.ClientSession() as session:
        async with session.get(server.url + "/__scheduled", params={"cron": "0 * * * *", "time": "1000"}) as response:
            assert (response.status, await response.text()) == (200, "Ran scheduled event")
        async with session.get(server.url + "/kv/cron:0 * * * *") as response:
            assert json.loads(await response.text()) == {"cron": "0 * * * *", "scheduledTime": 1000}

        cron = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "flaresim.cli", "cron", server.url, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await cron.communicate()
        assert (cron.returncode, out.decode().strip()) == (0, "Ran scheduled event")
        # without --cron, the Worker's first trigger from wrangler.toml
        async with session.get(server.url + "/kv/cron:*/5 * * * *") as response:
            assert response.status == 200
    fired = [line for line in request_log(server) if line["path"] == "/__scheduled"]
    assert [line["status"] for line in fired] == [200, 200]  # logged like any other request


async def test_the_kv_fault_switch_makes_writes_fail_and_store_nothing(tmp_path):
    env = {"FLARESIM_KV_WRITE_FAILURE_RATE": "1"}
    async with flaresim_dev(tmp_path, env=env) as server, aiohttp.ClientSession() as session:
        async with session.put(server.url + "/kv/a", data="x") as response:
            assert response.status == 500  # the Worker's put raised, so the request failed
        async with session.get(server.url + "/kv/a") as response:
            assert response.status == 404
    assert any("KV PUT failed: 500 Internal Server Error" in line for line in server.stderr)
