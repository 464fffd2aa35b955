"""JavaScript byte arrays and streams as Python code in a Worker sees them through Pyodide.

Streams are the important part: a proxy passes an upstream body through, and produces SSE with a
`TransformStream` and a background writer, exactly as on workerd. Behaviour copied from workerd
(checked against its binary): a stream is "disturbed" (its Response's `bodyUsed` turns true) once
read from; a locked stream refuses a second reader; a chunk that is not a byte array (a `str`, or
Python `bytes` not passed through `to_js`) breaks the response with "This ReadableStream did not
return bytes." when the body is sent, not when it is written.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from pyodide.ffi import JsException, JsProxy

NOT_BYTES = "This ReadableStream did not return bytes."
LOCKED = "This ReadableStream is currently locked to a reader."


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
        self.disturbed = False  # read from at least once: a Response over it reports bodyUsed

    @classmethod
    def from_bytes(cls, data: bytes) -> ReadableStream:
        """flaresim helper (not a JS API): a stream of one chunk."""

        async def one() -> AsyncIterator[bytes]:
            if data:
                yield data

        return cls(one())

    @property
    def locked(self) -> bool:
        return self._locked

    def _lock(self) -> AsyncIterator[bytes]:
        """Take the raw byte source (as a reader does); a second taker is refused."""
        if self._locked:
            raise JsException(LOCKED, "TypeError")
        self._locked = True
        self.disturbed = True
        return self._source

    async def _chunks(self) -> AsyncIterator[Uint8Array]:
        async for data in self._lock():
            yield Uint8Array(data)

    def __aiter__(self) -> AsyncIterator[Uint8Array]:
        return self._chunks()

    def getReader(self) -> _Reader:  # noqa: N802 - JS name
        if self._locked:
            raise JsException(LOCKED, "TypeError")
        self._locked = True
        return _Reader(self)

    async def cancel(self, _reason: Any = None) -> None:
        self._locked = True
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()

    def tee(self) -> list[ReadableStream]:
        """Two streams that each yield every chunk of this one (what `clone()` uses)."""
        source = self._lock()
        buffers: tuple[deque[bytes], deque[bytes]] = (deque(), deque())
        finished = [False]
        lock = asyncio.Lock()

        async def branch(mine: deque[bytes], other: deque[bytes]) -> AsyncIterator[bytes]:
            while True:
                if mine:
                    yield mine.popleft()
                    continue
                if finished[0]:
                    return
                async with lock:
                    if mine or finished[0]:
                        continue
                    try:
                        data = await source.__anext__()
                    except StopAsyncIteration:
                        finished[0] = True
                        continue
                    mine.append(data)
                    other.append(data)

        return [ReadableStream(branch(buffers[0], buffers[1])), ReadableStream(branch(buffers[1], buffers[0]))]

    async def read_all(self) -> bytes:
        """flaresim helper (not a JS API): drain the stream into bytes."""
        parts = [chunk async for chunk in self._lock()]
        return b"".join(parts)


class _Reader:
    def __init__(self, stream: ReadableStream) -> None:
        self._stream = stream
        self._source = stream._source

    async def read(self) -> _ReadResult:
        self._stream.disturbed = True
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
        self._stream._locked = False


class _Pipe:
    """The shared buffer between a TransformStream's writable and readable sides."""

    # workerd applies backpressure once the readable side holds chunks nobody has read; a write
    # beyond this mark is queued at once but its promise settles only when the reader catches up.
    HIGH_WATER_MARK = 16

    def __init__(self) -> None:
        self.chunks: deque[Any] = deque()
        self.closed = False
        self.cancelled = False
        self.error: BaseException | None = None
        self.readable = asyncio.Event()
        self._space: list[asyncio.Future[None]] = []

    def write(self, chunk: Any) -> Any:
        """Queue a chunk; the returned awaitable settles when there is room (JS `writer.write`)."""
        if self.cancelled:
            failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            failed.set_exception(JsException("This WritableStream has been closed.", "TypeError"))
            return failed
        self.chunks.append(chunk)
        self.readable.set()
        if len(self.chunks) < self.HIGH_WATER_MARK:
            return _Done()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._space.append(waiter)
        return waiter

    def _release_writers(self) -> None:
        waiting, self._space = self._space, []
        for waiter in waiting:
            if not waiter.done():
                if self.cancelled:
                    waiter.set_exception(JsException("This WritableStream has been closed.", "TypeError"))
                    waiter.exception()  # a writer that never awaits it must not log an unhandled error
                else:
                    waiter.set_result(None)

    async def iterate(self) -> AsyncIterator[bytes]:
        try:
            while True:
                if self.chunks:
                    chunk = self.chunks.popleft()
                    if len(self.chunks) < self.HIGH_WATER_MARK and self._space:
                        self._release_writers()
                    if not isinstance(chunk, Uint8Array):
                        raise JsException(NOT_BYTES, "TypeError")
                    yield chunk.to_bytes()
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
                self._release_writers()


class _Done:
    """An already-settled promise: awaiting it is optional, as with JS `writer.close()`."""

    def __await__(self):
        return iter(())


class _Writer:
    def __init__(self, pipe: _Pipe) -> None:
        self._pipe = pipe

    def write(self, chunk: Any) -> Any:
        # Any value is accepted here, as by workerd's standard TransformStream; only byte arrays
        # make a valid response body (see NOT_BYTES).
        return self._pipe.write(chunk)

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
    def ready(self) -> _Done:
        return _Done()

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
    """An identity TransformStream: chunks written to `writable` come out of `readable`."""

    _js_name = "TransformStream"

    def __init__(self) -> None:
        pipe = _Pipe()
        self.readable = ReadableStream(pipe.iterate())
        self.writable = WritableStream(pipe)

    @classmethod
    def new(cls, *_args: Any) -> TransformStream:
        return cls()
