"""Cache keys, built by one function from an explicit list of parts.

    chat_cache_key("key_3f2a", body) -> "v1:chat:key_3f2a:<sha256 of the canonical request>"

The canonical request is the body minus the fields that cannot change the answer (`stream`,
`stream_options`, `user`, `metadata`, ...), as compact JSON with sorted keys. Everything else
(model, messages, tools, tool_choice, response_format, sampling parameters, unknown fields) is
kept: a field we do not know might change the answer, so it must change the key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

KEY_VERSION = "v1"
# Fields that only affect transport, attribution or provider-side bookkeeping, never the content.
EXCLUDED_FIELDS = frozenset(
    {"stream", "stream_options", "user", "metadata", "store", "safety_identifier", "prompt_cache_key", "service_tier"}
)


def _escape(part: str) -> str:
    # ':' separates parts; escaping keeps "a:b" + "c" distinct from "a" + "b:c".
    if ":" in part or "%" in part:
        return part.replace("%", "%25").replace(":", "%3A")
    return part


def cache_key(namespace: str, *parts: str, version: str = KEY_VERSION) -> str:
    """`{version}:{namespace}:{part}:...`, each part escaped so parts cannot run into each other."""
    return ":".join([version, _escape(namespace), *(_escape(p) for p in parts)])


def canonical_request(body: Mapping[str, Any], excluded: frozenset[str] = EXCLUDED_FIELDS) -> str:
    """The request as compact sorted JSON, without the fields that cannot change the answer."""
    kept = {k: v for k, v in body.items() if k not in excluded}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_digest(body: Mapping[str, Any], excluded: frozenset[str] = EXCLUDED_FIELDS) -> str:
    """sha256 hex of the canonical request."""
    return hashlib.sha256(canonical_request(body, excluded).encode()).hexdigest()


def chat_cache_key(tenant: str, body: Mapping[str, Any], namespace: str = "chat", version: str = KEY_VERSION) -> str:
    """The cache key of a chat (or embeddings) request for one tenant (an API key's id, or "shared").

    `tenant` must be an identifier, never a raw credential: keys are visible in KV listings.
    """
    return cache_key(namespace, tenant, request_digest(body), version=version)
