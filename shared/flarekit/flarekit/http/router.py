"""A small router: method + path template -> async handler, built once per isolate.

Templates use `{name}` for one path segment and `{name:path}` for the rest of the path.
Static paths are a dict lookup; templates are tried in the order they were added.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[..., Awaitable[Any]]

_PARAM = re.compile(r"\{(\w+)(?::(path))?\}")


class NotFound(Exception):
    """No route has this path."""


class MethodNotAllowed(Exception):
    """The path exists but not for this method; `allowed` lists the methods that are."""

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


@dataclass(frozen=True)
class Match:
    handler: Handler
    params: dict[str, str]
    template: str


def _compile(template: str) -> re.Pattern[str]:
    pattern, last = "", 0
    for param in _PARAM.finditer(template):
        pattern += re.escape(template[last : param.start()])
        pattern += f"(?P<{param.group(1)}>.+)" if param.group(2) else f"(?P<{param.group(1)}>[^/]+)"
        last = param.end()
    pattern += re.escape(template[last:])
    return re.compile(f"^{pattern}$")


@dataclass
class Router:
    """Routes requests by method and path."""

    _static: dict[str, dict[str, tuple[Handler, str]]] = field(default_factory=dict)
    _dynamic: list[tuple[re.Pattern[str], dict[str, Handler], str]] = field(default_factory=list)

    def add(self, method: str, template: str, handler: Handler) -> None:
        """Register `handler` for `method` on `template`."""
        method = method.upper()
        if _PARAM.search(template) is None:
            self._static.setdefault(template, {})[method] = (handler, template)
            return
        for _pattern, methods, existing in self._dynamic:
            if existing == template:
                methods[method] = handler
                return
        self._dynamic.append((_compile(template), {method: handler}, template))

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        """Decorator form of `add`."""

        def register(handler: Handler) -> Handler:
            self.add(method, template, handler)
            return handler

        return register

    def match(self, method: str, path: str) -> Match:
        """Find the handler for a request, or raise NotFound / MethodNotAllowed."""
        method = method.upper()
        static = self._static.get(path)
        if static is not None:
            found = static.get(method) or (static.get("GET") if method == "HEAD" else None)
            if found is None:
                raise MethodNotAllowed(sorted(static))
            return Match(found[0], {}, found[1])
        allowed: list[str] = []
        for pattern, methods, template in self._dynamic:
            matched = pattern.match(path)
            if matched is None:
                continue
            handler = methods.get(method) or (methods.get("GET") if method == "HEAD" else None)
            if handler is None:
                allowed.extend(methods)
                continue
            return Match(handler, matched.groupdict(), template)
        if allowed:
            raise MethodNotAllowed(sorted(set(allowed)))
        raise NotFound(path)
