"""The subset of the JavaScript global scope that Workers code reaches through `import js`.

Only what our Workers use (and what the SDK's own helpers use) is modelled: byte arrays and streams
(`_streams.py`), `Date`, `Object.fromEntries`, `Error`, `JSON`, `console`, `Headers`,
`queueMicrotask`. Anything else raises AttributeError, as a missing global would.
"""

from __future__ import annotations

import asyncio
import json as _json
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC
from typing import Any

from pyodide.ffi import JsException, JsProxy

from flaresim.js_coercion import js_string

from ._streams import ArrayBuffer, ReadableStream, TransformStream, Uint8Array, WritableStream
from ._websockets import WebSocketPair

__all__ = [
    "JSON",
    "ArrayBuffer",
    "Date",
    "Error",
    "Headers",
    "Object",
    "ReadableStream",
    "TransformStream",
    "Uint8Array",
    "WebSocketPair",
    "WritableStream",
    "console",
    "queueMicrotask",
]

# The runtime sets this to its clock so `Date.now()` follows flaresim's (possibly fake) time.
_clock: Callable[[], float] = time.time


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
    """A JS Headers object as workerd keeps it: lower-cased names, trimmed values, checked syntax.

    Iteration follows the Fetch standard as workerd implements it: sorted by name, values of a
    repeated name joined with ", ", except Set-Cookie whose values stay separate.
    """

    _js_name = "Headers"

    def __init__(self, items: Iterable[tuple[Any, Any]] = ()) -> None:
        self._items: list[tuple[str, str]] = [_checked(k, v) for k, v in items]

    @classmethod
    def new(cls, items: Any = ()) -> Headers:
        if isinstance(items, Headers):
            return cls(items._items)
        if isinstance(items, dict):
            items = items.items()
        return cls(items)

    def get(self, name: str) -> Any:
        key = name.lower()
        values = [v for k, v in self._items if k == key]
        return ", ".join(values) if values else None

    def getSetCookie(self) -> list[str]:  # noqa: N802 - JS name
        return [v for k, v in self._items if k == "set-cookie"]

    def has(self, name: str) -> bool:
        key = name.lower()
        return any(k == key for k, _ in self._items)

    def set(self, name: str, value: Any) -> None:
        pair = _checked(name, value)
        self._items = [(k, v) for k, v in self._items if k != pair[0]] + [pair]

    def append(self, name: str, value: Any) -> None:
        self._items.append(_checked(name, value))

    def delete(self, name: str) -> None:
        key = name.lower()
        self._items = [(k, v) for k, v in self._items if k != key]

    def entries(self) -> Iterator[tuple[str, str]]:
        return iter(_sorted_combined(self._items))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(_sorted_combined(self._items))


# RFC 9110 token characters: what a header name may contain.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]*")
_BAD_VALUE = re.compile(r"[\r\n\x00]")


def _checked(name: Any, value: Any) -> tuple[str, str]:
    key, text = js_string(name).lower(), js_string(value).strip(" \t\r\n")
    if not _HEADER_NAME.fullmatch(key):
        raise JsException("Invalid header name.", "TypeError")
    if _BAD_VALUE.search(text):
        raise JsException("Invalid header value.", "TypeError")
    return key, text


def _sorted_combined(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Header pairs as JS iteration yields them (sorted, repeated names combined but Set-Cookie)."""
    combined: dict[str, list[str]] = {}
    cookies: list[tuple[str, str]] = []
    for key, value in pairs:
        if key == "set-cookie":
            cookies.append((key, value))
        else:
            combined.setdefault(key, []).append(value)
    entries = [(key, ", ".join(values)) for key, values in combined.items()] + cookies
    entries.sort(key=lambda entry: entry[0])  # stable: Set-Cookie values keep their order
    return entries


def queueMicrotask(callback: Callable[[], Any]) -> None:  # noqa: N802 - JS name
    asyncio.get_running_loop().call_soon(callback)
