"""How an OTLP message is described once and decoded from both of its encodings.

A `Message` maps protobuf field numbers (and OTLP/JSON's lowerCamelCase names) to a `Field` with
a `Kind`. The protobuf reader (`protobuf.py`) and the OTLP/JSON reader (`json_form.py`) walk the same
schema, so a message reads the same whichever encoding it came in.

The decoded form is plain Python: dicts keyed by the proto field names (snake_case), trace and span
ids as lowercase hex, `KeyValue` lists as dicts, `AnyValue` as the value itself (str, bool, int,
float, list, dict; bytes as base64 text, as OTLP/JSON writes them), enums and 64-bit integers as ints,
non-finite doubles as the strings "NaN", "Infinity", "-Infinity" (so the result is valid JSON).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Kind(enum.Enum):
    STRING = "string"
    ID = "id"  # bytes shown as lowercase hex (trace_id, span_id)
    BYTES = "bytes"  # bytes shown as base64
    UINT = "uint"  # uint32 / uint64 varint
    INT = "int"  # int32 / int64 varint (two's complement)
    SINT = "sint"  # sint32 / sint64 (zigzag)
    BOOL = "bool"
    ENUM = "enum"
    FIXED64 = "fixed64"
    SFIXED64 = "sfixed64"
    FIXED32 = "fixed32"
    DOUBLE = "double"
    MESSAGE = "message"
    ATTRIBUTES = "attributes"  # repeated KeyValue, decoded as one dict
    ANY = "any"  # AnyValue, decoded as the value itself
    PACKED_FIXED64 = "packed_fixed64"
    PACKED_DOUBLE = "packed_double"
    PACKED_UINT = "packed_uint"


# The protobuf wire type each kind is written with (packed kinds also accept their unpacked form).
WIRE_TYPE = {
    Kind.STRING: 2,
    Kind.ID: 2,
    Kind.BYTES: 2,
    Kind.UINT: 0,
    Kind.INT: 0,
    Kind.SINT: 0,
    Kind.BOOL: 0,
    Kind.ENUM: 0,
    Kind.FIXED64: 1,
    Kind.SFIXED64: 1,
    Kind.FIXED32: 5,
    Kind.DOUBLE: 1,
    Kind.MESSAGE: 2,
    Kind.ATTRIBUTES: 2,
    Kind.ANY: 2,
    Kind.PACKED_FIXED64: 2,
    Kind.PACKED_DOUBLE: 2,
    Kind.PACKED_UINT: 2,
}

_SCALAR_DEFAULTS = {
    Kind.STRING: "",
    Kind.ID: "",
    Kind.BYTES: "",
    Kind.UINT: 0,
    Kind.INT: 0,
    Kind.SINT: 0,
    Kind.BOOL: False,
    Kind.ENUM: 0,
    Kind.FIXED64: 0,
    Kind.SFIXED64: 0,
    Kind.FIXED32: 0,
    Kind.DOUBLE: 0.0,
    Kind.ANY: None,
}

_LIST_KINDS = frozenset({Kind.PACKED_FIXED64, Kind.PACKED_DOUBLE, Kind.PACKED_UINT})


def camel(name: str) -> str:
    """OTLP/JSON's key for a proto field name: `start_time_unix_nano` -> `startTimeUnixNano`."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class Field:
    """One field of a message: its name, kind, and the message schema for MESSAGE fields."""

    name: str
    kind: Kind
    message: Message | None = None
    repeated: bool = False
    optional: bool = False  # proto3 `optional` or a oneof member: None when absent
    json_name: str = ""

    def __post_init__(self) -> None:
        if not self.json_name:
            object.__setattr__(self, "json_name", camel(self.name))


@dataclass(frozen=True)
class Message:
    """A message schema: fields by number (protobuf) and by lowerCamelCase name (OTLP/JSON)."""

    name: str
    fields: dict[int, Field]
    by_json: dict[str, Field] = field(init=False, repr=False, compare=False)
    # number -> (name, kind, wire type, repeated, sub-message): what the protobuf reader looks up.
    table: dict[int, tuple] = field(init=False, repr=False, compare=False)
    _immutable: dict = field(init=False, repr=False, compare=False)
    _mutable: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_json", {f.json_name: f for f in self.fields.values()})
        table = {n: (f.name, f.kind, WIRE_TYPE[f.kind], f.repeated, f.message) for n, f in self.fields.items()}
        object.__setattr__(self, "table", table)
        fixed = {f.name: default(f) for f in self.fields.values() if not _is_mutable(f)}
        object.__setattr__(self, "_immutable", fixed)
        mutable = tuple(
            (f.name, f.message if f.kind is Kind.MESSAGE and not f.repeated else None, f.kind is Kind.ATTRIBUTES)
            for f in self.fields.values()
            if _is_mutable(f)
        )
        object.__setattr__(self, "_mutable", mutable)

    def empty(self) -> dict:
        """The decoded form of this message with every field at its default."""
        out = self._immutable.copy()
        for name, sub, is_map in self._mutable:
            out[name] = sub.empty() if sub is not None else {} if is_map else []
        return out


def _is_mutable(f: Field) -> bool:
    return f.repeated or f.kind in _LIST_KINDS or (not f.optional and f.kind in (Kind.ATTRIBUTES, Kind.MESSAGE))


def default(f: Field):
    """A field's value when the message does not carry it."""
    if f.repeated or f.kind in _LIST_KINDS:
        return []
    if f.optional:
        return None
    if f.kind is Kind.ATTRIBUTES:
        return {}
    if f.kind is Kind.MESSAGE:
        assert f.message is not None
        return f.message.empty()
    return _SCALAR_DEFAULTS[f.kind]


def message(name: str, *specs: tuple) -> Message:
    """Build a Message from `(number, name, kind[, sub-message][, "repeated"|"optional"])` tuples."""
    fields: dict[int, Field] = {}
    for number, fname, kind, *extra in specs:
        sub = next((e for e in extra if isinstance(e, Message)), None)
        fields[number] = Field(fname, kind, message=sub, repeated="repeated" in extra, optional="optional" in extra)
    return Message(name, fields)
