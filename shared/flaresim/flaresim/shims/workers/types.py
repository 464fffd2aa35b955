"""Type aliases from `workers.types`."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol, TypeAlias, TypedDict


class Context(Protocol):
    def waitUntil(self, other: Awaitable[Any]) -> None: ...  # noqa: N802 - JS name


JSBody: TypeAlias = Any
Body: TypeAlias = Any
Headers: TypeAlias = "dict[str, str] | list[tuple[str, str]] | Any"


class RequestInitCfProperties(TypedDict, total=False):
    cacheEverything: bool | None
    cacheKey: str | None
    cacheTtl: int


class FetchKwargs(TypedDict, total=False):
    headers: Any
    body: Any
    method: Any
    redirect: str | None
    cf: RequestInitCfProperties | None
    fetcher: Any
