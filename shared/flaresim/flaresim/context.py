"""Which runtime, isolate env and request a piece of Worker code is running for.

Context variables follow asyncio tasks, so a task a handler spawns (including `waitUntil` work)
still sees its own Worker's env, as `cloudflare:workers` does with AsyncLocalStorage.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flaresim.runtime import Runtime
    from flaresim.worker_host import ExecutionContext

runtime_var: ContextVar[Runtime | None] = ContextVar("flaresim_runtime", default=None)
env_var: ContextVar[Any] = ContextVar("flaresim_env", default=None)
request_var: ContextVar[ExecutionContext | None] = ContextVar("flaresim_request", default=None)

# The runtime used when no Worker code is on the stack (a test calling a binding directly).
_fallback: list[Runtime] = []


def set_fallback_runtime(runtime: Runtime | None) -> None:
    _fallback[:] = [runtime] if runtime is not None else []


def current_runtime() -> Runtime:
    runtime = runtime_var.get()
    if runtime is None and _fallback:
        runtime = _fallback[0]
    if runtime is None:
        raise RuntimeError("No flaresim runtime is active: load a Worker with flaresim first")
    return runtime
