"""What a provider call takes and gives back: a full completion, or a stream whose first chunk is in.

A `ChatStream` is only returned once its first chunk arrived and parsed, so everything that can go
wrong before the client sees a byte (a refused connection, an error status, a malformed first
event, a silent upstream) is raised as a ProviderError and can fail over. Streams come in batches:
the chunks parsed from one network read travel together (one write to the client per batch).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from flarekit.llm.deployments import Timeouts
from flarekit.llm.errors import ProviderError, malformed_error, timeout_error
from flarekit.llm.tokens import Usage


@dataclass(frozen=True, slots=True)
class CallContext:
    """Per-request inputs of a provider call: the Worker's env (bindings, secrets), timeouts, time."""

    env: Any
    timeouts: Timeouts
    created: int
    include_usage: bool = False


@dataclass(slots=True)
class StreamItem:
    """One OpenAI chunk; `raw` is the upstream's own JSON when it can be forwarded unchanged."""

    data: dict[str, Any]
    raw: bytes | None = None


@dataclass(slots=True)
class ChatResult:
    """A non-streaming answer as an OpenAI completion (`raw`: the upstream bytes, if unchanged)."""

    body: dict[str, Any]
    raw: bytes | None = None

    @property
    def usage(self) -> Usage | None:
        from flarekit.llm.tokens import usage_from_openai

        return usage_from_openai(self.body.get("usage"))


class StreamState:
    """What a provider learns while streaming: usage (often only at the end)."""

    __slots__ = ("usage",)

    def __init__(self) -> None:
        self.usage: Usage | None = None


Batch = list[StreamItem]


class FinalBatch(list):
    """The last batch of a stream (the upstream said it was done): nothing follows it."""


class ChatStream:
    """A validated stream: the first batch already read, the rest to iterate with an idle timeout."""

    def __init__(self, first: Batch, rest: AsyncIterator[Batch], state: StreamState, idle_timeout: float) -> None:
        self.first = first
        self._rest = rest
        self.state = state
        self.idle_timeout = idle_timeout

    async def __aiter__(self) -> AsyncIterator[Batch]:
        yield self.first
        rest = self._rest
        while True:
            try:
                async with asyncio.timeout(self.idle_timeout):
                    item = await rest.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError:
                await self.aclose()
                raise timeout_error(f"the upstream stream went silent for {self.idle_timeout:g}s") from None
            yield item

    async def aclose(self) -> None:
        """Release the upstream connection (a client that went away, an error)."""
        aclose = getattr(self._rest, "aclose", None)
        if aclose is not None:
            await aclose()

    @property
    def usage(self) -> Usage | None:
        return self.state.usage


async def open_stream(items: AsyncIterator[Batch], state: StreamState, timeouts: Timeouts, left: float):
    """Read the first batch of chunks (within the first-byte timeout) and hand back the stream."""
    wait = min(timeouts.first_byte, left)
    try:
        async with asyncio.timeout(wait):
            first = await items.__anext__()
    except StopAsyncIteration:
        raise malformed_error("the upstream stream ended before its first chunk") from None
    except TimeoutError:
        await _close(items)
        raise timeout_error(f"no first chunk from the upstream within {wait:g}s") from None
    except ProviderError:
        await _close(items)
        raise
    return ChatStream(first, items, state, timeouts.first_byte)


async def _close(items: AsyncIterator[Batch]) -> None:
    aclose = getattr(items, "aclose", None)
    if aclose is not None:
        try:
            await aclose()
        except Exception:  # noqa: S110 - closing a broken upstream must not mask its error
            pass
