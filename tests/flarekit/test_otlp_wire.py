"""The protobuf wire layer under flarekit.otlp: varints, fields, and the bytes that are refused."""

from __future__ import annotations

import pytest

from flarekit.otlp.wire import (
    DecodeError,
    bytes_field,
    fields,
    int64,
    read_varint,
    string_field,
    varint_field,
    write_varint,
    zigzag,
)


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**32, 2**63 - 1, 2**64 - 1])
def test_varints_read_back_what_was_written(value):
    encoded = write_varint(value)
    assert read_varint(encoded, 0) == (value, len(encoded))


def test_a_negative_int64_is_written_as_ten_bytes_and_reads_back_signed():
    encoded = write_varint(-5)
    assert len(encoded) == 10
    raw, _ = read_varint(encoded, 0)
    assert int64(raw) == -5


@pytest.mark.parametrize(("raw", "value"), [(0, 0), (1, -1), (2, 1), (3, -2), (4294967294, 2147483647)])
def test_zigzag_decodes_sint_fields(raw, value):
    assert zigzag(raw) == value


def test_fields_are_listed_in_wire_order_with_their_payloads():
    message = varint_field(1, 150) + string_field(2, "hi") + bytes_field(3, b"\x00\x01")
    listed = list(fields(message, 0, len(message)))
    assert [(n, w) for n, w, _ in listed] == [(1, 0), (2, 2), (3, 2)]
    assert listed[0][2] == 150
    start, end = listed[1][2]
    assert message[start:end] == b"hi"


def test_proto3_leaves_zero_and_empty_fields_out():
    assert varint_field(1, 0) == b""
    assert string_field(2, "") == b""


def test_a_length_that_runs_past_the_message_is_refused():
    message = bytes_field(1, b"abcdef")[:-2]
    with pytest.raises(DecodeError):
        list(fields(message, 0, len(message)))


def test_a_varint_longer_than_ten_bytes_is_refused():
    with pytest.raises(DecodeError):
        read_varint(b"\xff" * 11, 0)


def test_group_wire_types_are_refused():
    with pytest.raises(DecodeError):
        list(fields(b"\x0b", 0, 1))  # field 1, wire type 3 (start group)


def test_field_number_zero_is_refused():
    with pytest.raises(DecodeError):
        list(fields(b"\x00\x01", 0, 2))
