#!/usr/bin/env python3
"""Run the parity probes on flaresim and print their answers as JSON (tests/pyodide/selftest/parity.mjs
runs the same probes under Pyodide and compares).

Usage: scripts/pyodide_parity.py PROBE_WORKER_DIR PATH [PATH ...]
       scripts/pyodide_parity.py --load WORKER_DIR   (how loading fails: exception type and message)
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from flaresim.clock import FakeClock
from flaresim.outbound import Outbound
from flaresim.runtime import Runtime
from flaresim.testing import WorkerClient


async def probe(worker: Path, paths: list[str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as state:
        runtime = Runtime(
            Path(state), clock=FakeClock(), outbound=Outbound(record=10), environ={}, dev_vars=".dev.vars.example"
        )
        try:
            client = WorkerClient(runtime.load_worker(worker))
            answers = {}
            for path in paths:
                response = await client.get(path, headers={"x-probe": "yes"})
                answers[path] = {"status": response.status, "body": json.loads(await response.text())}
            return answers
        finally:
            await runtime.close()


async def load_failure(worker: Path) -> dict[str, str] | None:
    with tempfile.TemporaryDirectory() as state:
        runtime = Runtime(Path(state), clock=FakeClock(), environ={}, dev_vars=".dev.vars.example")
        try:
            runtime.load_worker(worker)
        except Exception as error:  # reported, not handled: the caller compares it with Pyodide's
            return {"type": type(error).__name__, "message": str(error).strip().splitlines()[-1]}
        finally:
            await runtime.close()
    return None


def main() -> int:
    if sys.argv[1] == "--load":
        print(json.dumps(asyncio.run(load_failure(Path(sys.argv[2])))))
        return 0
    worker, *paths = sys.argv[1:]
    print(json.dumps(asyncio.run(probe(Path(worker), paths))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
