"""The subset of the JavaScript global scope that Workers code reaches through `import js`.

Only what our Workers use (and what the SDK's own helpers use) is modelled: byte arrays, streams,
`Date`, `Object.fromEntries`, `Error`, `JSON`, `console`, `Headers`, `queueMicrotask`.
Streams are the important part: a proxy streams an upstream body through, and produces SSE with a
`TransformStream`, exactly as on workerd.
"""

from __future__ import annotations

import asyncio
import json as _json
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC
from typing import Any

from pyodide.ffi import JsException, JsProxy

# The runtime sets this to its clock so `Date.now()` follows flaresim's (possibly fake) time.
_clock: Callable[[], float] = time.time


class Uint8Array(JsProxy):
    """A byte array; Python reads it with `to_bytes()`, as with a Pyodide JsProxy."""

    _js_name = "Uint8Array"
    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    @classmethod
    def new(cls, data: Any = b"") -> Uint8Array:
        if isinstance(data, int):
            return cls(bytes(data))
        if isinstance(data, Uint8Array):
            return cls(data._data)
        return cls(bytes(data))

    def to_bytes(self) -> bytes:
        return self._data

    def to_py(self, **_kwargs: Any) -> memoryview:
        return memoryview(self._data)

    def to_memoryview(self) -> memoryview:
        return memoryview(self._data)

    @property
    def length(self) -> int:
        return len(self._data)

    @property
    def byteLength(self) -> int:  # noqa: N802 - JS name
        return len(self._data)


class ArrayBuffer(Uint8Array):
    _js_name = "ArrayBuffer"


class _ReadResult:
    __slots__ = ("done", "value")

    def __init__(self, done: bool, value: Any) -> None:
        self.done = done
        self.value = value


class ReadableStream(JsProxy):
    """A one-shot byte stream: iterate it (`async for chunk in body`) or use `getReader()`."""

    _js_name = "ReadableStream"

    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self._locked = False

    @classmethod
    def from_bytes(cls, data: bytes) -> ReadableStream:
        async def one() -> AsyncIterator[bytes]:
            if data:
                yield data

        return cls(one())

    @property
    def locked(self) -> bool:
        return self._locked

    def _lock(self) -> AsyncIterator[bytes]:
        if self._locked:
            raise JsException("ReadableStream is locked to a reader", "TypeError")
        self._locked = True
        return self._source

    async def _chunks(self) -> AsyncIterator[Uint8Array]:
        async for data in self._lock():
            yield Uint8Array(data)

    def __aiter__(self) -> AsyncIterator[Uint8Array]:
        return self._chunks()

    def getReader(self) -> _Reader:  # noqa: N802 - JS name
        return _Reader(self._lock())

    async def cancel(self, _reason: Any = None) -> None:
        self._locked = True
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()

    async def read_all(self) -> bytes:
        """flaresim helper (not a JS API): drain the stream into bytes."""
        parts = [chunk async for chunk in self._lock()]
        return b"".join(parts)


class _Reader:
    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source

    async def read(self) -> _ReadResult:
        try:
            data = await self._source.__anext__()
        except StopAsyncIteration:
            return _ReadResult(True, None)
        return _ReadResult(False, Uint8Array(data))

    async def cancel(self, _reason: Any = None) -> None:
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()

    def releaseLock(self) -> None:  # noqa: N802 - JS name
        pass


class _Pipe:
    """The shared buffer between a TransformStream's writable and readable sides."""

    # workerd applies backpressure once the readable side holds a chunk nobody has read;
    # a small high-water mark keeps a slow client from buffering a whole answer in memory.
    HIGH_WATER_MARK = 16

    def __init__(self) -> None:
        self.chunks: deque[bytes] = deque()
        self.closed = False
        self.cancelled = False
        self.error: BaseException | None = None
        self.readable = asyncio.Event()
        self.writable = asyncio.Event()
        self.writable.set()

    async def write(self, data: bytes) -> None:
        while len(self.chunks) >= self.HIGH_WATER_MARK and not self.cancelled:
            self.writable.clear()
            await self.writable.wait()
        if self.cancelled:
            raise JsException("This WritableStream has been closed.", "TypeError")
        self.chunks.append(data)
        self.readable.set()

    async def iterate(self) -> AsyncIterator[bytes]:
        try:
            while True:
                if self.chunks:
                    data = self.chunks.popleft()
                    self.writable.set()
                    yield data
                    continue
                if self.error is not None:
                    raise self.error
                if self.closed:
                    return
                self.readable.clear()
                await self.readable.wait()
        finally:
            if not self.closed:
                self.cancelled = True
                self.writable.set()


