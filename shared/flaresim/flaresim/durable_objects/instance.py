"""One live Durable Object: its instance, its `ctx`, and events delivered one at a time.

Production's input gate lets no new event (request, RPC call, alarm) into an object while a
storage operation is in flight, and lets events interleave while the object awaits other I/O.
flaresim approximates this with a lock per object held for the whole event. Storage calls never
yield, so read-modify-write sequences are atomic as in production. Outgoing calls to Durable
Objects (a stub's RPC methods and `fetch`) release the lock while they are in flight, as the
gate opens for them in production; so an object may call itself, directly or through others.
Other awaits (outbound `fetch`, `asyncio.sleep`) keep the lock: stricter than production.
`blockConcurrencyWhile` and `storage.transaction` keep it even across outgoing calls; a call
that would then need the same object back raises `DurableObjectDeadlock` instead of hanging.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

from flaresim import context
from flaresim.durable_objects.alarms import MAX_RETRIES, AlarmInfo, retry_delay_ms
from flaresim.durable_objects.database import ObjectDatabase
from flaresim.durable_objects.handlers import DurableObjectDeadlock, call_relaxed
from flaresim.durable_objects.ids import DurableObjectId
from flaresim.durable_objects.state import DurableObjectState, EventContext
from flaresim.durable_objects.storage import DurableObjectStorage
from flaresim.durable_objects.values import js_error
from flaresim.rpc_values import transfer

if TYPE_CHECKING:
    from flaresim.durable_objects import DurableObjectRegistry

log = logging.getLogger("flaresim.durable_objects")

_RESERVED_METHODS = frozenset({"dup", "constructor"})
# The context tokens an event entered (runtime, env, its own EventContext), None before it entered.
_Entered = tuple[Token[Any], Token[Any], Token[Any] | None] | None


@functools.cache
def _abort_type() -> type[BaseException]:
    """`DurableObjectAbort` (from the workers shim, imported once it exists)."""
    from workers.entrypoints import DurableObjectAbort

    return DurableObjectAbort


class EventMark:
    """One event being delivered to an object, linked to the event (if any) that made the call."""

    __slots__ = ("active", "holding", "live", "outgoing", "parent", "pinned")

    def __init__(self, live: LiveObject, parent: EventMark | None) -> None:
        self.live = live
        self.parent = parent
        self.active = True
        self.holding = True
        self.outgoing = 0
        self.pinned = 0


current_event: ContextVar[EventMark | None] = ContextVar("flaresim_durable_object_event", default=None)


class LiveObject:
    """The runtime's record of one Durable Object (script, class, id): storage, instance, lock."""

    def __init__(
        self, registry: DurableObjectRegistry, script: str, class_name: str, object_id: DurableObjectId
    ) -> None:
        self.registry = registry
        self.script = script
        self.class_name = class_name
        self.object_id = object_id
        self.key = (script, class_name, object_id.toString())
        self.lock = asyncio.Lock()
        self.holder: EventMark | None = None
        self.instance: Any = None
        self.state: DurableObjectState | None = None
        self.blockers: set[asyncio.Future[Any]] = set()
        self.alarm_running = False
        self.alarm_reset = False
        self.constructions = 0
        self._cls: type | None = None
        self._env: Any = None
        self.database: ObjectDatabase | None = None
        self.storage: DurableObjectStorage | None = None

    def __repr__(self) -> str:
        return f"<LiveObject {self.script}:{self.class_name}:{self.key[2][:12]}>"

    # -- storage owner ---------------------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self.registry.runtime.clock.now() * 1000)

    def alarm_changed(self, when_ms: int | None, retry: int = 0) -> None:
        self.registry.alarm_changed(self.key, when_ms, retry)

    def check_can_set_alarm(self) -> None:
        if self.instance is not None and not callable(getattr(self.instance, "alarm", None)):
            raise js_error(
                "Your Durable Object class must have an alarm() handler in order to call setAlarm()", "TypeError"
            )

    @contextmanager
    def blocking(self) -> Iterator[None]:
        """Keep other events out, even across outgoing calls (transactions, blockConcurrencyWhile)."""
        mark = current_event.get()
        if mark is None or mark.live is not self or not mark.active:
            yield
            return
        mark.pinned += 1
        try:
            yield
        finally:
            mark.pinned -= 1

    # -- lifecycle ---------------------------------------------------------------------------------

    def open(self) -> None:
        """Find the class and env that host the object and open its storage (first event only)."""
        if self.storage is not None:
            return
        cls, env, config = self.registry.runtime.durable_object_host(self.script, self.class_name)
        self._cls, self._env = cls, env
        self.database = self.registry.open_database(self.key)
        self.storage = DurableObjectStorage(self.database, self, sqlite_backed=self.class_name in config.sqlite_classes)

    def _construct(self) -> Any:
        assert self._cls is not None and self.state is not None
        self.constructions += 1
        instance = self._cls(self.state, self._env)
        self.instance = instance
        return instance

    def discard_instance(self) -> None:
        """Forget the instance (eviction, abort): the constructor runs again on the next event."""
        self.instance = None

    def idle(self) -> bool:
        return not self.lock.locked() and not self.blockers

    def close(self) -> None:
        self.discard_instance()
        for blocker in list(self.blockers):
            blocker.cancel()
        if self.database is not None:
            self.database.close()

    def block_while(self, callback: Callable[[], Any]) -> asyncio.Future[Any]:
        result = callback()
        if not hasattr(result, "__await__"):
            future = asyncio.get_running_loop().create_future()
            future.set_result(result)
            return future
        future = asyncio.ensure_future(result)
        self.blockers.add(future)
        future.add_done_callback(self._blocker_done)
        mark = current_event.get()
        if mark is not None and mark.live is self and mark.active:
            mark.pinned += 1

            def unpin(_future: asyncio.Future[Any]) -> None:
                mark.pinned -= 1

            future.add_done_callback(unpin)
        return future

    def _blocker_done(self, future: asyncio.Future[Any]) -> None:
        self.blockers.discard(future)
        if not future.cancelled() and future.exception() is not None:
            # A failing blockConcurrencyWhile callback resets the object in production.
            log.error("blockConcurrencyWhile() callback of %s failed: %s", self, future.exception())
            self.discard_instance()

    async def _settle_blockers(self) -> None:
        while self.blockers:
            done = await asyncio.gather(*self.blockers, return_exceptions=True)
            for result in done:
                if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                    raise result

    # -- events ------------------------------------------------------------------------------------

    async def _event(self, body: Callable[[Any], Awaitable[Any]]) -> Any:
        """Deliver one event: wait for the object, create it if needed, run `body(instance)`."""
        parent = current_event.get()
        lock = self.lock
        if lock.locked():
            self._refuse_deadlock(parent)
        await lock.acquire()
        mark, token = self._hold(parent)
        entered: _Entered = None
        try:
            instance, entered = self._enter()
            if self.blockers:
                await self._settle_blockers()
            result = await body(instance)
            if self.blockers:
                await self._settle_blockers()
            return result
        except _abort_type():
            self.discard_instance()
            raise
        finally:
            self._leave(mark, token, entered)

    def _hold(self, parent: EventMark | None) -> tuple[EventMark, Token[EventMark | None]]:
        """The event now holding the lock, made current."""
        mark = EventMark(self, parent)
        self.holder = mark
        return mark, current_event.set(mark)

    def _enter(self) -> tuple[Any, _Entered]:
        """Open the object, enter its context (runtime, env, the event's own), construct it if needed."""
        self.open()
        runtime_token = context.runtime_var.set(self.registry.runtime)
        env_token = context.env_var.set(self._env)
        request_token = None
        try:
            instance = self.instance
            if instance is None:
                self.state = DurableObjectState(self)
            # Each event is one invocation for production's per-invocation limits (KV operations).
            request_token = context.request_var.set(EventContext(self))  # type: ignore[arg-type]
            if instance is None:
                instance = self._construct()
        except BaseException:
            self._exit_context((runtime_token, env_token, request_token))
            raise
        return instance, (runtime_token, env_token, request_token)

    @staticmethod
    def _exit_context(entered: _Entered) -> None:
        if entered is None:
            return
        runtime_token, env_token, request_token = entered
        if request_token is not None:
            context.request_var.reset(request_token)
        context.env_var.reset(env_token)
        context.runtime_var.reset(runtime_token)

    def _leave(self, mark: EventMark, token: Token[EventMark | None], entered: _Entered) -> None:
        mark.active = False
        self._exit_context(entered)
        current_event.reset(token)
        if mark.holding:
            mark.holding = False
            self.holder = None
            self.lock.release()

    def _refuse_deadlock(self, parent: EventMark | None) -> None:
        holder = self.holder
        if holder is None or not holder.pinned:
            # A holder that is not blocking concurrency opened the object for its own outgoing calls:
            # waiting here is waiting for it to finish, not a cycle.
            return
        mark = parent
        while mark is not None:
            if mark is holder:
                raise DurableObjectDeadlock(
                    f"Durable Object {self.class_name} {self.key[2]} was called back (directly or through other "
                    "objects) while it blocks concurrency (blockConcurrencyWhile or storage.transaction); "
                    "in production this waits until the object is reset by its 30 s timeout"
                )
            mark = mark.parent

    async def instance_now(self) -> Any:
        """The instance, after delivering an empty event (which constructs it if needed)."""

        async def body(instance: Any) -> Any:
            return instance

        return await self._event(body)

    async def call(self, method: str, args: list[Any]) -> Any:
        """An RPC call: strict arity, arguments and result already converted for the crossing.

        The same event as `_event` delivers, written out here because every RPC call takes this
        path: no per-call closure or extra coroutine.
        """
        if method.startswith("_") or method in _RESERVED_METHODS:
            if method in _RESERVED_METHODS:
                raise js_error(f"'{method}' is a reserved method and cannot be called over RPC.", "TypeError")
            raise js_error(f"Method {method} does not exist", "TypeError")
        parent = current_event.get()
        lock = self.lock
        if lock.locked():
            self._refuse_deadlock(parent)
        await lock.acquire()
        mark, token = self._hold(parent)
        entered: _Entered = None
        try:
            instance, entered = self._enter()
            if self.blockers:
                await self._settle_blockers()
            function = getattr(instance, method, None)
            if not callable(function):
                raise js_error(f"Method {method} does not exist", "TypeError")
            result = function(*args)
            if hasattr(result, "__await__"):
                result = await result
            result = transfer(result)
            if self.blockers:
                await self._settle_blockers()
            return result
        except _abort_type():
            self.discard_instance()
            raise
        finally:
            self._leave(mark, token, entered)

    async def fetch(self, request: Any) -> Any:
        """A `fetch` event: relaxed arity, must produce a `workers.Response`."""
        from workers import FetchResponse

        async def body(instance: Any) -> Any:
            handler = getattr(instance, "fetch", None)
            if not callable(handler):
                raise js_error("Method fetch does not exist", "TypeError")
            result = call_relaxed(handler, request)
            if hasattr(result, "__await__"):
                result = await result
            if not isinstance(result, FetchResponse):
                raise js_error("Incorrect type for Promise: the Promise did not resolve to 'Response'.", "TypeError")
            return result

        return await self._event(body)

    async def alarm(self, retry: int) -> bool:
        """Deliver the alarm (attempt `retry`); reschedules it on failure. True if it succeeded."""
        from flaresim.runtime import WorkerError

        reached = False

        async def body(instance: Any) -> None:
            nonlocal reached
            reached = True
            handler = getattr(instance, "alarm", None)
            assert self.database is not None
            if not callable(handler):
                self.database.set_alarm(None)
                return
            self.alarm_running, self.alarm_reset = True, False
            try:
                result = call_relaxed(handler, AlarmInfo(retry))
                if hasattr(result, "__await__"):
                    await result
            except BaseException:
                self.alarm_running = False
                if not self.alarm_reset:
                    self._schedule_retry(retry)
                raise
            self.alarm_running = False
            if not self.alarm_reset:
                self.database.set_alarm(None)

        try:
            await self._event(body)
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except WorkerError as error:
            log.error("alarm of Durable Object %s %s dropped: %s", self.class_name, self.key[2], error)
            return False
        except BaseException as error:
            log.error(
                "alarm() of Durable Object %s %s failed (attempt %d): %s",
                self.class_name,
                self.key[2],
                retry + 1,
                "".join(traceback.format_exception(error)).rstrip(),
            )
            if not reached and self.database is not None:
                # The object could not even be constructed: that attempt failed too.
                self._schedule_retry(retry)
            return False
        return True

    def _schedule_retry(self, retry: int) -> None:
        assert self.database is not None
        if retry >= MAX_RETRIES:
            log.error("alarm() of Durable Object %s %s gave up after %d retries", self.class_name, self.key[2], retry)
            self.database.set_alarm(None)
            self.alarm_changed(None)
            return
        when = self.now_ms() + retry_delay_ms(retry)
        self.database.set_alarm(when, retry + 1)
        self.alarm_changed(when, retry + 1)

    # -- outgoing calls from this object -------------------------------------------------------------

    @staticmethod
    def suspend_for_call(mark: EventMark | None) -> bool:
        """Open the caller's gate while it waits on another object; True if `resume` must follow."""
        if mark is None or not mark.active or mark.pinned:
            return False
        mark.outgoing += 1
        if mark.outgoing == 1 and mark.holding:
            live = mark.live
            mark.holding = False
            live.holder = None
            live.lock.release()
        return True

    @staticmethod
    async def resume_after_call(mark: EventMark) -> None:
        mark.outgoing -= 1
        if mark.outgoing == 0 and mark.active and not mark.holding:
            live = mark.live
            await live.lock.acquire()
            if not mark.active:
                # The event ended while this call (from a task it started) was in flight.
                live.lock.release()
                return
            mark.holding = True
            live.holder = mark
