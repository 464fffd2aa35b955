"""The platform seams flarekit code depends on, as `typing.Protocol`s.

Each Protocol describes the Python-facing shape of one Workers binding as the workers-runtime-sdk
exposes it (`self.env.X`): production's objects and flaresim's simulated ones both satisfy them, and
the contract tests under `tests/flaresim/` run the same test functions against every
implementation. Code takes these types in its signatures (`kv: KVNamespace`), never a concrete
class, so a unit test can hand it a fake and a Worker hands it `self.env.X`.

Conventions the bindings share (the SDK's `_BindingWrapper`):
- options are a trailing dict or keyword arguments (Pyodide passes keyword arguments to JavaScript
  as one trailing object; when both are given, the keyword object is an extra argument and ignored);
- a missing value is `None`; JavaScript objects come back as dicts that also allow attribute access;
- failures raise `pyodide.ffi.JsException` whose message is production's text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from flarekit.clock import Clock
from flarekit.ids import IdGenerator

__all__ = [
    "AnalyticsEngineDataset",
    "Clock",
    "DurableObjectId",
    "DurableObjectNamespace",
    "DurableObjectStub",
    "Fetcher",
    "IdGenerator",
    "KVNamespace",
    "Options",
    "WorkersAI",
]

Options = Mapping[str, Any]


@runtime_checkable
class KVNamespace(Protocol):
    """A Workers KV namespace binding (`kv_namespaces` in wrangler.toml)."""

    async def get(self, key: str | list[str], type_or_options: str | Options | None = None, /, **options: Any) -> Any:
        """A value (text unless `type` says "json", "arrayBuffer" or "stream"), or None when missing.

        A list of keys (at most 100, text or json) gives a dict of key -> value or None.
        """
        ...

    async def getWithMetadata(  # noqa: N802 - the JavaScript name
        self, key: str | list[str], type_or_options: str | Options | None = None, /, **options: Any
    ) -> Any:
        """`{"value", "metadata", "cacheStatus"}`; value and metadata are None for a missing key."""
        ...

    async def put(self, key: str, value: str | bytes | Any, options: Options | None = None, /, **kwargs: Any) -> None:
        """Store a value; options `expiration` (epoch s), `expirationTtl` (>= 60 s), `metadata` (<= 1024 B JSON)."""
        ...

    async def delete(self, key: str, /) -> None:
        """Remove a key; removing a missing key is not an error."""
        ...

    async def list(self, options: Options | None = None, /, **kwargs: Any) -> Any:
        """`{"keys": [{"name", "expiration"?, "metadata"?}], "list_complete", "cursor"?, "cacheStatus"}`.

        Options `prefix`, `limit` (<= 1000, the default) and `cursor`; keys come in UTF-8 byte order.
        Loop while `list_complete` is False: a page may hold fewer keys than `limit`.
        """
        ...


@runtime_checkable
class DurableObjectId(Protocol):
    """The id of one Durable Object: 64 hex digits (`str(id)`); `name` when made by `idFromName`."""

    def toString(self) -> str: ...  # noqa: N802 - the JavaScript name

    def equals(self, other: Any, /) -> bool: ...


@runtime_checkable
class Fetcher(Protocol):
    """Something that answers HTTP in process: a service binding or a Durable Object stub.

    Any other attribute is an RPC method (`await stub.method(a, b)`): positional arguments only,
    values converted as production converts them (tuples refused, dicts back as attribute dicts).
    """

    async def fetch(self, resource: Any, /, **options: Any) -> Any:
        """Send a request (a URL or a `workers.Request`) and return a `workers.Response`."""
        ...


class DurableObjectStub(Fetcher, Protocol):
    """A stub for one Durable Object: `fetch` plus its RPC methods."""

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]: ...


@runtime_checkable
class DurableObjectNamespace(Protocol):
    """A Durable Object namespace binding (`durable_objects.bindings` in wrangler.toml)."""

    def idFromName(self, name: str, /) -> DurableObjectId: ...  # noqa: N802 - the JavaScript name

    def idFromString(self, hex_id: str, /) -> DurableObjectId: ...  # noqa: N802

    def newUniqueId(self, options: Options | None = None, /) -> DurableObjectId: ...  # noqa: N802

    def get(self, object_id: DurableObjectId, /) -> DurableObjectStub: ...

    def getByName(self, name: str, /) -> DurableObjectStub: ...  # noqa: N802


@runtime_checkable
class WorkersAI(Protocol):
    """The Workers AI binding (`[ai]` in wrangler.toml)."""

    async def run(self, model: str, inputs: Options, options: Options | None = None, /, **kwargs: Any) -> Any:
        """A result dict, or a `ReadableStream` of server-sent events when `inputs["stream"]` is true."""
        ...


@runtime_checkable
class AnalyticsEngineDataset(Protocol):
    """A Workers Analytics Engine dataset binding (`analytics_engine_datasets` in wrangler.toml)."""

    def writeDataPoint(self, point: Options | None = None, /, **fields: Any) -> None:  # noqa: N802
        """Queue one point (`blobs` <= 20, `doubles` <= 20, `indexes` <= 1); synchronous, do not await."""
        ...
