"""Read OTLP/JSON into the same plain-Python form the protobuf reader gives.

OTLP/JSON rules (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): keys are
lowerCamelCase; trace and span ids are hex strings; enums are integers; 64-bit integers are decimal
strings (numbers are accepted too); unknown keys are ignored. We are lenient where exporters are
known to go wrong: ids in base64 (generic protobuf JSON mappers write them so) are converted to hex,
and enum names (`"SPAN_KIND_SERVER"`) are read as their numbers.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from flarekit.otlp.protobuf import MAX_DEPTH, double
from flarekit.otlp.schema import Field, Kind, Message
from flarekit.otlp.wire import DecodeError

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_NON_FINITE = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}
_INTEGER_KINDS = frozenset({Kind.UINT, Kind.INT, Kind.SINT, Kind.FIXED64, Kind.SFIXED64, Kind.FIXED32, Kind.ENUM})

# Enum names some exporters write instead of numbers (proto enum value names).
ENUM_NAMES = {
    **{
        f"SPAN_KIND_{name}": n
        for n, name in enumerate(("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"))
    },
    **{f"STATUS_CODE_{name}": n for n, name in enumerate(("UNSET", "OK", "ERROR"))},
    **{f"AGGREGATION_TEMPORALITY_{name}": n for n, name in enumerate(("UNSPECIFIED", "DELTA", "CUMULATIVE"))},
    "SEVERITY_NUMBER_UNSPECIFIED": 0,
    **{
        f"SEVERITY_NUMBER_{level}{'' if i == 0 else i + 1}": base + i
        for base, level in ((1, "TRACE"), (5, "DEBUG"), (9, "INFO"), (13, "WARN"), (17, "ERROR"), (21, "FATAL"))
        for i in range(4)
    },
}


def from_json(document: Any, schema: Message) -> dict:
    """The message `schema` read from a parsed OTLP/JSON document; DecodeError when it does not fit."""
    if not isinstance(document, dict):
        raise DecodeError(f"{schema.name} must be a JSON object")
    return _message(document, schema, 0)


def hex_id(raw: str) -> str:
    """An id as lowercase hex: hex stays hex; base64 of 8 or 16 bytes is converted; anything else is kept."""
    if len(raw) in (16, 32) and _HEX_DIGITS.issuperset(raw):
        return raw.lower()
    if not raw:
        return ""
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=b"-_" if "-" in raw or "_" in raw else None)
    except (binascii.Error, ValueError):
        return raw
    return decoded.hex() if len(decoded) in (8, 16) else raw


def _message(obj: dict, schema: Message, depth: int) -> dict:
    if depth > MAX_DEPTH:
        raise DecodeError("OTLP/JSON nested too deeply")
    out = schema.empty()
    by_json = schema.by_json
    for key, raw in obj.items():
        f = by_json.get(key)
        if f is None or raw is None:
            continue
        if f.repeated:
            if not isinstance(raw, list):
                raise DecodeError(f"{schema.name}.{key} must be an array")
            out[f.name] = [_value(item, f, schema, depth) for item in raw]
        else:
            out[f.name] = _value(raw, f, schema, depth)
    return out


def _value(raw: Any, f: Field, schema: Message, depth: int) -> Any:
    kind = f.kind
    where = f"{schema.name}.{f.json_name}"
    if kind is Kind.MESSAGE:
        if not isinstance(raw, dict):
            raise DecodeError(f"{where} must be an object")
        assert f.message is not None
        return _message(raw, f.message, depth + 1)
    if kind is Kind.ATTRIBUTES:
        return attributes(raw, where, depth + 1)
    if kind is Kind.STRING or kind is Kind.BYTES:
        if not isinstance(raw, str):
            raise DecodeError(f"{where} must be a string")
        return raw
    if kind is Kind.ID:
        if not isinstance(raw, str):
            raise DecodeError(f"{where} must be a hex string")
        return hex_id(raw)
    if kind in _INTEGER_KINDS:
        if kind is Kind.ENUM and isinstance(raw, str) and raw in ENUM_NAMES:
            return ENUM_NAMES[raw]
        return integer(raw, where)
    if kind is Kind.DOUBLE:
        return number(raw, where)
    if kind is Kind.BOOL:
        if not isinstance(raw, bool):
            raise DecodeError(f"{where} must be true or false")
        return raw
    if kind is Kind.ANY:
        return any_value(raw, where, depth + 1)
    if kind is Kind.PACKED_DOUBLE:
        return [number(item, where) for item in _array(raw, where)]
    if kind is Kind.PACKED_FIXED64 or kind is Kind.PACKED_UINT:
        return [integer(item, where) for item in _array(raw, where)]
    raise AssertionError(f"unhandled kind {kind}")


def _array(raw: Any, where: str) -> list:
    if not isinstance(raw, list):
        raise DecodeError(f"{where} must be an array")
    return raw


def integer(raw: Any, where: str) -> int:
    """A 64-bit integer written as a number or a decimal string."""
    if isinstance(raw, bool):
        raise DecodeError(f"{where} must be an integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        try:
            return int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if value.is_integer():
                return int(value)
    raise DecodeError(f"{where} must be an integer, got {raw!r:.40}")


def number(raw: Any, where: str) -> float | str:
    """A double written as a number, a numeric string, or "NaN"/"Infinity"/"-Infinity"."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return double(float(raw))
    if isinstance(raw, str):
        if raw in _NON_FINITE:
            return raw
        try:
            return double(float(raw))
        except ValueError:
            pass
    raise DecodeError(f"{where} must be a number, got {raw!r:.40}")


def attributes(raw: Any, where: str, depth: int) -> dict:
    """A `KeyValue` list as a dict (a later duplicate key wins, as in the protobuf reader)."""
    if not isinstance(raw, list):
        raise DecodeError(f"{where} must be an array of {{key, value}}")
    out = {}
    for item in raw:
        if not isinstance(item, dict):
            raise DecodeError(f"{where} must be an array of {{key, value}}")
        key = item.get("key", "")
        if not isinstance(key, str):
            raise DecodeError(f"{where}[].key must be a string")
        value = item.get("value")
        out[key] = None if value is None else any_value(value, where, depth + 1)
    return out


def any_value(raw: Any, where: str, depth: int) -> Any:
    """An AnyValue object (`{"stringValue": ...}`, `{"intValue": "5"}`, ...) as the value it holds."""
    if depth > MAX_DEPTH:
        raise DecodeError("OTLP/JSON nested too deeply")
    if not isinstance(raw, dict):
        raise DecodeError(f"{where} values must be AnyValue objects")
    for key, item in raw.items():
        if item is None:
            continue
        if key == "stringValue":
            if not isinstance(item, str):
                raise DecodeError(f"{where}: stringValue must be a string")
            return item
        if key == "intValue":
            return integer(item, where)
        if key == "boolValue":
            if not isinstance(item, bool):
                raise DecodeError(f"{where}: boolValue must be true or false")
            return item
        if key == "doubleValue":
            return number(item, where)
        if key == "arrayValue":
            values = item.get("values", []) if isinstance(item, dict) else None
            return [any_value(v, where, depth + 1) for v in _array(values, where)]
        if key == "kvlistValue":
            values = item.get("values", []) if isinstance(item, dict) else None
            return attributes(values, where, depth + 1)
        if key == "bytesValue":
            if not isinstance(item, str):
                raise DecodeError(f"{where}: bytesValue must be base64 text")
            return item
    return None
