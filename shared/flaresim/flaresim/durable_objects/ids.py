"""Durable Object ids: 64 hex digits, minted the way workerd mints them.

An id is 32 bytes: 16 bytes of identity (an HMAC of the name for `idFromName`, random bytes for
`newUniqueId`) followed by the first 16 bytes of an HMAC of those, keyed per namespace. So
`idFromName` is deterministic, `idFromString` can tell a made-up or foreign id from a real one,
and the same name gives the same id after a restart (the object's storage file is named by it).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

from flaresim.durable_objects.values import js_error, js_string

_BASE_BYTES = 16
_ID_HEX_DIGITS = 64

# The jurisdictions production accepts for `jurisdiction()` / `newUniqueId({"jurisdiction": ...})`.
JURISDICTIONS = frozenset({"eu", "fedramp", "fedramp-high"})


class DurableObjectId:
    """A `DurableObjectId`: `toString()` (64 hex digits), `name` (None unless from a name), `equals()`.

    Like the raw JS object production hands to Python, `==` compares identity: use `equals()`.
    """

    __slots__ = ("_hex", "_jurisdiction", "_namespace", "name")

    def __init__(self, hex_id: str, namespace: str, name: str | None = None, jurisdiction: str | None = None) -> None:
        self._hex = hex_id
        self._namespace = namespace
        self._jurisdiction = jurisdiction
        self.name = name

    def toString(self) -> str:  # noqa: N802 - JS name
        return self._hex

    def equals(self, other: Any) -> bool:
        return isinstance(other, DurableObjectId) and other._hex == self._hex

    @property
    def jurisdiction(self) -> str | None:
        return self._jurisdiction

    def __str__(self) -> str:
        return self._hex

    def __repr__(self) -> str:
        label = f" name={self.name!r}" if self.name is not None else ""
        return f"<DurableObjectId {self._hex}{label}>"


class IdFactory:
    """Mints and checks the ids of one namespace (keyed by the hosting script and class)."""

    def __init__(self, namespace: str, jurisdiction: str | None = None) -> None:
        self.namespace = namespace
        self.jurisdiction = jurisdiction
        self._key = hashlib.sha256(f"flaresim-durable-object:{namespace}".encode()).digest()

    def with_jurisdiction(self, jurisdiction: str | None) -> IdFactory:
        return IdFactory(self.namespace, jurisdiction)

    def _mac(self, base: bytes) -> bytes:
        return hmac.new(self._key, base, hashlib.sha256).digest()[:_BASE_BYTES]

    def _make(self, base: bytes, name: str | None, jurisdiction: str | None) -> DurableObjectId:
        return DurableObjectId((base + self._mac(base)).hex(), self.namespace, name, jurisdiction)

    def from_name(self, name: Any) -> DurableObjectId:
        # Called on the raw JS namespace, so Python None arrives as `undefined`.
        text = "undefined" if name is None else js_string(name)
        # An object in a jurisdiction is a different object from the same name outside it.
        material = text.encode() if self.jurisdiction is None else f"{self.jurisdiction}\0{text}".encode()
        base = hmac.new(self._key, material, hashlib.sha256).digest()[:_BASE_BYTES]
        return self._make(base, text, self.jurisdiction)

    def new_unique(self, jurisdiction: str | None = None) -> DurableObjectId:
        return self._make(os.urandom(_BASE_BYTES), None, jurisdiction or self.jurisdiction)

    def from_string(self, text: Any) -> DurableObjectId:
        value = js_string(text)
        try:
            raw = bytes.fromhex(value) if len(value) == _ID_HEX_DIGITS else b""
        except ValueError:
            raw = b""
        if len(raw) != _ID_HEX_DIGITS // 2:
            raise js_error("Invalid Durable Object ID: must be 64 hex digits", "TypeError")
        if not hmac.compare_digest(raw[_BASE_BYTES:], self._mac(raw[:_BASE_BYTES])):
            raise js_error("Durable Object ID is not valid for this namespace.", "TypeError")
        return DurableObjectId(raw.hex(), self.namespace, None, None)


def check_jurisdiction(value: Any) -> str:
    """A jurisdiction name production knows, or the error it gives."""
    if value not in JURISDICTIONS:
        raise js_error(f"Unknown jurisdiction: {js_string(value)}", "TypeError")
    return value
