"""What monitoring adds to a real AI proxy request, end to end, for bench/monitoring.py.

The proxy runs in this process under flaresim (no HTTP server: requests go straight to its
`Default.fetch`, as the dev server hands them over), with an upstream without delay in a child
process (bench/gateway.py's raw asyncio server) and the proxy tests' telemetry stand-in behind its
`TELEMETRY` binding (it answers the records RPC and the span exports without work of its own).
Sequential chat completions, cache off, no per-key limits; CPU is this process's CPU time per
request, waitUntil work (span export, record RPC, request-log post) included, best of 3 rounds:

- `observed, sampled`: as deployed (server span, cache lookup span, GenAI span, record);
- `observed, not sampled`: OTEL_TRACES_SAMPLER_ARG=0 (the record still goes; spans are no-ops);
- `Observer bypassed`: `entry.handle` replaced by the unobserved `answer_request` (instrumented
  code still runs, on the no-op tracer and the inert observation).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Keep bench/ off the path: bench/flaresim.py would shadow the flaresim package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
PROXY = ROOT / "workers" / "ai_proxy"
SINK = ROOT / "tests" / "ai_proxy" / "telemetry_sink"
from flaresim.dev_process import free_port  # noqa: E402 - after the path fix above

BODY = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say something short."}]})
ROUNDS = 5


@contextlib.asynccontextmanager
async def _upstream():
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bench" / "gateway.py"), "--serve-upstream", str(port)
    )
    try:
        for _ in range(200):
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 10)
        if process.returncode is None:
            process.kill()


def _load(runtime: Any, upstream: str, mode: str) -> Any:
    config = {
        "providers": {"up": {"type": "openai", "base_url": upstream + "/v1", "api_key_env": "UPSTREAM_KEY"}},
        "models": {"gpt-4o-mini": [{"provider": "up", "model": "gpt-4o-mini"}]},
        "cache": {"enabled": False},
    }
    overrides = {
        "GATEWAY_CONFIG": json.dumps(config),
        "UPSTREAM_KEY": "sk-upstream",
        "PROXY_API_KEYS": "bench=sk-bench",
    }
    if mode == "not sampled":
        overrides["OTEL_TRACES_SAMPLER_ARG"] = "0"
    host = runtime.load_worker(PROXY, overrides=overrides)
    if mode == "bypassed":
        modules = host.isolates[0].isolate.modules
        modules["entry"].handle = modules["ai_proxy.app"].answer_request
    return host


async def _round(upstream: str, mode: str, requests: int) -> float:
    from flaresim.runtime import Runtime
    from flaresim.testing import WorkerClient

    runtime = Runtime(None, environ={}, dev_vars=".dev.vars.example")
    try:
        runtime.load_worker(SINK)
        client = WorkerClient(_load(runtime, upstream, mode))
        headers = {"authorization": "Bearer sk-bench", "content-type": "application/json"}
        for _ in range(50):  # warm up: imports, the gateway, connections
            await client.post("/v1/chat/completions", body=BODY, headers=headers)
        await runtime.drain()
        started = time.process_time()
        for _ in range(requests):
            response = await client.post("/v1/chat/completions", body=BODY, headers=headers)
            assert response.status == 200, await response.text()
        await runtime.drain()
        return (time.process_time() - started) / requests * 1e6
    finally:
        await runtime.close()


async def measure(requests: int = 2000) -> dict[str, float]:
    """CPU µs per request for each mode (best of ROUNDS, modes interleaved)."""
    best: dict[str, float] = {}
    async with _upstream() as upstream:
        for _ in range(ROUNDS):
            for mode in ("sampled", "not sampled", "bypassed"):
                figure = await _round(upstream, mode, requests)
                best[mode] = min(best.get(mode, figure), figure)
    return best


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    print(json.dumps(asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))))
