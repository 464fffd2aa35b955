"""The SSE parser reads upstream streams however they are chunked; the writer emits only data lines."""

from __future__ import annotations

import pytest

from flarekit.llm.sse import DONE, SSEParser, encode_data

STREAM = (
    b'data: {"a":1}\n\n'
    b": keep-alive comment\n\n"
    b"event: message_start\n"
    b'data: {"type":"message_start"}\n\n'
    b"data: line one\n"
    b"data: line two\n\n"
    b"data: [DONE]\n\n"
)
EXPECTED = [
    (b'{"a":1}', None),
    (b'{"type":"message_start"}', "message_start"),
    (b"line one\nline two", None),
    (b"[DONE]", None),
]


def _parse(pieces):
    parser = SSEParser()
    events = []
    for piece in pieces:
        events += parser.feed(piece)
    events += parser.close()
    return [(e.data, e.event) for e in events]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
def test_events_are_the_same_however_the_bytes_are_split(size):
    pieces = [STREAM[i : i + size] for i in range(0, len(STREAM), size)]
    assert _parse(pieces) == EXPECTED


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
def test_crlf_and_cr_line_endings_are_understood(newline):
    stream = STREAM.replace(b"\n", newline)
    assert _parse([stream]) == EXPECTED
    # A CRLF split between two reads must not count as two line breaks.
    assert _parse([stream[i : i + 1] for i in range(len(stream))]) == EXPECTED


def test_data_without_a_space_after_the_colon_is_read():
    assert _parse([b'data:{"x":2}\n\n']) == [(b'{"x":2}', None)]


def test_a_final_event_without_a_blank_line_is_dispatched_at_close():
    assert _parse([b'data: {"last":true}']) == [(b'{"last":true}', None)]


def test_written_events_are_data_lines_the_parser_reads_back():
    written = encode_data(b'{"id":"x"}') + DONE
    assert written == b'data: {"id":"x"}\n\ndata: [DONE]\n\n'
    assert _parse([written]) == [(b'{"id":"x"}', None), (b"[DONE]", None)]
