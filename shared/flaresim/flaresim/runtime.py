"""The flaresim runtime: loads Workers into isolates, builds their bindings, dispatches events.

One `Runtime` holds what production shares between Workers: KV namespaces (by id), Durable
Object namespaces, service bindings, the outbound network, the clock and pending `waitUntil` work.
"""

from __future__ import annotations

import asyncio
import logging
import os
import traceback
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from flaresim import context
from flaresim.analytics_engine import AnalyticsEngineStore
from flaresim.clock import Clock, SystemClock
from flaresim.config import WorkerConfig, load_worker_config
from flaresim.durable_objects import DurableObjectRegistry
from flaresim.durable_objects.handlers import callee_error
from flaresim.kv import KVStore
from flaresim.outbound import Outbound
from flaresim.rpc_values import transfer
from flaresim.shims_path import install_shims
from flaresim.sqlite_store import open_database
from flaresim.worker_host import WorkerError, WorkerHost

log = logging.getLogger("flaresim")


class Env:
    """`self.env`: vars and secrets as strings, bindings as objects; a missing name raises AttributeError."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Env({', '.join(sorted(self.__dict__))})"

    def __getattr__(self, name: str) -> Any:
        # Reached only for a name the Worker does not have; declared so type checkers let
        # `env.ANY_BINDING` through as Any, as it is for a Worker.
        raise AttributeError(f"'Env' object has no attribute {name!r}")


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
