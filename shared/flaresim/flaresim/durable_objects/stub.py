"""Durable Object stubs: `await stub.fetch(...)` and `await stub.any_method(...)` (RPC).

Arguments and results cross as production's RPC converts them (`rpc_values.transfer`): tuples
and bytearrays are refused, dicts come back as `JsDict`, keyword arguments arrive as one trailing
dict. An exception in the object reaches the caller as a `JsException` (a Python exception as
its traceback text, as Pyodide's PythonError carries it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from flaresim.durable_objects.handlers import callee_error
from flaresim.durable_objects.ids import DurableObjectId
from flaresim.durable_objects.instance import LiveObject, current_event
from flaresim.rpc_values import transfer

if TYPE_CHECKING:
    from flaresim.durable_objects.namespace import DurableObjectNamespace


class DurableObjectStub:
    """A stub for one object: `id`, `name`, `fetch`, and any other attribute as an RPC method."""

    _flaresim_binding = True

    def __init__(self, namespace: DurableObjectNamespace, object_id: DurableObjectId) -> None:
        self._namespace = namespace
        self.id = object_id

    @property
    def name(self) -> str | None:
        return self.id.name

    def __repr__(self) -> str:
        return f"<DurableObject {self._namespace.class_name} {self.id.toString()}>"

    def __bool__(self) -> bool:
        return True

    def __len__(self) -> int:
        raise TypeError("'DurableObject' object has no len()")

    def __iter__(self) -> Any:
        raise TypeError("'DurableObject' object is not iterable")

    def _live(self) -> LiveObject:
        namespace = self._namespace
        return namespace.registry.live(namespace.script, namespace.class_name, self.id)

    async def fetch(self, resource: Any, **init: Any) -> Any:
        """Send a request (a URL or a `workers.Request`) to the object's `fetch`; returns its Response."""
        from workers import Request

        request = resource if isinstance(resource, Request) and not init else Request(resource, **init)
        live = self._live()
        mark = current_event.get()
        suspended = LiveObject.suspend_for_call(mark)
        try:
            return await live.fetch(request)
        except BaseException as error:
            raise callee_error(error) from None
        finally:
            if suspended:
                await LiveObject.resume_after_call(mark)  # type: ignore[arg-type]

    async def _call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return await _rpc(self._namespace, self.id, method, args, kwargs)

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        # The method holds the namespace and id, not the stub: a stub made per request and
        # dropped after one call is freed at once instead of waiting for the cycle collector.
        namespace, object_id = self._namespace, self.id

        async def method(*args: Any, **kwargs: Any) -> Any:
            return await _rpc(namespace, object_id, name, args, kwargs)

        method.__name__ = name
        # The SDK's wrapper caches each method it looked up on the stub, so do we.
        setattr(self, name, method)
        return method


async def _rpc(
    namespace: DurableObjectNamespace, object_id: DurableObjectId, method: str, args: Any, kwargs: dict[str, Any]
) -> Any:
    """One RPC call: arguments converted for the crossing, the caller's gate opened while it waits."""
    sent = [transfer(value) for value in args]
    if kwargs:
        # Pyodide passes keyword arguments to JavaScript as one trailing object.
        sent.append(transfer(kwargs))
    live = namespace.registry.live(namespace.script, namespace.class_name, object_id)
    mark = current_event.get()
    suspended = LiveObject.suspend_for_call(mark)
    try:
        return await live.call(method, sent)
    except BaseException as error:
        raise callee_error(error) from None
    finally:
        if suspended:
            await LiveObject.resume_after_call(mark)  # type: ignore[arg-type]
