"""A reader for the `Span` message written out field by field: spans are most of what OTLP carries.

It gives exactly what the schema-driven reader gives (tests/telemetry compares both against the
official classes on random spans) in about 25% less time: field tags are compared as whole bytes
instead of being looked up, and the usual attribute (a string or integer value) is read inline.
"""

from __future__ import annotations

from flarekit.otlp import messages
from flarekit.otlp.wire import U32, U64, DecodeError, int64, read_varint

# Field keys (number << 3 | wire type) of Span, as single bytes.
_TRACE_ID, _SPAN_ID, _TRACE_STATE, _PARENT, _NAME = 0x0A, 0x12, 0x1A, 0x22, 0x2A
_KIND, _START, _END, _ATTRIBUTES, _DROPPED_ATTRIBUTES = 0x30, 0x39, 0x41, 0x4A, 0x50
_EVENTS, _DROPPED_EVENTS, _LINKS, _DROPPED_LINKS, _STATUS = 0x5A, 0x60, 0x6A, 0x70, 0x7A
_FLAGS = 16 << 3 | 5  # two-byte key 0x85 0x01


def read_span(buf: bytes, pos: int, end: int, depth: int, message_reader, key_value_reader) -> dict:
    """The Span in `buf[pos:end]`; `message_reader`/`key_value_reader` read what is rarely present."""
    trace_id = span_id = parent = trace_state = name = ""
    kind = start = finish = flags = 0
    dropped_attributes = dropped_events = dropped_links = 0
    attributes: dict = {}
    events: list = []
    links: list = []
    status = None
    while pos < end:
        key = buf[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = read_varint(buf, pos)
        wire_type = key & 7
        if wire_type == 2:
            length = buf[pos]
            if length < 0x80:
                pos += 1
            else:
                length, pos = read_varint(buf, pos)
            stop = pos + length
            if stop > end:
                raise DecodeError("a Span field runs past the end of the span")
            if key == _ATTRIBUTES:
                # The usual KeyValue: key (0x0A len bytes), value (0x12 len) holding a string (0x0A)
                # or an int (0x18), in valid UTF-8 (strict decoding is faster); anything else goes
                # through the general reader.
                if stop - pos > 3 and buf[pos] == 0x0A and buf[pos + 1] < 0x80:
                    key_end = pos + 2 + buf[pos + 1]
                    if key_end + 2 < stop and buf[key_end] == 0x12 and key_end + 2 + buf[key_end + 1] == stop:
                        tag = buf[key_end + 2]
                        try:
                            if tag == 0x0A and key_end + 4 + buf[key_end + 3] == stop and buf[key_end + 3] < 0x80:
                                attributes[buf[pos + 2 : key_end].decode()] = buf[key_end + 4 : stop].decode()
                                pos = stop
                                continue
                            if tag == 0x18:
                                value, after = read_varint(buf, key_end + 3)
                                if after == stop:
                                    attributes[buf[pos + 2 : key_end].decode()] = int64(value)
                                    pos = stop
                                    continue
                        except UnicodeDecodeError:
                            pass
                attribute, value = key_value_reader(buf, pos, stop, depth + 1)
                attributes[attribute] = value
            elif key == _TRACE_ID:
                trace_id = buf[pos:stop].hex()
            elif key == _SPAN_ID:
                span_id = buf[pos:stop].hex()
            elif key == _PARENT:
                parent = buf[pos:stop].hex()
            elif key == _NAME:
                name = buf[pos:stop].decode("utf-8", "replace")
            elif key == _TRACE_STATE:
                trace_state = buf[pos:stop].decode("utf-8", "replace")
            elif key == _STATUS:
                status = message_reader(buf, pos, stop, messages.STATUS, depth + 1)
            elif key == _EVENTS:
                events.append(message_reader(buf, pos, stop, messages.SPAN_EVENT, depth + 1))
            elif key == _LINKS:
                links.append(message_reader(buf, pos, stop, messages.SPAN_LINK, depth + 1))
            pos = stop
        elif wire_type == 1:
            if pos + 8 > end:
                raise DecodeError("a Span field runs past the end of the span")
            if key == _START:
                start = U64(buf, pos)[0]
            elif key == _END:
                finish = U64(buf, pos)[0]
            pos += 8
        elif wire_type == 0:
            value = buf[pos]
            if value < 0x80:
                pos += 1
            else:
                value, pos = read_varint(buf, pos)
            if key == _KIND:
                kind = int64(value)
            elif key == _DROPPED_ATTRIBUTES:
                dropped_attributes = value
            elif key == _DROPPED_EVENTS:
                dropped_events = value
            elif key == _DROPPED_LINKS:
                dropped_links = value
        elif wire_type == 5:
            if pos + 4 > end:
                raise DecodeError("a Span field runs past the end of the span")
            if key == _FLAGS:
                flags = U32(buf, pos)[0]
            pos += 4
        else:
            raise DecodeError(f"unsupported wire type {wire_type} in a Span")
        if key >> 3 == 0:
            raise DecodeError("field number 0")
    if pos != end:
        raise DecodeError("Span ends inside a field")
    return {
        "trace_id": trace_id,
        "span_id": span_id,
        "trace_state": trace_state,
        "parent_span_id": parent,
        "flags": flags,
        "name": name,
        "kind": kind,
        "start_time_unix_nano": start,
        "end_time_unix_nano": finish,
        "attributes": attributes,
        "dropped_attributes_count": dropped_attributes,
        "events": events,
        "dropped_events_count": dropped_events,
        "links": links,
        "dropped_links_count": dropped_links,
        "status": status if status is not None else messages.STATUS.empty(),
    }
