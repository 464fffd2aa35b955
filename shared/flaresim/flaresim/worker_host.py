"""Loaded Workers: each isolate's module table, entrypoint classes and env, and the host that
spreads a Worker's requests over its isolates.

`ExecutionContext` is what `self.ctx` is inside a handler; every call into a Worker (fetch, RPC,
scheduled) gets a fresh one, as workerd gives each invocation its own.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from flaresim import context, entropy
from flaresim.config import WorkerConfig
from flaresim.isolate import Isolate
from flaresim.rpc_values import JsDict

if TYPE_CHECKING:
    from flaresim.runtime import Runtime


class WorkerError(Exception):
    """A Worker that cannot be loaded or called (missing class, bad entrypoint)."""


class ExecutionContext:
    """`self.ctx` of a WorkerEntrypoint: `waitUntil`, `passThroughOnException`, `props`."""

    def __init__(self, runtime: Runtime, worker: str, props: dict[str, Any] | None = None) -> None:
        self._runtime = runtime
        self._worker = worker
        self.props = JsDict(props or {})
        self.kv_operations = 0  # production's per-invocation limits (flaresim.kv, .analytics_engine)
        self.ae_data_points = 0

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:  # noqa: N802 - JS name
        """Keep `awaitable` running after the response; its failure is logged, not raised."""
        self._runtime.track(awaitable, source=self._worker)

    def passThroughOnException(self) -> None:  # noqa: N802 - JS name
        pass


# Handler function -> positional parameters it takes: inspect.signature costs ~35 µs, per request.
_POSITIONAL: dict[Any, int] = {}


def _accepts_positional(function: Callable[..., Any]) -> int:
    """How many positional arguments a handler takes (workerd drops the extras for `fetch`)."""
    key = getattr(function, "__func__", None)
    count = _POSITIONAL.get(key) if key is not None else None
    if count is None:
        params = list(inspect.signature(function).parameters.values())
        if any(p.kind == p.VAR_POSITIONAL for p in params):
            count = 1_000
        else:
            count = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
        if key is not None and len(_POSITIONAL) < 4096:  # bounded: one entry per handler function
            _POSITIONAL[key] = count
    return count


class LoadedIsolate:
    """One isolate of a Worker: its module table, main module, exported classes and env."""

    def __init__(self, runtime: Runtime, config: WorkerConfig, index: int) -> None:
        from workers import DurableObject, WorkerEntrypoint

        self.runtime = runtime
        self.config = config
        self.index = index
        self.isolate = Isolate(f"{config.name}#{index}", config.module_search_path)
        self.env = runtime.build_env(config)
        token_env = context.env_var.set(self.env)
        token_rt = context.runtime_var.set(runtime)
        try:
            # workerd executes the main module's top level before any request (then snapshots it).
            with entropy.import_phase():
                self.main = self.isolate.import_module(config.main.stem)
        finally:
            context.env_var.reset(token_env)
            context.runtime_var.reset(token_rt)
        names = getattr(self.main, "__all__", None) or dir(self.main)
        self.entrypoints: dict[str, type] = {}
        self.durable_objects: dict[str, type] = {}
        for name in names:
            value = getattr(self.main, name, None)
            if not isinstance(value, type):
                continue
            if issubclass(value, WorkerEntrypoint) and value is not WorkerEntrypoint:
                self.entrypoints[name] = value
            elif issubclass(value, DurableObject) and value is not DurableObject:
                self.durable_objects[name] = value
        if "Default" not in self.entrypoints:
            raise WorkerError(
                f"{config.main}: no class Default(WorkerEntrypoint) in the main module "
                "(workerd uses it as the default export)"
            )

    def entrypoint(self, name: str) -> type:
        try:
            return self.entrypoints[name]
        except KeyError:
            raise WorkerError(f"Worker {self.config.name!r} has no entrypoint {name!r}") from None

    def _enter(self, ctx: ExecutionContext) -> list[Any]:
        return [
            (context.runtime_var, context.runtime_var.set(self.runtime)),
            (context.env_var, context.env_var.set(self.env)),
            (context.request_var, context.request_var.set(ctx)),
        ]

    @staticmethod
    def _leave(tokens: list[Any]) -> None:
        for var, token in reversed(tokens):
            var.reset(token)

    async def fetch(self, request: Any, entrypoint: str = "Default") -> Any:
        cls = self.entrypoint(entrypoint)
        ctx = ExecutionContext(self.runtime, self.config.name)
        tokens = self._enter(ctx)
        try:
            instance = cls(ctx, self.env)
            handler = instance.fetch
            result = handler(request) if _accepts_positional(handler) else handler()
            if inspect.isawaitable(result):
                result = await result
        finally:
            self._leave(tokens)
        return as_response(result, self.config.name)

    async def call(self, entrypoint: str, method: str, args: list[Any]) -> Any:
        cls = self.entrypoint(entrypoint)
        if method.startswith("_") or not callable(getattr(cls, method, None)):
            raise WorkerError(f'The RPC receiver does not implement the method "{method}".')
        ctx = ExecutionContext(self.runtime, self.config.name)
        tokens = self._enter(ctx)
        try:
            result = getattr(cls(ctx, self.env), method)(*args)  # strict arity, as workerd
            if inspect.isawaitable(result):
                result = await result
        finally:
            self._leave(tokens)
        return result

    async def scheduled(self, cron: str, scheduled_time_ms: int) -> None:
        cls = self.entrypoint("Default")
        handler = getattr(cls, "scheduled", None)
        if handler is None:
            raise WorkerError(f"Worker {self.config.name!r} has no scheduled() handler")
        ctx = ExecutionContext(self.runtime, self.config.name)
        controller = ScheduledController(cron, scheduled_time_ms)
        tokens = self._enter(ctx)
        try:
            result = cls(ctx, self.env).scheduled(controller, self.env, ctx)
            if inspect.isawaitable(result):
                await result
        finally:
            self._leave(tokens)

    def close(self) -> None:
        self.isolate.close()


class ScheduledController:
    """The `controller` passed to `scheduled()`: `cron`, `scheduledTime` (ms), `noRetry()`."""

    def __init__(self, cron: str, scheduled_time_ms: int) -> None:
        self.cron = cron
        self.scheduledTime = scheduled_time_ms
        self.retry = True

    def noRetry(self) -> None:  # noqa: N802 - JS name
        self.retry = False


def as_response(result: Any, worker: str) -> Any:
    from workers.response import as_workers_response

    response = as_workers_response(result)  # a workers.Response, or a raw JS Response (`.js_object`)
    if response is not None:
        return response
    raise WorkerError(f"Worker {worker!r}: fetch() returned {type(result).__name__}, expected a workers.Response")


class WorkerHost:
    """A loaded Worker: one or more isolates sharing the same bindings; requests spread round-robin."""

    def __init__(self, runtime: Runtime, config: WorkerConfig, isolates: int = 1) -> None:
        if isolates < 1:
            raise ValueError("a Worker needs at least one isolate")
        self.runtime = runtime
        self.config = config
        self.isolates = [LoadedIsolate(runtime, config, i) for i in range(isolates)]
        self._turn = itertools.cycle(self.isolates)

    @property
    def name(self) -> str:
        return self.config.name

    def next_isolate(self) -> LoadedIsolate:
        return next(self._turn)

    async def fetch(self, request: Any, entrypoint: str = "Default") -> Any:
        return await self.next_isolate().fetch(request, entrypoint)

    async def call(self, entrypoint: str, method: str, args: list[Any]) -> Any:
        return await self.next_isolate().call(entrypoint, method, args)

    async def scheduled(self, cron: str, scheduled_time_ms: int | None = None) -> None:
        when = scheduled_time_ms if scheduled_time_ms is not None else int(self.runtime.clock.now() * 1000)
        await self.next_isolate().scheduled(cron, when)

    def close(self) -> None:
        for isolate in self.isolates:
            isolate.close()
