"""The subset of `pyodide.ffi` that Workers code uses, modelled on Pyodide 0.28.

flaresim has no JavaScript engine: "JS objects" are small Python classes that carry a
`constructor.name` so the SDK-style type checks (`_is_js_instance`) behave as in production.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class _Constructor:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class JsProxy:
    """Base of every simulated JS value; `constructor.name` is the JS class name."""

    _js_name = "Object"

    @property
    def constructor(self) -> _Constructor:
        return _Constructor(self._js_name)

    def to_py(self, **_kwargs: Any) -> Any:
        return self


class JsBuffer(JsProxy):
    _js_name = "ArrayBuffer"


class JsNull:
    """JS `null` as Pyodide >= 0.28 exposes it: falsy, not `None`, and of type `JsNull`."""

    _instance: JsNull | None = None

    def __new__(cls) -> JsNull:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "jsnull"


_JsNull = JsNull  # the name this class had before the Pyodide tier compared type names
jsnull = JsNull()


class JsException(Exception):
    """An error thrown by JavaScript; `str()` reads like JS's `Error.toString()`."""

    def __init__(self, message: str, name: str = "Error") -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class _PyProxy(JsProxy):
    _js_name = "Function"

    def __init__(self, obj: Any) -> None:
        self._obj = obj
        self._destroyed = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._destroyed:
            raise JsException("Object has already been destroyed")
        return self._obj(*args, **kwargs)

    def destroy(self) -> None:
        self._destroyed = True

    def __await__(self):  # a proxied Task/Future can be awaited like a JS promise
        return self._obj.__await__()


def create_proxy(obj: Any, **_kwargs: Any) -> _PyProxy:
    """Wrap a Python object so "JavaScript" may keep a reference to it."""
    return _PyProxy(obj)


def create_once_callable(fn: Callable[..., Any], **_kwargs: Any) -> _PyProxy:
    """A proxy that may be called once, as Pyodide's."""
    return _PyProxy(fn)


def destroy_proxies(proxies: Any) -> None:
    """Destroy every proxy in a list."""
    for proxy in proxies:
        proxy.destroy()


def to_js(obj: Any, **_kwargs: Any) -> Any:
    """Convert bytes-like objects to a `Uint8Array`; other values pass through unchanged."""
    if isinstance(obj, (bytes, bytearray, memoryview)):
        from js import Uint8Array

        return Uint8Array.new(bytes(obj))
    return obj


def run_sync(_awaitable: Any) -> Any:
    """JSPI is not available outside workerd; production raises the same when there is no suspender."""
    raise RuntimeError("No suspender")
