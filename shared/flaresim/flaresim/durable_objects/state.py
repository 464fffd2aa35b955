"""`self.ctx` of a Durable Object, and the per-event context its code runs in."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flaresim.durable_objects.instance import LiveObject


class DurableObjectState:
    """`self.ctx` of a Durable Object: `id`, `storage`, `blockConcurrencyWhile`, `waitUntil`, `abort`."""

    def __init__(self, live: LiveObject) -> None:
        self._live = live
        self.id = live.object_id
        self.storage = live.storage

    def __repr__(self) -> str:
        return f"<DurableObjectState {self.id}>"

    def blockConcurrencyWhile(self, callback: Callable[[], Any]) -> asyncio.Future[Any]:  # noqa: N802 - JS name
        """Run `callback()`; no event reaches the object until it finishes. Awaitable, not required."""
        return self._live.block_while(callback)

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:  # noqa: N802 - JS name
        self._live.registry.runtime.track(awaitable, source=f"Durable Object {self._live.class_name}")

    def abort(self, reason: str | None = None) -> None:
        """Reset the object: the current event fails and the next one gets a fresh instance."""
        from workers.entrypoints import DurableObjectAbort

        self._live.discard_instance()
        error = DurableObjectAbort(reason or "Durable Object abort requested")
        error.flaresim_reason = reason
        raise error

    def _not_simulated(self, *_args: Any, **_kwargs: Any) -> Any:
        raise NotImplementedError("Hibernatable WebSockets are not simulated by flaresim yet")

    acceptWebSocket = getWebSockets = getTags = _not_simulated  # noqa: N815 - JS names
    setWebSocketAutoResponse = getWebSocketAutoResponse = _not_simulated  # noqa: N815
    setHibernatableWebSocketEventTimeout = getHibernatableWebSocketEventTimeout = _not_simulated  # noqa: N815


class EventContext:
    """What one event of an object counts against production's per-invocation limits (KV, AE)."""

    __slots__ = ("_live", "ae_data_points", "kv_operations")

    def __init__(self, live: LiveObject) -> None:
        self._live = live
        self.kv_operations = 0
        self.ae_data_points = 0

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:  # noqa: N802 - JS name
        self._live.registry.runtime.track(awaitable, source=f"Durable Object {self._live.class_name}")
