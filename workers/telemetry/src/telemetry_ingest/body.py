"""Reading a request body: streamed, decompressed on the fly, and cut off at the size limit.

The limit applies after decompression, so a small gzip bomb is refused as soon as its output passes
the limit, without ever holding more than the limit in memory. workerd may already have decoded a
gzip body (that is not documented for requests), so the magic bytes decide, not only the header.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from flarekit.errors import HTTPError

_GZIP_MAGIC = b"\x1f\x8b"
_AUTO_WBITS = 32 + zlib.MAX_WBITS  # gzip or zlib, by header
SUPPORTED_ENCODINGS = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})


class BodyTooLarge(HTTPError):
    """413: the body, after decompression, is over the limit (clients must not retry it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"Request body is larger than {limit} bytes after decompression",
            code="payload_too_large",
        )


def _malformed(message: str) -> HTTPError:
    return HTTPError(400, message, code="malformed_body")


def _compressed(first: bytes) -> bool:
    if first[:2] == _GZIP_MAGIC:
        return True
    # A zlib stream: compression method 8 and a header checksum divisible by 31 (RFC 1950).
    return len(first) >= 2 and first[0] & 0x0F == 8 and ((first[0] << 8) | first[1]) % 31 == 0


async def read_body(request: Any, content_encoding: str | None, content_length: str | None, limit: int) -> bytes:
    """The body as bytes, decompressed when it is gzip or deflate; 413 over `limit`, 400 when corrupt."""
    encoding = (content_encoding or "").strip().lower()
    if encoding not in SUPPORTED_ENCODINGS:
        raise HTTPError(
            415,
            f"Content-Encoding {encoding!r} is not supported (use gzip, deflate or none)",
            code="unsupported_encoding",
        )
    if content_length and content_length.isdigit() and int(content_length) > limit:
        raise BodyTooLarge(limit)
    stream = request.body
    if not stream:  # no body: None here, JS null (falsy) on Pyodide
        return b""
    inflater = None
    decided = encoding in ("", "identity")
    parts: list[bytes] = []
    size = 0
    async for chunk in stream:
        data = chunk.to_bytes() if hasattr(chunk, "to_bytes") else bytes(chunk)
        if not data:
            continue
        if not decided:
            decided = True
            if _compressed(data):
                inflater = zlib.decompressobj(_AUTO_WBITS)
        if inflater is None:
            size += len(data)
            if size > limit:
                raise BodyTooLarge(limit)
            parts.append(data)
            continue
        size = _inflate(inflater, data, parts, size, limit)
        if inflater.eof and inflater.unused_data:
            # Concatenated gzip members form one body (RFC 1952); start over on the rest.
            rest = inflater.unused_data
            inflater = zlib.decompressobj(_AUTO_WBITS)
            size = _inflate(inflater, rest, parts, size, limit)
    if inflater is not None and not inflater.eof:
        raise _malformed("Compressed body is truncated")
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _inflate(inflater: Any, data: bytes, parts: list[bytes], size: int, limit: int) -> int:
    try:
        while data:
            # Never produce more than one byte past the limit, whatever the compression ratio.
            piece = inflater.decompress(data, limit - size + 1)
            size += len(piece)
            if size > limit:
                raise BodyTooLarge(limit)
            if piece:
                parts.append(piece)
            data = inflater.unconsumed_tail
            if inflater.eof:
                break
    except zlib.error as error:
        raise _malformed(f"Compressed body is corrupt: {error}") from None
    return size


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def parse_json(body: bytes) -> Any:
    """The JSON document in `body`; 400 naming the problem when it is not JSON."""
    if not body:
        raise _malformed("Request body is empty; expected JSON")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _malformed("Request body is not UTF-8") from None
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise _malformed("JSON nested too deeply") from None
    except ValueError as error:
        raise _malformed(f"Malformed JSON: {error}") from None
