"""`flaresim dev` in a child process, for tests, benchmarks and scripts that need a real server.

In-process servers (`flaresim.testing.serve_workers`) share the caller's event loop and CPU; a
benchmark or a test of the CLI itself (signals, reload, state across restarts) needs the real
command. Each Worker gets a free port through its `<NAME>_PORT` variable.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flaresim.config import load_worker_config

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 60.0  # a profiler wrapping the server writes its report as it exits


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DevProcess:
    """A running `flaresim dev`: each Worker's URL by name, and its output once it has stopped."""

    urls: dict[str, str]
    process: asyncio.subprocess.Process
    stderr: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The URL of the first Worker (the usual case: one directory)."""
        return next(iter(self.urls.values()))


@contextlib.asynccontextmanager
async def dev_process(
    directories: Sequence[str | os.PathLike[str]],
    state: str | os.PathLike[str],
    *flags: str,
    env: Mapping[str, str] | None = None,
    capture_stderr: bool = False,
    reload: bool = False,
    crons: bool = False,
    wrapper: Sequence[str] = (),
) -> AsyncIterator[DevProcess]:
    """Start `flaresim dev DIR...` on free ports, wait until every Worker answers HTTP, stop it after.

    `capture_stderr` keeps the server's log (one JSON line per request) in `.stderr` once stopped
    (for short runs: nothing reads the pipe meanwhile); otherwise it is discarded, as a benchmark
    wants. `wrapper` prefixes the command (a profiler: `py-spy record ... --`).
    """
    urls: dict[str, str] = {}
    ports: dict[str, str] = {}
    for directory in directories:
        config = load_worker_config(Path(directory), {})
        port = free_port()
        urls[config.name] = f"http://127.0.0.1:{port}"
        ports[config.port_variable] = str(port)
    command = [*wrapper, sys.executable, "-m", "flaresim.cli", "dev", *map(str, directories), "--state", str(state)]
    command += ([] if reload else ["--no-reload"]) + ([] if crons else ["--no-crons"]) + list(flags)
    output = asyncio.subprocess.PIPE if capture_stderr else asyncio.subprocess.DEVNULL
    process = await asyncio.create_subprocess_exec(
        *command,
        env={**os.environ, "FLARESIM_STATE_DIR": "", **ports, **(env or {})},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=output,
    )
    running = DevProcess(urls, process)
    try:
        await _wait_until_serving(running)
        yield running
    finally:
        await _stop(process)
        if process.stderr is not None:
            running.stderr = (await process.stderr.read()).decode().splitlines()


@contextlib.asynccontextmanager
async def child_process(command: Sequence[str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """Any helper process (an upstream stand-in, say), output discarded, stopped like the server."""
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        await _stop(process)


async def _wait_until_serving(running: DevProcess) -> None:
    import aiohttp  # a dev dependency (flaresim's outbound fetch uses it too)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT_S
    pending = list(running.urls.values())
    async with aiohttp.ClientSession() as session:
        while pending:
            if running.process.returncode is not None:
                said = (await running.process.stderr.read()).decode() if running.process.stderr else ""
                raise RuntimeError(f"flaresim dev exited with {running.process.returncode}: {said[-2000:]}")
            if loop.time() > deadline:
                raise RuntimeError(f"flaresim dev did not answer /health within {START_TIMEOUT_S:.0f} s: {pending}")
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with session.get(pending[0] + "/health"):
                    pending.pop(0)  # it answers HTTP: loaded and serving (whatever its /health says)
                    continue
            await asyncio.sleep(0.05)  # a real process binding its port: nothing to await instead


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends: the server's own clean shutdown
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
