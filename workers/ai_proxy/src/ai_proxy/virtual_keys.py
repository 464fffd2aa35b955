"""Virtual keys: created and revoked through `/admin/keys`, stored hashed in KV.

Layout in the `KEYS` namespace (never the key itself, only its sha256):
    vk:v1:h:{sha256 hex}  -> the key's record (JSON)
    vk:v1:id:{key id}     -> {"hash": ...}, with the public record as KV metadata (so a listing
                             needs no reads)
A record: {"id", "name", "models": [aliases] | null, "limits": {...}, "budgets": {...},
"created_at"}. Lookups are cached in the isolate for `LOOKUP_TTL` seconds (a bounded LRU,
negative answers included so a flood of bad keys does not become a flood of KV reads); KV itself
is eventually consistent for up to 60 s, so a revocation takes effect everywhere within about a
minute.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ai_proxy.gateway_config import KeyPolicy, key_policy
from flarekit.errors import ConfigurationError, HTTPError
from flarekit.ids import new_id

PREFIX = "vk:v1:"
LOOKUP_TTL = 10.0
LOOKUP_CACHE_SIZE = 2048
KEY_PREFIX = "sk-fk-"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _hash_key(digest: str) -> str:
    return f"{PREFIX}h:{digest}"


def _id_key(key_id: str) -> str:
    return f"{PREFIX}id:{key_id}"


def public(record: dict[str, Any]) -> dict[str, Any]:
    """What the admin API shows of a record (everything but the hash)."""
    return {k: record.get(k) for k in ("id", "name", "models", "limits", "budgets", "created_at", "hint")}


def parse_request(body: Any) -> tuple[str, list[str] | None, dict[str, Any], dict[str, Any], KeyPolicy]:
    """Validate a `POST /admin/keys` body; errors are 400s naming the field."""
    if not isinstance(body, dict):
        raise HTTPError(400, "expected a JSON object", "invalid_request")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise HTTPError(400, "'name' is required (a string of at most 100 characters)", "invalid_request", param="name")
    models = body.get("models")
    if models is not None and (not isinstance(models, list) or not all(isinstance(m, str) for m in models)):
        raise HTTPError(400, "'models' must be a list of model aliases or null", "invalid_request", param="models")
    unknown = set(body) - {"name", "models", "limits", "budgets"}
    if unknown:
        raise HTTPError(400, f"unknown field {sorted(unknown)[0]!r}", "invalid_request", param=sorted(unknown)[0])
    limits = body.get("limits") or {}
    budgets = body.get("budgets") or {}
    try:
        policy = key_policy({"limits": limits, "budgets": budgets}, "key")
    except ConfigurationError as error:
        raise HTTPError(400, str(error), "invalid_request") from None
    return name.strip(), models, limits, budgets, policy


class VirtualKeys:
    """The KV-backed key store of one isolate, with its bounded lookup cache."""

    def __init__(self, kv: Any, clock: Callable[[], float]) -> None:
        self.kv = kv
        self.clock = clock
        self._cache: OrderedDict[str, tuple[float, dict[str, Any] | None]] = OrderedDict()
        self.evictions = 0

    async def lookup(self, key: str) -> dict[str, Any] | None:
        """The record of a presented key, or None when it is not a (live) virtual key."""
        digest = key_hash(key)
        now = self.clock()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            self._cache.move_to_end(digest)
            return cached[1]
        raw = await self.kv.get(_hash_key(digest))
        record = json.loads(raw) if raw else None
        self._remember(digest, record, now)
        return record

    def _remember(self, digest: str, record: dict[str, Any] | None, now: float) -> None:
        self._cache[digest] = (now + LOOKUP_TTL, record)
        self._cache.move_to_end(digest)
        while len(self._cache) > LOOKUP_CACHE_SIZE:
            self._cache.popitem(last=False)
            self.evictions += 1

    async def create(self, body: Any) -> dict[str, Any]:
        """Make a key; the answer is the only time the key itself is shown."""
        name, models, limits, budgets, _policy = parse_request(body)
        key = KEY_PREFIX + secrets.token_urlsafe(24)
        digest = key_hash(key)
        record = {
            "id": new_id("key_"),
            "name": name,
            "models": models,
            "limits": limits,
            "budgets": budgets,
            "created_at": int(self.clock()),
            "hint": key[:9] + "..." + key[-4:],
        }
        await self.kv.put(_hash_key(digest), json.dumps(record))
        await self.kv.put(_id_key(record["id"]), json.dumps({"hash": digest}), metadata=_metadata(record))
        self._remember(digest, record, self.clock())
        return {**public(record), "key": key}

    async def list(self) -> list[dict[str, Any]]:
        """Every live key's public record, oldest first."""
        out: list[dict[str, Any]] = []
        cursor = None
        while True:
            options: dict[str, Any] = {"prefix": _id_key("")}
            if cursor:
                options["cursor"] = cursor
            page = await self.kv.list(options)
            for item in page["keys"]:
                metadata = item.get("metadata") or {}
                out.append(dict(metadata) if metadata else {"id": item["name"][len(_id_key("")) :]})
            if page.get("list_complete", True):
                break
            cursor = page.get("cursor")
        return sorted(out, key=lambda r: (r.get("created_at") or 0, r.get("id") or ""))

    async def revoke(self, key_id: str) -> bool:
        """Delete a key by id; False when there is no such key."""
        raw = await self.kv.get(_id_key(key_id))
        if not raw:
            return False
        digest = json.loads(raw)["hash"]
        await self.kv.delete(_hash_key(digest))
        await self.kv.delete(_id_key(key_id))
        self._remember(digest, None, self.clock())
        return True


def _metadata(record: dict[str, Any]) -> dict[str, Any]:
    # KV metadata is limited to 1024 bytes: keep the listing fields, drop long model lists.
    summary = public(record)
    if len(json.dumps(summary)) > 1000:
        summary = {k: summary[k] for k in ("id", "name", "created_at", "hint")}
    return summary