class _Done:
    """An already-settled promise: awaiting it is optional, as with JS `writer.close()`."""

    def __await__(self):
        return iter(())


class _Writer:
    def __init__(self, pipe: _Pipe) -> None:
        self._pipe = pipe

    def write(self, chunk: Any):
        if not isinstance(chunk, Uint8Array):
            # workerd's byte streams refuse strings and Python objects that were not converted.
            raise JsException(
                "This TransformStream is being used as a byte stream, but received an object of "
                f"non-ArrayBuffer/ArrayBufferView type on its writable side ({type(chunk).__name__}).",
                "TypeError",
            )
        return self._pipe.write(chunk.to_bytes())

    def close(self) -> _Done:
        self._pipe.closed = True
        self._pipe.readable.set()
        return _Done()

    def abort(self, reason: Any = None) -> _Done:
        self._pipe.error = JsException(str(reason or "aborted"))
        self._pipe.readable.set()
        return _Done()

    def releaseLock(self) -> None:  # noqa: N802 - JS name
        pass

    @property
    def desiredSize(self) -> int:  # noqa: N802 - JS name
        return _Pipe.HIGH_WATER_MARK - len(self._pipe.chunks)


class WritableStream(JsProxy):
    _js_name = "WritableStream"

    def __init__(self, pipe: _Pipe) -> None:
        self._pipe = pipe

    def getWriter(self) -> _Writer:  # noqa: N802 - JS name
        return _Writer(self._pipe)


class TransformStream(JsProxy):
    """An identity TransformStream: bytes written to `writable` come out of `readable`."""

    _js_name = "TransformStream"

    def __init__(self) -> None:
        pipe = _Pipe()
        self.readable = ReadableStream(pipe.iterate())
        self.writable = WritableStream(pipe)

    @classmethod
    def new(cls, *_args: Any) -> TransformStream:
        return cls()


class _JsDate(JsProxy):
    _js_name = "Date"

    def __init__(self, ms: float) -> None:
        self._ms = ms

    def getTime(self) -> float:  # noqa: N802 - JS name
        return self._ms

    def valueOf(self) -> float:  # noqa: N802 - JS name
        return self._ms

    def toISOString(self) -> str:  # noqa: N802 - JS name
        from datetime import datetime

        moment = datetime.fromtimestamp(self._ms / 1000, tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(self._ms % 1000):03d}Z"


class Date:
    @staticmethod
    def now() -> int:
        return int(_clock() * 1000)

    @staticmethod
    def new(ms: float | None = None) -> _JsDate:
        return _JsDate(Date.now() if ms is None else ms)


class Object:
    @staticmethod
    def fromEntries(entries: Iterable[Any]) -> dict[Any, Any]:  # noqa: N802 - JS name
        return dict(entries)


class _JsError(JsProxy):
    _js_name = "Error"

    def __init__(self, message: str) -> None:
        self.message = message

    def toString(self) -> str:  # noqa: N802 - JS name
        return f"Error: {self.message}"


class Error:
    @staticmethod
    def new(message: str = "") -> _JsError:
        return _JsError(message)


class JSON:
    @staticmethod
    def parse(text: str) -> Any:
        return _json.loads(text)

    @staticmethod
    def stringify(value: Any) -> str:
        return _json.dumps(value, separators=(",", ":"))


class console:  # noqa: N801 - JS name
    @staticmethod
    def log(*args: Any) -> None:
        print(*args, file=sys.stderr)

    info = log
    debug = log
    warn = log
    error = log


class Headers(JsProxy):
    """A JS Headers object: lower-cased names, values of repeated names joined by ", "."""

    _js_name = "Headers"

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = [(k.lower(), str(v)) for k, v in items]

    @classmethod
    def new(cls, items: Any = ()) -> Headers:
        if isinstance(items, dict):
            items = items.items()
        return cls(items)

    def get(self, name: str) -> Any:
        values = [v for k, v in self._items if k == name.lower()]
        return ", ".join(values) if values else None

    def has(self, name: str) -> bool:
        return any(k == name.lower() for k, _ in self._items)

    def set(self, name: str, value: str) -> None:
        self.delete(name)
        self._items.append((name.lower(), str(value)))

    def append(self, name: str, value: str) -> None:
        self._items.append((name.lower(), str(value)))

    def delete(self, name: str) -> None:
        self._items = [(k, v) for k, v in self._items if k != name.lower()]

    def __iter__(self):
        return iter(list(self._items))


def queueMicrotask(callback: Callable[[], Any]) -> None:  # noqa: N802 - JS name
    asyncio.get_running_loop().call_soon(callback)
