"""Identifiers: random ones drawn inside a request, and stable digests of names.

Production forbids entropy at import time (workerd snapshots the module), so nothing here draws
randomness until a function is called. Random IDs use `secrets`; tests inject their own generator.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Protocol


class IdGenerator(Protocol):
    """Draws a new identifier with a prefix (`conv_`, `req_`)."""

    def __call__(self, prefix: str = "") -> str: ...


def new_id(prefix: str = "", nbytes: int = 15) -> str:
    """A random URL-safe identifier (`conv_3k9x...`): `nbytes` of entropy in lower-case base32."""
    token = base64.b32encode(secrets.token_bytes(nbytes)).decode().rstrip("=").lower()
    return f"{prefix}{token}"


def digest_id(text: str, length: int = 32) -> str:
    """A stable hex digest of `text` (sha256, first `length` characters): names keys without revealing them."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


class CountingIds:
    """Deterministic IDs (`prefix` + counter) for tests and reproducible runs."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, prefix: str = "") -> str:
        self.count += 1
        return f"{prefix}{self.count:06d}"
