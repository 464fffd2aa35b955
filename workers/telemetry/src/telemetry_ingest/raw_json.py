"""Parsing the ingest bodies while keeping each event's source text.

An event is stored as the JSON the client sent, with the server's fields appended, instead of being
encoded again: CPython's encoder costs about 8 µs for a typical 400-byte event, which would be most
of a 1,000-event batch's time. Elements are parsed one by one with the json module's own scanner
(the same C code `json.loads` runs), which also gives where each one starts and ends.
"""

from __future__ import annotations

import json
from json.decoder import WHITESPACE
from typing import Any, NamedTuple

from flarekit.errors import HTTPError

Element = tuple[Any, str]
"""An array element: its parsed value and its source text (a plain tuple: one is made per event)."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
_raw_decode = _DECODER.raw_decode
_scan_once = _DECODER.scan_once  # what raw_decode calls, without its wrapper: once per element
_skip = WHITESPACE.match
_scanstring = json.decoder.scanstring


class Document(NamedTuple):
    """A parsed body: the top-level value, and for the events array, each element's text."""

    value: Any  # dict or list (with the events array replaced by None), or another JSON value
    events: list[Element] | None


def _malformed(message: str) -> HTTPError:
    return HTTPError(400, message, code="malformed_body")


def _fail(text: str, message: str, index: int) -> HTTPError:
    return _malformed(f"Malformed JSON: {json.JSONDecodeError(message, text, index)}")


def _elements(text: str, index: int) -> tuple[list[Element], int]:
    """The elements of the array starting at `text[index] == "["`, and the index after it."""
    elements: list[Element] = []
    append = elements.append
    index = _skip(text, index + 1).end()
    if text[index : index + 1] == "]":
        return elements, index + 1
    while True:
        try:
            value, end = _scan_once(text, index)
        except StopIteration as stop:
            raise _fail(text, "Expecting value", stop.value) from None
        append((value, text[index:end]))
        # Compact JSON (what clients send) has the delimiter right after the value: skip the regex.
        delimiter = text[end : end + 1]
        if delimiter == "," and text[end + 1 : end + 2] == "{":
            index = end + 1
            continue
        index = _skip(text, end).end()
        delimiter = text[index : index + 1]
        if delimiter == "]":
            return elements, index + 1
        if delimiter != ",":
            raise _fail(text, "Expecting ',' delimiter", index)
        index = _skip(text, index + 1).end()


def _object(text: str, index: int, array_key: str) -> tuple[dict, list[Element] | None, int]:
    """The object at `text[index] == "{"`; the member `array_key`, when an array, is split into elements."""
    members: dict[str, Any] = {}
    events = None
    index = _skip(text, index + 1).end()
    if text[index : index + 1] == "}":
        return members, events, index + 1
    while True:
        if text[index : index + 1] != '"':
            raise _fail(text, "Expecting property name enclosed in double quotes", index)
        key, index = _scanstring(text, index + 1)
        index = _skip(text, index).end()
        if text[index : index + 1] != ":":
            raise _fail(text, "Expecting ':' delimiter", index)
        index = _skip(text, index + 1).end()
        if key == array_key and text[index : index + 1] == "[":
            events, index = _elements(text, index)
            members[key] = None
        else:
            members[key], index = _raw_decode(text, index)
            if key == array_key:
                events = None  # a later non-array value replaces an earlier array, as json.loads would
        index = _skip(text, index).end()
        delimiter = text[index : index + 1]
        if delimiter == "}":
            return members, events, index + 1
        if delimiter != ",":
            raise _fail(text, "Expecting ',' delimiter", index)
        index = _skip(text, index + 1).end()


def parse_events_body(body: bytes, array_key: str | None = None) -> Document:
    """Parse a body whose events are the top-level array, or the `array_key` member of an object."""
    if not body:
        raise _malformed("Request body is empty; expected JSON")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _malformed("Request body is not UTF-8") from None
    try:
        index = _skip(text, 0).end()
        first = text[index : index + 1]
        if first == "[" and array_key is None:
            events, index = _elements(text, index)
            value: Any = None
        elif first == "{" and array_key is not None:
            value, events, index = _object(text, index, array_key)
        elif first == "{":
            single, end = _raw_decode(text, index)
            value, events = None, [(single, text[index:end])]
            index = end
        else:
            value, index = _raw_decode(text, index)
            events = None
        index = _skip(text, index).end()
        if index != len(text):
            raise _fail(text, "Extra data", index)
    except HTTPError:
        raise
    except RecursionError:
        raise _malformed("JSON nested too deeply") from None
    except StopIteration as stop:  # the scanner's way of saying "no value here"
        raise _fail(text, "Expecting value", stop.value) from None
    except ValueError as error:
        raise _malformed(f"Malformed JSON: {error}") from None
    return Document(value, events)
