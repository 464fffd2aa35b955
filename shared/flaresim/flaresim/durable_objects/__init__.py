"""Durable Objects, simulated: namespaces, stubs, one live instance per id, storage and alarms.

Modules: `ids` (id minting), `namespace` (the `env.X` binding), `stub` (fetch and RPC),
`instance` (the live object and event delivery), `state` (its `ctx`), `handlers` (calling into
it, errors coming out), `storage` (`ctx.storage`), `sql`
(`ctx.storage.sql`), `database` (the SQLite file behind one object), `alarms` (the schedule),
`values` (what storage and SQL do to Python values). The differences from production are listed
in docs/local-dev.md, "Durable Objects".
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flaresim.durable_objects.alarms import AlarmInfo, AlarmSchedule, ObjectKey
from flaresim.durable_objects.database import ObjectDatabase
from flaresim.durable_objects.handlers import DurableObjectDeadlock
from flaresim.durable_objects.ids import DurableObjectId
from flaresim.durable_objects.instance import LiveObject
from flaresim.durable_objects.namespace import DurableObjectNamespace
from flaresim.durable_objects.state import DurableObjectState
from flaresim.durable_objects.stub import DurableObjectStub

if TYPE_CHECKING:
    from flaresim.runtime import Runtime

__all__ = [
    "AlarmInfo",
    "DurableObjectDeadlock",
    "DurableObjectId",
    "DurableObjectNamespace",
    "DurableObjectRegistry",
    "DurableObjectState",
    "DurableObjectStub",
]

log = logging.getLogger("flaresim.durable_objects")

# Objects kept in memory at once; past this the least recently used idle ones are evicted (their
# constructor runs again on the next event), as production evicts idle objects.
MAX_LIVE_OBJECTS = 10_000


class DurableObjectRegistry:
    """Every Durable Object namespace of a runtime, and the live objects in them."""

    def __init__(self, runtime: Runtime, state_dir: Path | None, *, max_live_objects: int = MAX_LIVE_OBJECTS) -> None:
        self.runtime = runtime
        self.state_dir = state_dir
        self.max_live_objects = max_live_objects
        self.evictions = 0
        self.alarms = AlarmSchedule()
        self._namespaces: dict[tuple[str, str], DurableObjectNamespace] = {}
        self._objects: OrderedDict[ObjectKey, LiveObject] = OrderedDict()
        # In-memory databases of evicted objects: without a state dir they are the only copy.
        self._parked: dict[ObjectKey, ObjectDatabase] = {}
        self._persisted_alarms_loaded = state_dir is None

    def namespace(self, script_name: str, class_name: str) -> DurableObjectNamespace:
        """The binding object (`env.CONVERSATIONS`) for a class hosted by `script_name`."""
        key = (script_name, class_name)
        namespace = self._namespaces.get(key)
        if namespace is None:
            namespace = self._namespaces[key] = DurableObjectNamespace(self, script_name, class_name)
        return namespace

    # -- live objects ------------------------------------------------------------------------------

    def live(self, script: str, class_name: str, object_id: DurableObjectId) -> LiveObject:
        """The one live record of an object (created on first use)."""
        key = (script, class_name, object_id.toString())
        live = self._objects.get(key)
        if live is not None:
            self._objects.move_to_end(key)
            return live
        live = self._objects[key] = LiveObject(self, script, class_name, object_id)
        if len(self._objects) > self.max_live_objects:
            self._evict_idle()
        return live

    def _evict_idle(self) -> None:
        for key in list(self._objects):
            if len(self._objects) <= self.max_live_objects:
                return
            live = self._objects[key]
            if not live.idle():
                continue
            del self._objects[key]
            self.evictions += 1
            if live.database is not None and live.database.path is None:
                live.discard_instance()
                self._parked[key] = live.database
            else:
                live.close()

    def open_database(self, key: ObjectKey) -> ObjectDatabase:
        """The database of an object: its file under the state dir, or memory without one."""
        parked = self._parked.pop(key, None)
        if parked is not None:
            return parked
        script, class_name, hex_id = key
        path = self.state_dir / script / class_name / f"{hex_id}.sqlite3" if self.state_dir is not None else None
        return ObjectDatabase(path)

    def evict_all(self) -> int:
        """Drop every live instance (storage stays): constructors run again on the next event."""
        count = 0
        for live in self._objects.values():
            if live.instance is not None:
                live.discard_instance()
                count += 1
        self.evictions += count
        return count

    async def instance_of(self, stub: DurableObjectStub) -> Any:
        """The instance behind a stub, constructed if needed (for tests that look inside an object)."""
        return await stub._live().instance_now()

    def live_instances(self) -> int:
        """How many objects have a constructed instance right now."""
        return sum(live.instance is not None for live in self._objects.values())

    # -- alarms -----------------------------------------------------------------------------------

    def alarm_changed(self, key: ObjectKey, when_ms: int | None, retry: int = 0) -> None:
        if when_ms is None:
            self.alarms.cancel(key)
        else:
            self.alarms.set(key, when_ms, retry)

    def _load_persisted_alarms(self) -> None:
        if not self._persisted_alarms_loaded:
            self._persisted_alarms_loaded = True
            if self.state_dir is not None and self.state_dir.is_dir():
                found = self.alarms.load_persisted(self.state_dir)
                if found:
                    log.info("flaresim: %d Durable Object alarm(s) pending from earlier runs", found)

    def next_alarm_ms(self) -> int | None:
        """When the earliest pending alarm is due (epoch ms), or None."""
        self._load_persisted_alarms()
        return self.alarms.next_due_ms()

    async def run_due_alarms(self) -> int:
        """Deliver every alarm whose time has come on the runtime's clock; return how many ran."""
        self._load_persisted_alarms()
        now_ms = int(self.runtime.clock.now() * 1000)
        due = self.alarms.pop_due(now_ms)
        if not due:
            return 0
        deliveries = []
        for key, when_ms, retry in due:
            script, class_name, hex_id = key
            if script not in self.runtime.workers:
                # The hosting Worker is not loaded (yet): keep the alarm until it is.
                self.alarms.set(key, when_ms, retry)
                continue
            live = self._objects.get(key)
            if live is None:
                object_id = DurableObjectId(hex_id, f"{script}:{class_name}")
                live = self.live(script, class_name, object_id)
            deliveries.append(live.alarm(retry))
        await asyncio.gather(*deliveries)
        return len(deliveries)

    # -- shutdown ---------------------------------------------------------------------------------

    async def close(self) -> None:
        """Close storage (SQLite connections)."""
        for live in self._objects.values():
            live.close()
        for database in self._parked.values():
            database.close()
        self._objects.clear()
        self._parked.clear()
