"""The flaresim runtime: loads Workers into isolates, builds their bindings, dispatches events.

One `Runtime` holds what production shares between Workers: KV namespaces (by id), Durable
Object namespaces, service bindings, the outbound network, the clock and pending `waitUntil` work.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import os
import traceback
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from flaresim import context, entropy
from flaresim.analytics_engine import AnalyticsEngineStore
from flaresim.clock import Clock, SystemClock
from flaresim.config import WorkerConfig, load_worker_config
from flaresim.durable_objects import DurableObjectRegistry
from flaresim.durable_objects.handlers import callee_error
from flaresim.isolate import Isolate
from flaresim.kv import KVStore
from flaresim.outbound import Outbound
from flaresim.rpc_values import JsDict, transfer
from flaresim.shims_path import install_shims
from flaresim.sqlite_store import open_database

log = logging.getLogger("flaresim")


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


class Env:
    """`self.env`: vars and secrets as strings, bindings as objects; a missing name raises AttributeError."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Env({', '.join(sorted(self.__dict__))})"


class ServiceBinding:
    """A service binding (`env.PROXY`): `fetch` into another Worker, or RPC to its entrypoint."""

    _flaresim_binding = True

    def __init__(self, runtime: Runtime, service: str, entrypoint: str | None) -> None:
        self._runtime = runtime
        self._service = service
        self._entrypoint = entrypoint or "Default"

    def __repr__(self) -> str:
        return f"<Fetcher {self._service}:{self._entrypoint}>"

    async def fetch(self, resource: Any, **options: Any) -> Any:
        from workers import Request

        request = resource if isinstance(resource, Request) and not options else Request(resource, **options)
        host = self._runtime.worker(self._service)
        try:
            return await host.fetch(request, self._entrypoint)
        except Exception as error:
            # Another isolate's exception arrives as a JS error carrying its traceback, never as itself.
            raise callee_error(error) from None

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name.startswith("__"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            # Pyodide passes keyword arguments to JS as one trailing object.
            sent = [transfer(a) for a in args] + ([transfer(kwargs)] if kwargs else [])
            host = self._runtime.worker(self._service)
            try:
                result = await host.call(self._entrypoint, name, sent)
            except Exception as error:
                raise callee_error(error) from None
            return transfer(result)

        return call


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


class Runtime:
    """A simulated Cloudflare account: Workers, their bindings' storage, the clock and the network."""

    def __init__(
        self,
        state_dir: str | os.PathLike[str] | None = None,
        *,
        clock: Clock | None = None,
        outbound: Outbound | None = None,
        enforce_kv_write_rate: bool = True,
        environ: dict[str, str] | None = None,
        dev_vars: str = ".dev.vars",
    ) -> None:
        install_shims()
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.clock: Clock = clock or SystemClock()
        self.environ = environ
        self.dev_vars = dev_vars
        self.outbound = outbound or Outbound()
        self.kv = KVStore(
            open_database(self.state_dir / "kv.sqlite3" if self.state_dir else None),
            self.clock.now,
            enforce_write_rate=enforce_kv_write_rate,
        )
        self.analytics_engine = AnalyticsEngineStore(
            open_database(self.state_dir / "analytics_engine.sqlite3" if self.state_dir else None), self.clock.now
        )
        self.durable_objects = DurableObjectRegistry(self, self.state_dir / "do" if self.state_dir else None)
        self.workers: dict[str, WorkerHost] = {}
        self.pending: set[asyncio.Future[Any]] = set()
        self.background_failures = 0
        self._extra_bindings: list[Callable[[WorkerConfig, dict[str, Any]], None]] = []
        import js

        js._clock = self.clock.now
        context.set_fallback_runtime(self)

    # -- loading -------------------------------------------------------------------------------

    def load_worker(
        self,
        directory: str | os.PathLike[str],
        *,
        isolates: int = 1,
        overrides: dict[str, str] | None = None,
    ) -> WorkerHost:
        """Load a Worker directory (its wrangler.toml) into `isolates` isolates.

        `overrides` replace vars or secrets by name (on top of the secrets file).
        """
        config = load_worker_config(directory, self.environ, dev_vars=self.dev_vars, overrides=overrides)
        if config.name in self.workers:
            raise WorkerError(f"a Worker named {config.name!r} is already loaded")
        host = WorkerHost(self, config, isolates)
        self.workers[config.name] = host
        return host

    def worker(self, name: str) -> WorkerHost:
        """A loaded Worker by its wrangler `name` (what a service binding names)."""
        try:
            return self.workers[name]
        except KeyError:
            loaded = ", ".join(sorted(self.workers)) or "none"
            raise WorkerError(f"service {name!r} is not running in flaresim (loaded: {loaded})") from None

    def add_binding_factory(self, factory: Callable[[WorkerConfig, dict[str, Any]], None]) -> None:
        """Let a simulator module add bindings to every env built after this call."""
        self._extra_bindings.append(factory)

    def build_env(self, config: WorkerConfig) -> Env:
        """The env object of one isolate: vars, secrets and binding objects over shared storage."""
        values: dict[str, Any] = {}
        for key, value in config.vars.items():
            values[key] = value if isinstance(value, str) else transfer(value)
        values.update(config.secrets)
        for kv in config.kv_namespaces:
            values[kv.binding] = self.kv.namespace(kv.id)
        for do in config.durable_objects:
            values[do.name] = self.durable_objects.namespace(do.script_name or config.name, do.class_name)
        for service in config.services:
            values[service.binding] = ServiceBinding(self, service.service, service.entrypoint)
        if config.ai_binding:
            from flaresim.ai import WorkersAI

            values[config.ai_binding] = WorkersAI(self)
        for dataset in config.analytics_engine:
            values[dataset.binding] = self.analytics_engine.dataset(dataset.dataset)
        for factory in self._extra_bindings:
            factory(config, values)
        return Env(values)

    def durable_object_host(self, script_name: str, class_name: str) -> tuple[type, Env, WorkerConfig]:
        """The class, env and config that host a Durable Object class (isolate 0 of its Worker)."""
        host = self.worker(script_name)
        isolate = host.isolates[0]
        cls = isolate.durable_objects.get(class_name)
        if cls is None:
            raise WorkerError(
                f"Worker {script_name!r} does not export Durable Object class {class_name!r} from its "
                "main module (workerd only finds classes visible there)"
            )
        return cls, isolate.env, host.config

    # -- background work ---------------------------------------------------------------------------

    def track(self, awaitable: Awaitable[Any], *, source: str = "worker") -> None:
        """Run `awaitable` after the response (`waitUntil`); failures are logged and counted."""
        future = asyncio.ensure_future(awaitable)
        self.pending.add(future)

        def done(f: asyncio.Future[Any]) -> None:
            self.pending.discard(f)
            if f.cancelled():
                return
            error = f.exception()
            if error is not None:
                self.background_failures += 1
                log.error(
                    "waitUntil task of %s failed: %s",
                    source,
                    "".join(traceback.format_exception(error)).rstrip(),
                )

        future.add_done_callback(done)

    async def drain(self, timeout: float | None = 30.0) -> None:
        """Wait until every pending `waitUntil` task (and what they started) has finished."""

        async def wait_all() -> None:
            while self.pending:
                await asyncio.gather(*list(self.pending), return_exceptions=True)

        await asyncio.wait_for(wait_all(), timeout)

    async def advance(self, seconds: float) -> None:
        """Move a fake clock forward and deliver the alarms that became due."""
        advance = getattr(self.clock, "advance", None)
        if advance is None:
            raise TypeError("only a FakeClock can be advanced")
        advance(seconds)
        await self.durable_objects.run_due_alarms()

    async def close(self) -> None:
        """Finish background work and close storage."""
        try:
            if self.pending:
                await self.drain()
        finally:
            await self.durable_objects.close()
            await self.outbound.close()
            for host in self.workers.values():
                host.close()
            self.workers.clear()
            context.set_fallback_runtime(None)


class _CloudflareWorkers:
    """`import_from_javascript("cloudflare:workers")`: the module-level `env` and `waitUntil`."""

    @property
    def env(self) -> Any:
        return context.env_var.get()

    @staticmethod
    def waitUntil(awaitable: Awaitable[Any]) -> None:  # noqa: N802 - JS name
        request = context.request_var.get()
        if request is None:
            raise RuntimeError("waitUntil() called outside of a request")
        request.waitUntil(awaitable)


def cloudflare_workers_module() -> _CloudflareWorkers:
    return _CloudflareWorkers()


def load_workers(
    runtime: Runtime, directories: Iterable[str | os.PathLike[str]], isolates: dict[str, int] | None = None
) -> list[WorkerHost]:
    """Load several Worker directories into one runtime (so their service bindings connect)."""
    hosts = []
    for directory in directories:
        config = load_worker_config(directory, runtime.environ, dev_vars=runtime.dev_vars)
        count = (isolates or {}).get(config.name, 1)
        hosts.append(runtime.load_worker(directory, isolates=count))
    return hosts
