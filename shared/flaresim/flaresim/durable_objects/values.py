"""What Durable Object storage and SQL do to Python values, as production's conversions do.

Storage values take the SDK's `python_to_rpc` path into V8's structured clone and come back
through `python_from_rpc`: tuples and bytearrays are refused, dicts come back as `JsDict`, whole
floats as ints, bytes as `memoryview`. flaresim keeps the converted value in a pickle (a private
format of the local SQLite files; production stores V8 serialization bytes instead).

SQL bindings are coerced the way workerd's `exec(query, ...bindings)` coerces JS values: a number
is bound as a double, a boolean becomes the string "true"/"false", any other object its JS string.
SQL results come back as JS numbers (64-bit integers lose precision past 2**53), strings, None and
`memoryview` for BLOBs.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import pickle
import types
from typing import Any

from pyodide.ffi import JsException

from flaresim.rpc_values import MAX_SAFE_INTEGER, JsDict, check_transferable, transfer

_UTC = _dt.UTC


def js_error(message: str, name: str = "Error") -> JsException:
    """An error as workerd throws it into Python (`str()` reads `Name: message`)."""
    return JsException(message, name)


def data_clone_error(value: Any) -> JsException:
    return js_error(
        f'Could not serialize object of type "{type(value).__name__}". This type does not support serialization.',
        "DataCloneError",
    )


# -- storage values ------------------------------------------------------------------------------


class _StoragePickler(pickle.Pickler):
    """Pickles only what a structured clone can hold; anything else is a DataCloneError."""

    def reducer_override(self, obj: Any) -> Any:
        # Exact dict/list/set/str/int/float/bytes/None never reach this hook (pickle's fast path).
        if type(obj) is memoryview:
            return memoryview, (obj.tobytes(),)
        if isinstance(obj, (JsDict, _dt.datetime, Exception)):
            return NotImplemented
        if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            # Classes and functions pickle refers to by name (JsDict, copyreg helpers); a user
            # function in a value was already turned into an RpcStub by `transfer`.
            return NotImplemented
        raise data_clone_error(obj)


def encode_value(value: Any) -> bytes:
    """Serialize a storage value (raises as `put()` does for values production cannot store)."""
    check_transferable(value)
    converted = transfer(value)
    buffer = io.BytesIO()
    _StoragePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(converted)
    return buffer.getvalue()


def decode_value(blob: bytes) -> Any:
    """A fresh copy of a stored value (each read returns a new object, as a structured clone does)."""
    # The blob was written by encode_value into this object's own local database.
    return pickle.loads(blob)  # noqa: S301


# -- JS string coercion ------------------------------------------------------------------------------


def js_number_string(number: float) -> str:
    """`String(number)` in JavaScript, for the values Python code sends."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    text = repr(number)
    mantissa, sep, exponent = text.partition("e")
    if sep:
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


def js_date_string(moment: _dt.datetime) -> str:
    """`String(new Date(...))` in a Worker (always UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(_UTC).replace(tzinfo=None)
    return moment.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def js_string(value: Any) -> str:
    """What JavaScript's `String(x)` makes of a Python value after `python_to_rpc` (None is null)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return js_number_string(value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, (set, frozenset)):
        return "[object Set]"
    if isinstance(value, _dt.datetime):
        return js_date_string(value)
    return repr(value)


def js_key(value: Any) -> str:
    """A storage key as workerd receives it: strings as they are, anything else `String(x)`."""
    if isinstance(value, str):
        return value
    if isinstance(value, (tuple, bytearray)):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    return js_string(value)


# -- SQL values -------------------------------------------------------------------------------------


def sql_binding(value: Any) -> Any:
    """A Python argument of `sql.exec` as workerd binds it (BLOB, TEXT, REAL or NULL)."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is float:
        return value
    if kind is int:
        # JS numbers are doubles: workerd binds every number with sqlite3_bind_double.
        return float(value)
    if kind is bool:
        # Booleans are not a binding type; Web IDL coerces them to the string type.
        return "true" if value else "false"
    if isinstance(value, (bytes, memoryview)):
        return bytes(value)
    if isinstance(value, (tuple, bytearray)):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    if isinstance(value, (int, float)):
        return float(value)
    return js_string(value)


def sql_result(value: Any) -> Any:
    """A column value as Python sees it after the trip through a JS number/string/ArrayBuffer."""
    kind = type(value)
    if kind is int:
        return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else float(value)
    if kind is float:
        if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
            return int(value)
        return value
    if kind is bytes:
        return memoryview(value)
    return value


def epoch_ms(value: Any, method: str) -> int:
    """A `Date` argument (epoch milliseconds or a datetime) as integer milliseconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float, _dt.datetime)):
        raise js_error(
            f"Failed to execute '{method}' on 'DurableObjectStorage': parameter 1 is not of type 'Date'.", "TypeError"
        )
    if isinstance(value, _dt.datetime):
        # Workers run in UTC, so a naive datetime means UTC there (not this machine's zone).
        aware = value if value.tzinfo is not None else value.replace(tzinfo=_UTC)
        return math.floor(aware.timestamp() * 1000)
    if isinstance(value, float) and not math.isfinite(value):
        raise js_error("Invalid Date", "RangeError")
    return math.floor(value)
