"""`flaresim dev` as a developer runs it: a real process on a free port, restarted between steps."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
START_TIMEOUT = 30.0

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DevServer:
    url: str
    process: asyncio.subprocess.Process
    stderr: list[str] = field(default_factory=list)

    def request_log(self) -> list[dict]:
        """The structured lines the server wrote, one per request."""
        return [json.loads(line) for line in self.stderr if line.startswith("{")]


@contextlib.asynccontextmanager
async def flaresim_dev(state: Path, *flags: str, env: dict[str, str] | None = None) -> AsyncIterator[DevServer]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "flaresim.cli",
        "dev",
        str(FIXTURES / "kv_worker"),
        "--no-reload",
        "--no-crons",
        "--state",
        str(state),
        *flags,
        env={**os.environ, "KV_WORKER_PORT": str(port), "FLARESIM_STATE_DIR": "", **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    server = DevServer(f"http://127.0.0.1:{port}", process)
    try:
        await _wait_until_healthy(server)
        yield server
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        assert process.stderr is not None
        server.stderr = (await process.stderr.read()).decode().splitlines()


async def _wait_until_healthy(server: DevServer) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline:
            if server.process.returncode is not None:
                assert server.process.stderr is not None
                raise AssertionError(f"flaresim dev exited: {(await server.process.stderr.read()).decode()}")
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with session.get(server.url + "/health") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)  # waiting for a real process to bind its port
    raise AssertionError(f"flaresim dev did not answer /health within {START_TIMEOUT} s")


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
    log = server.request_log()
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
    fired = [line for line in server.request_log() if line["path"] == "/__scheduled"]
    assert [line["status"] for line in fired] == [200, 200]  # logged like any other request


async def test_the_kv_fault_switch_makes_writes_fail_and_store_nothing(tmp_path):
    env = {"FLARESIM_KV_WRITE_FAILURE_RATE": "1"}
    async with flaresim_dev(tmp_path, env=env) as server, aiohttp.ClientSession() as session:
        async with session.put(server.url + "/kv/a", data="x") as response:
            assert response.status == 500  # the Worker's put raised, so the request failed
        async with session.get(server.url + "/kv/a") as response:
            assert response.status == 404
    assert any("KV PUT failed: 500 Internal Server Error" in line for line in server.stderr)
