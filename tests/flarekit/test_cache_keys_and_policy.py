"""Cache keys from the canonical request, and when the policy looks up or stores."""

from __future__ import annotations

import pytest

from flarekit.cache import (
    BYPASS,
    MISS,
    CachePolicy,
    cache_key,
    canonical_request,
    chat_cache_key,
    decide,
    kv_ttl,
)
from flarekit.errors import HTTPError

BODY = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hi"}],
    "temperature": 0,
    "tools": [{"type": "function", "function": {"name": "f"}}],
}


def test_the_key_has_a_version_namespace_tenant_and_sha256():
    key = chat_cache_key("key_1", BODY)
    version, namespace, tenant, digest = key.split(":")
    assert (version, namespace, tenant) == ("v1", "chat", "key_1")
    assert len(digest) == 64 and int(digest, 16) >= 0


def test_stream_user_and_metadata_do_not_change_the_key_and_field_order_does_not_either():
    variant = {
        "stream": True,
        "stream_options": {"include_usage": True},
        "user": "u-42",
        "metadata": {"trace": "x"},
        **dict(reversed(list(BODY.items()))),
    }
    assert chat_cache_key("key_1", variant) == chat_cache_key("key_1", BODY)


@pytest.mark.parametrize(
    "change",
    [
        {"model": "gpt-4o"},
        {"messages": [{"role": "user", "content": "Hi!"}]},
        {"tools": []},
        {"top_p": 0.5},
        {"max_tokens": 10},
        {"response_format": {"type": "json_object"}},
        {"some_future_field": 1},
    ],
)
def test_anything_that_can_change_the_answer_changes_the_key(change):
    assert chat_cache_key("key_1", {**BODY, **change}) != chat_cache_key("key_1", BODY)


def test_tenants_never_share_keys_and_parts_cannot_run_into_each_other():
    assert chat_cache_key("key_1", BODY) != chat_cache_key("key_2", BODY)
    assert cache_key("chat", "a:b", "c") != cache_key("chat", "a", "b:c")


def test_canonical_json_is_compact_and_sorted():
    assert canonical_request({"b": 1, "a": [1, {"d": 2, "c": 3}], "stream": True}) == '{"a":[1,{"c":3,"d":2}],"b":1}'


POLICY = CachePolicy()


@pytest.mark.parametrize("temperature", [None, 0, 0.0])
def test_deterministic_requests_are_looked_up_and_stored_for_the_default_hour(temperature):
    body = {**BODY, "temperature": temperature} if temperature is not None else {"model": "m", "messages": []}
    decision = decide(POLICY, body)
    assert (decision.lookup, decision.store, decision.ttl, decision.miss_status) == (True, True, 3600, MISS)


def test_sampled_requests_bypass_the_cache_unless_configured():
    body = {**BODY, "temperature": 0.7}
    assert decide(POLICY, body).miss_status == BYPASS and not decide(POLICY, body).store
    assert decide(CachePolicy(any_temperature=True), body).lookup


def test_no_cache_skips_the_lookup_but_stores_and_no_store_does_neither():
    no_cache = decide(POLICY, BODY, "no-cache")
    assert (no_cache.lookup, no_cache.store, no_cache.miss_status) == (False, True, BYPASS)
    no_store = decide(POLICY, BODY, "max-age=0, No-Store")
    assert (no_store.lookup, no_store.store) == (False, False)


def test_the_ttl_header_sets_the_ttl_zero_means_do_not_store_and_junk_is_a_400():
    assert decide(POLICY, BODY, None, "120").ttl == 120
    assert decide(POLICY, BODY, None, "999999999").ttl == POLICY.max_ttl
    zero = decide(POLICY, BODY, None, "0")
    assert zero.lookup and not zero.store
    with pytest.raises(HTTPError) as raised:
        decide(POLICY, BODY, None, "soon")
    assert raised.value.status == 400 and raised.value.param == "x-flarekit-cache-ttl"


def test_a_disabled_cache_bypasses_everything():
    assert decide(CachePolicy(enabled=False), BODY).miss_status == BYPASS


@pytest.mark.parametrize(("ttl", "expected"), [(10, 60), (60, 60), (60.2, 61), (3600, 3600)])
def test_kv_ttls_never_go_below_kvs_60_second_minimum(ttl, expected):
    assert kv_ttl(ttl) == expected
