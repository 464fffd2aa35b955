"""Workers KV's limits and the errors production raises for them, word for word.

Two layers check a KV call in production and both are reproduced here:
- workerd itself (`src/workerd/api/kv.c++`) before any I/O: key names (TypeError for "", "." and
  "..", "KV <METHOD> failed: 414 ..." for long keys) and the value's type;
- the KV service, whose HTTP status and text workerd wraps as `KV <METHOD> failed: <status> <text>`
  (texts as quoted in production logs and reproduced by miniflare, for example
  "KV PUT failed: 400 Invalid expiration_ttl of 10. Expiration TTL must be at least 60.").
Note that workerd reports a failed `list()` as "KV GET failed".
"""

from __future__ import annotations

import json
from typing import Any

from pyodide.ffi import JsException

from flaresim.js_coercion import js_string

# https://developers.cloudflare.com/kv/platform/limits/
MAX_KEY_BYTES = 512
MAX_VALUE_BYTES = 25 * 1024 * 1024
MAX_METADATA_BYTES = 1024
MIN_TTL_SECONDS = 60
MIN_CACHE_TTL_SECONDS = 30
MAX_LIST_LIMIT = 1000
MAX_BULK_KEYS = 100
MAX_BULK_BYTES = 25 * 1024 * 1024
MAX_OPERATIONS_PER_INVOCATION = 1000
SAME_KEY_WRITE_INTERVAL_SECONDS = 1.0
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

VALUE_TYPES = ("text", "json", "arrayBuffer", "stream")
BULK_VALUE_TYPES = ("text", "json")

TOO_MANY_OPERATIONS = "Too many API requests by single worker invocation."
PUT_TYPE_ERROR = "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
UNKNOWN_TYPE = 'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'


def failed(method: str, status: int, text: str) -> JsException:
    """The error workerd raises when the KV service answers with an error status."""
    return JsException(f"KV {method} failed: {status} {text}")


def key_bytes(method: str, key: Any) -> bytes:
    """Check a key name as workerd does before sending it; return its UTF-8 bytes."""
    name = js_string(key)
    if name == "":
        raise JsException("Key name cannot be empty.", "TypeError")
    if name in (".", ".."):
        raise JsException(f'"{name}" is not allowed as a key name.', "TypeError")
    encoded = name.encode()
    if len(encoded) > MAX_KEY_BYTES:
        raise failed(
            method, 414, f"UTF-8 encoded length of {len(encoded)} exceeds key length limit of {MAX_KEY_BYTES}."
        )
    return encoded


def bulk_key_bytes(key: Any) -> bytes:
    """Check one key of a bulk read; the service checks these, so they fail as HTTP errors."""
    name = js_string(key)
    if name == "":
        raise failed("GET_BULK", 400, "Key names must not be empty")
    if name in (".", ".."):
        raise failed("GET_BULK", 400, f'Illegal key name "{name}". Please use a different name.')
    encoded = name.encode()
    if len(encoded) > MAX_KEY_BYTES:
        raise failed(
            "GET_BULK", 414, f"UTF-8 encoded length of {len(encoded)} exceeds key length limit of {MAX_KEY_BYTES}."
        )
    return encoded


def check_cache_ttl(method: str, cache_ttl: Any) -> None:
    """`cacheTtl` must be at least 30 s (60 s before 2026-01-30)."""
    if cache_ttl is None:
        return
    if not isinstance(cache_ttl, (int, float)) or isinstance(cache_ttl, bool) or cache_ttl < MIN_CACHE_TTL_SECONDS:
        raise failed(
            method,
            400,
            f"Invalid cache_ttl of {js_string(cache_ttl)}. Cache TTL must be at least {MIN_CACHE_TTL_SECONDS}.",
        )


def int32_option(name: str, value: Any) -> int:
    """`expiration`/`expirationTtl` are 32-bit integers in workerd's option struct."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise JsException(
            f"Failed to execute 'put' on 'KvNamespace': the provided value for '{name}' is not of type 'number'.",
            "TypeError",
        )
    if not INT32_MIN <= value <= INT32_MAX:
        raise JsException(f"Value out of range. Must be between {INT32_MIN} and {INT32_MAX} (inclusive).", "TypeError")
    return int(value)


def expiration_from_options(options: dict[str, Any], now: float) -> int | None:
    """The absolute expiration (epoch seconds) a put asks for, validated as the KV service does."""
    ttl = options.get("expirationTtl")
    if ttl is not None:
        seconds = int32_option("expirationTtl", ttl)
        if seconds <= 0:
            raise failed("PUT", 400, f"Invalid expiration_ttl of {seconds}. Please specify integer greater than 0.")
        if seconds < MIN_TTL_SECONDS:
            raise failed(
                "PUT", 400, f"Invalid expiration_ttl of {seconds}. Expiration TTL must be at least {MIN_TTL_SECONDS}."
            )
        return int(now) + seconds
    expiration = options.get("expiration")
    if expiration is None:
        return None
    when = int32_option("expiration", expiration)
    if when <= int(now):
        raise failed(
            "PUT",
            400,
            f"Invalid expiration of {when}. Please specify integer greater than the current number of seconds "
            "since the UNIX epoch.",
        )
    if when < int(now) + MIN_TTL_SECONDS:
        raise failed(
            "PUT",
            400,
            f"Invalid expiration of {when}. Expiration times must be at least {MIN_TTL_SECONDS} seconds in the future.",
        )
    return when


def metadata_json(metadata: Any) -> str | None:
    """Metadata serialized as JavaScript's JSON.stringify would (UTF-8, no spaces), checked for size."""
    if metadata is None:
        return None
    text = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    size = len(text.encode())
    if size > MAX_METADATA_BYTES:
        raise failed("PUT", 413, f"Metadata length of {size} exceeds limit of {MAX_METADATA_BYTES}.")
    return text


def check_value_size(size: int) -> None:
    if size > MAX_VALUE_BYTES:
        raise failed("PUT", 413, f"Value length of {size} exceeds limit of {MAX_VALUE_BYTES}.")


def list_limit(value: Any) -> int:
    """`limit` of list(): workerd omits values <= 0 (the default 1000 applies); the service refuses > 1000."""
    if value is None:
        return MAX_LIST_LIMIT
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise JsException(
            "Failed to execute 'list' on 'KvNamespace': the provided value for 'limit' is not of type 'number'.",
            "TypeError",
        )
    limit = int(value)
    if limit <= 0:
        return MAX_LIST_LIMIT
    if limit > MAX_LIST_LIMIT:
        raise failed(
            "GET", 400, f"Invalid key_count_limit of {limit}. Please specify an integer less than {MAX_LIST_LIMIT}."
        )
    return limit
