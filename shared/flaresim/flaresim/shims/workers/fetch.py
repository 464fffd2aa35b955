"""`workers.fetch`, simulated: real HTTP through the runtime's outbound client."""

from __future__ import annotations

from typing import Any

from flaresim.context import current_runtime

from .request import Request
from .response import Response


async def fetch(resource: Any, **options: Any) -> Response:
    """Send a request (a URL or a `Request`) and return the `Response`."""
    fetcher = options.pop("fetcher", None)
    if isinstance(resource, Request) and not options:
        request = resource
    else:
        request = Request(resource, **options)
    if fetcher is not None:
        return await fetcher(request)
    return await current_runtime().outbound.fetch(request)
