"""The protobuf wire format, as much of it as OTLP needs: reading fields and writing a few.

Reading is a loop over `(field number, wire type, value)` where a varint is its unsigned integer,
a length-delimited field is its `(start, end)` slice of the buffer, and a fixed32/fixed64 field is
its offset (the caller knows whether it holds an integer or a double). Unknown fields and fields
whose wire type does not match the schema are skipped, as proto3 parsers do.
(https://protobuf.dev/programming-guides/encoding/)
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5

U64 = struct.Struct("<Q").unpack_from
S64 = struct.Struct("<q").unpack_from
F64 = struct.Struct("<d").unpack_from
U32 = struct.Struct("<I").unpack_from
F32 = struct.Struct("<f").unpack_from

_INT64_SIGN = 1 << 63
_UINT64 = 1 << 64


class DecodeError(ValueError):
    """Bytes that are not a well-formed protobuf message (truncated, bad varint, bad wire type)."""


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """The unsigned varint at `pos` and the position after it."""
    byte = buf[pos]
    if byte < 0x80:
        return byte, pos + 1
    result = byte & 0x7F
    shift = 7
    pos += 1
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise DecodeError("varint longer than 10 bytes")


def fields(buf: bytes, pos: int, end: int) -> Iterator[tuple[int, int, int | tuple[int, int]]]:
    """Every field of the message in `buf[pos:end]`, in wire order."""
    while pos < end:
        key = buf[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = read_varint(buf, pos)
        number = key >> 3
        wire = key & 7
        if number == 0:
            raise DecodeError("field number 0")
        if wire == VARINT:
            value = buf[pos]
            if value < 0x80:
                pos += 1
            else:
                value, pos = read_varint(buf, pos)
            yield number, wire, value
        elif wire == LENGTH:
            length = buf[pos]
            if length < 0x80:
                pos += 1
            else:
                length, pos = read_varint(buf, pos)
            stop = pos + length
            if stop > end:
                raise DecodeError(f"field {number} runs past the end of its message")
            yield number, wire, (pos, stop)
            pos = stop
        elif wire == FIXED64:
            if pos + 8 > end:
                raise DecodeError(f"field {number} runs past the end of its message")
            yield number, wire, pos
            pos += 8
        elif wire == FIXED32:
            if pos + 4 > end:
                raise DecodeError(f"field {number} runs past the end of its message")
            yield number, wire, pos
            pos += 4
        else:
            raise DecodeError(f"unsupported wire type {wire} (field {number})")
    if pos != end:
        raise DecodeError("message ends inside a field")


def int64(value: int) -> int:
    """A varint read as a two's-complement int64."""
    return value - _UINT64 if value & _INT64_SIGN else value


def zigzag(value: int) -> int:
    """A varint read as sint32/sint64 (zigzag encoding)."""
    return (value >> 1) ^ -(value & 1)


# -- writing (responses only) ---------------------------------------------------------------------


def write_varint(value: int) -> bytes:
    """A varint; negative numbers as 64-bit two's complement (int32/int64 fields)."""
    if value < 0:
        value += _UINT64
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def varint_field(number: int, value: int) -> bytes:
    """A varint field; proto3 leaves zero out."""
    return b"" if value == 0 else write_varint(number << 3 | VARINT) + write_varint(value)


def bytes_field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (string, bytes, or an embedded message)."""
    return write_varint(number << 3 | LENGTH) + write_varint(len(payload)) + payload


def string_field(number: int, text: str) -> bytes:
    """A string field; proto3 leaves the empty string out."""
    return b"" if not text else bytes_field(number, text.encode())
