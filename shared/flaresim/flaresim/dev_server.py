"""`flaresim dev`: serve Worker directories on local ports, with crons and alarms firing on time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from flaresim.asgi_adapter import make_app
from flaresim.config import ConfigurationError, load_worker_config
from flaresim.cron import parse_cron
from flaresim.runtime import Runtime, WorkerHost

log = logging.getLogger("flaresim")


@dataclass(frozen=True)
class DevOptions:
    directories: tuple[str, ...]
    host: str = "127.0.0.1"
    state_dir: Path = Path(".flaresim")
    fresh: bool = False
    isolates: tuple[tuple[str, int], ...] = ()
    crons: bool = True
    base_port: int = 8787


class _Server(uvicorn.Server):
    # uvicorn installs its own signal handlers per server; with several servers in one loop only
    # the last would stop. The dev runner handles signals once for all of them.
    @contextlib.contextmanager
    def capture_signals(self):
        yield


def _port(host: WorkerHost, index: int, base: int) -> int:
    override = os.environ.get(host.config.port_variable)
    if override:
        return int(override)
    return host.config.dev_port or base + index


async def _fire_crons(host: WorkerHost, runtime: Runtime) -> None:
    schedules = [parse_cron(c) for c in host.config.crons]
    if not schedules:
        return
    next_runs = {s.expression: s.next_after(runtime.clock.now()) for s in schedules}
    while True:
        expression, when = min(next_runs.items(), key=lambda item: item[1])
        await asyncio.sleep(max(0.0, when - runtime.clock.now()))
        try:
            await host.scheduled(expression, int(when * 1000))
        except Exception:
            log.exception("scheduled() of %s failed for cron %r", host.name, expression)
        next_runs[expression] = parse_cron(expression).next_after(when)


async def _deliver_alarms(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(0.2)
        try:
            await runtime.durable_objects.run_due_alarms()
        except Exception:
            log.exception("delivering Durable Object alarms failed")


# Fault switches for `flaresim dev`: environment variable -> (store attribute path, what it does).
FAULT_SWITCHES = {
    "FLARESIM_KV_WRITE_FAILURE_RATE": ("kv", "write_failure_rate"),
    "FLARESIM_KV_READ_FAILURE_RATE": ("kv", "read_failure_rate"),
}


def apply_fault_switches(runtime: Runtime, environ: Mapping[str, str]) -> None:
    """Set the runtime's fault rates from `FLARESIM_*_FAILURE_RATE` variables (each 0..1)."""
    for variable, (store, attribute) in FAULT_SWITCHES.items():
        text = environ.get(variable)
        if not text:
            continue
        try:
            rate = float(text)
        except ValueError:
            rate = -1.0
        if not 0.0 <= rate <= 1.0:
            raise ConfigurationError(f"{variable} must be a number from 0 to 1, got {text!r}")
        setattr(getattr(runtime, store).faults, attribute, rate)
        print(f"  fault switch: {variable}={rate} (KV calls fail like a transient production error)")


async def serve(options: DevOptions) -> None:
    """Run the Workers until interrupted."""
    state_dir = Path(os.environ.get("FLARESIM_STATE_DIR") or options.state_dir).resolve()
    if options.fresh and state_dir.exists():
        shutil.rmtree(state_dir)
    runtime = Runtime(state_dir)
    apply_fault_switches(runtime, os.environ)
    counts = dict(options.isolates)
    hosts = [
        runtime.load_worker(directory, isolates=counts.get(load_worker_config(directory).name, 1))
        for directory in options.directories
    ]
    servers: list[_Server] = []
    print("flaresim: local Cloudflare Python Workers runtime (simulated; not workerd)")
    for index, host in enumerate(hosts):
        port = _port(host, index, options.base_port)
        config = uvicorn.Config(
            make_app(host),
            host=options.host,
            port=port,
            loop="none",
            http="httptools",
            lifespan="off",
            access_log=False,
            log_level="warning",
            ws="auto",
        )
        servers.append(_Server(config))
        isolates = f", {len(host.isolates)} isolates" if len(host.isolates) > 1 else ""
        secrets = host.config.directory / ".dev.vars"
        print(
            f"  {host.name:<14} http://{options.host}:{port}{isolates}   (secrets: {secrets}, set {host.config.port_variable} to move it)"
        )
    print(f"  state: {state_dir} (survives restarts; --fresh starts empty)")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    background = [asyncio.create_task(_deliver_alarms(runtime))]
    if options.crons:
        background += [asyncio.create_task(_fire_crons(h, runtime)) for h in hosts]
    stopper: asyncio.Task[Any] = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    for server in servers:
        server.should_exit = True
    for task in background:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await runtime.close()
    for task in done:
        failure = task.exception()
        if task is not stopper and failure is not None:
            raise failure  # a server failed to start (port in use, say)
    if not stop.is_set() and any(not s.started for s in servers):
        sys.exit(1)
