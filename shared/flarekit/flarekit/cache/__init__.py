"""The response cache: explicit keys, a bounded LRU, a KV tier, single-flight and the client policy.

- `keys`: `cache_key`, `chat_cache_key`, `canonical_request`.
- `lru`: `LRUCache` (entries and bytes bounded, O(1) eviction), `CacheEntry`.
- `kv_tier`: `KVTier` (one KV value + metadata per entry, TTL >= 60 s).
- `response_cache`: `ResponseCache` (LRU then KV, single-flight), `Fill`, `CacheResult`.
- `single_flight`: `SingleFlight`.
- `policy`: `CachePolicy`, `decide`, HIT/MISS/BYPASS.
"""

from flarekit.cache.keys import cache_key, canonical_request, chat_cache_key, request_digest
from flarekit.cache.kv_tier import DEFAULT_TTL, KVTier, kv_ttl
from flarekit.cache.lru import CacheEntry, LRUCache, make_entry
from flarekit.cache.policy import BYPASS, HIT, MISS, STATUS_HEADER, TTL_HEADER, CacheDecision, CachePolicy, decide
from flarekit.cache.response_cache import CacheResult, Fill, ResponseCache
from flarekit.cache.single_flight import SingleFlight

__all__ = [
    "BYPASS",
    "DEFAULT_TTL",
    "HIT",
    "MISS",
    "STATUS_HEADER",
    "TTL_HEADER",
    "CacheDecision",
    "CacheEntry",
    "CachePolicy",
    "CacheResult",
    "Fill",
    "KVTier",
    "LRUCache",
    "ResponseCache",
    "SingleFlight",
    "cache_key",
    "canonical_request",
    "chat_cache_key",
    "decide",
    "kv_ttl",
    "make_entry",
    "request_digest",
]
