"""pytest fixtures for testing Python Workers on flaresim.

- `flaresim_clock`: a FakeClock; advance it (or `await flaresim.advance(s)`) instead of sleeping.
- `flaresim`: a fresh Runtime per test, its state in the test's tmp_path, secrets from
  `.dev.vars.example` (never a developer's `.dev.vars`), process variables ignored, outbound
  requests recorded. `flaresim.load_worker(dir)` loads a Worker; `flaresim.outbound.route(host, url)`
  points a host at a local server; `await flaresim.drain()` waits for `waitUntil` work.
- `worker_client(host)`: an in-process client for a loaded Worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from flaresim.clock import FakeClock
from flaresim.outbound import Outbound
from flaresim.runtime import Runtime, WorkerHost
from flaresim.testing import WorkerClient


@pytest.fixture
def flaresim_clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture
async def flaresim(tmp_path, flaresim_clock: FakeClock) -> AsyncIterator[Runtime]:
    runtime = Runtime(
        tmp_path / "flaresim-state",
        clock=flaresim_clock,
        outbound=Outbound(record=1000),
        environ={},
        dev_vars=".dev.vars.example",
    )
    try:
        yield runtime
    finally:
        await runtime.close()


@pytest.fixture
def worker_client() -> Callable[[WorkerHost], WorkerClient]:
    return WorkerClient
