"""Identifiers drawn inside requests (never at import time: workerd forbids entropy there)."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable

IdGenerator = Callable[[str], str]

# Client batch ids: safe in a KV key and a URL path segment.
BATCH_ID_PATTERN = re.compile(r"[A-Za-z0-9._~-]{1,128}")


def random_id(prefix: str = "", nbytes: int = 10) -> str:
    """`prefix` + `nbytes` of randomness in lower-case base32 (16 characters for 10 bytes)."""
    return prefix + base64.b32encode(os.urandom(nbytes)).decode().rstrip("=").lower()


def valid_batch_id(value: object) -> bool:
    return isinstance(value, str) and BATCH_ID_PATTERN.fullmatch(value) is not None
