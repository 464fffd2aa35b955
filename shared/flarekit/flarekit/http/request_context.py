"""What a route handler receives: the request, the Worker's env and ctx, and the parsed URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class RequestContext:
    """One request as handlers see it; URL parsing happens once, lazily."""

    request: Any
    env: Any
    ctx: Any
    params: dict[str, str] = field(default_factory=dict)

    @cached_property
    def _url(self):
        return urlsplit(self.request.url)

    @property
    def path(self) -> str:
        return self._url.path or "/"

    @cached_property
    def query(self) -> dict[str, str]:
        """Query parameters (the first value of each)."""
        return {k: v[0] for k, v in parse_qs(self._url.query, keep_blank_values=True).items()}

    @cached_property
    def headers(self) -> Any:
        """The request headers, read once (the SDK builds a new mapping on every access)."""
        return self.request.headers

    @property
    def method(self) -> str:
        return str(self.request.method.value if hasattr(self.request.method, "value") else self.request.method)
