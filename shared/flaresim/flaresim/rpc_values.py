"""What happens to a Python value when it crosses the JavaScript boundary and comes back.

Production converts RPC arguments and results, Durable Object storage values and binding results
with the SDK's `python_to_rpc` (Python -> JS) and `python_from_rpc` (JS -> Python). flaresim has no
JS side, so `transfer` applies both halves at once, with the same refusals and the same surprises:
tuples and bytearrays are refused, dicts come back as `JsDict`, whole floats come back as ints,
bytes come back as `memoryview`, datetimes as naive UTC datetimes.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import math
from typing import Any

from pyodide.ffi import JsException, JsProxy, jsnull

# JS numbers are doubles: integers beyond this lose precision (and Pyodide hands them back as floats).
MAX_SAFE_INTEGER = 2**53 - 1


class JsDict(dict):
    """A dict that also allows attribute access (`row.name`), as the SDK's JsDict."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


class RpcStub:
    """A Python function sent over RPC: the receiver calls it asynchronously, values converted."""

    def __init__(self, fn: Any) -> None:
        self._fn = fn

    async def __call__(self, *args: Any) -> Any:
        result = self._fn(*[transfer(a) for a in args])
        if inspect.isawaitable(result):
            result = await result
        return transfer(result)


def _is_passthrough(value: Any) -> bool:
    # Bindings, Requests/Responses and JS values keep their identity across the boundary.
    return hasattr(value, "js_object") or isinstance(value, JsProxy) or getattr(value, "_flaresim_binding", False)


def check_transferable(value: Any) -> None:
    """Raise as the SDK does for values that cannot cross RPC (checked before any conversion)."""
    if _is_passthrough(value) or (callable(value) and not isinstance(value, type)):
        return
    if isinstance(value, (tuple, bytearray)):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    if inspect.isawaitable(value):
        raise TypeError(f"Awaitable {type(value)} cannot be sent over RPC.")
    if isinstance(value, dict):
        for item in value.values():
            check_transferable(item)
    elif isinstance(value, (list, set, frozenset)):
        for item in value:
            check_transferable(item)


def transfer(value: Any) -> Any:
    """Convert a value as a Python -> JS -> Python round trip does in production."""
    try:
        return _plain(value)
    except _NotPlain:
        pass
    check_transferable(value)
    return _convert(value)


class _NotPlain(Exception):
    """Raised by `_plain` on a value outside the JSON-like subset (the general path handles it)."""


def _plain(value: Any) -> Any:
    """The conversion of a JSON-like value (str, int, float, bool, None, lists and str-keyed dicts).

    Almost every RPC argument and result is one, so this single pass skips the general path's
    separate check walk and per-value dispatch; it builds new containers only, so on anything else
    (a tuple anywhere, bytes, a callable, a non-str key) it gives up with `_NotPlain` and the
    general path starts over from the original value, refusing or converting exactly as before.
    Scalars inside containers are handled inline: a call per element is most of what this costs.
    """
    kind = type(value)
    if kind is dict or kind is JsDict:
        out = JsDict()
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            kind = type(item)
            if kind is str or kind is bool or item is None:
                out[key] = item
            elif kind is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                out[key] = item
            else:
                out[key] = _plain(item)
        return out
    if kind is list:
        items: list[Any] = []
        append = items.append
        for item in value:
            kind = type(item)
            if kind is str or kind is bool or item is None:
                append(item)
            elif kind is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                append(item)
            else:
                append(_plain(item))
        return items
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else float(value)
    if kind is float:
        if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
            return int(value)
        return value
    if value is jsnull:
        return None
    raise _NotPlain


def _convert(value: Any) -> Any:
    if value is None or value is jsnull:
        return None
    kind = type(value)
    if kind is str or kind is bool:
        return value
    if kind is int:
        return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else float(value)
    if kind is float:
        if math.isfinite(value) and value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
            return int(value)
        return value
    if isinstance(value, dict):
        return JsDict({_key(k): _convert(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_convert(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {_convert(v) for v in value}
    if isinstance(value, (bytes, memoryview)):
        return memoryview(bytes(value))
    if isinstance(value, _dt.datetime):
        # A JS Date has millisecond precision; it comes back naive, in the Worker's zone (UTC).
        # Naive datetimes mean UTC: that is the time zone Workers run in, whatever this machine's is.
        aware = value if value.tzinfo is not None else value.replace(tzinfo=_dt.UTC)
        ms = math.floor(aware.timestamp() * 1000)
        return _dt.datetime(1970, 1, 1) + _dt.timedelta(milliseconds=ms)
    if isinstance(value, BaseException):
        return Exception(f"Error: {value}")
    if _is_passthrough(value):
        return value
    if callable(value) and not isinstance(value, type):
        return RpcStub(value)
    if isinstance(value, (int, float)):  # bool/int/float subclasses such as IntEnum
        return _convert(int(value) if isinstance(value, int) else float(value))
    if isinstance(value, str):
        return str(value)
    raise JsException(
        f'Could not serialize object of type "{type(value).__name__}". This type does not support serialization.',
        "DataCloneError",
    )


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return str(_convert(key))
    raise TypeError(f"object keys must be strings, got {type(key).__name__}")
