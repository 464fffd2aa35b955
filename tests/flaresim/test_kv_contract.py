"""The KV contract: every behaviour of a Workers KV binding, as production shows it to Python.

Each test takes a `kv_harness` (the `KVHarness` Protocol below: a `kv` satisfying
`flarekit.platform.KVNamespace`, and a way to move time) and runs once per implementation in
`KV_IMPLEMENTATIONS`:
- "binding": flaresim's binding object, called directly;
- "worker": the same calls made by a fixture Worker (`tests/fixtures/kv_worker`) through
  `env.KV`, each inside its own invocation, with values crossing RPC as in production.
Another tier (for example the Pyodide one, against a JavaScript KV) reuses these tests by adding
an entry to `KV_IMPLEMENTATIONS`, or by overriding the `kv_harness` fixture in its own module and
importing the `test_*` functions there.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import pytest
from pyodide.ffi import JsException

from flarekit.platform import KVNamespace
from flaresim.runtime import Runtime, ServiceBinding

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_OMITTED = object()


class KVHarness(Protocol):
    kv: KVNamespace

    async def advance(self, seconds: float) -> None:
        """Move the clock the implementation reads (expiry, the one-write-per-second rule)."""
        ...


class BindingHarness:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.kv = runtime.kv.namespace("contract")

    async def advance(self, seconds: float) -> None:
        await self.runtime.advance(seconds)


class WorkerKV:
    """`KVNamespace`, every call made by the fixture Worker on its own `env.KV`."""

    def __init__(self, worker: ServiceBinding) -> None:
        self._worker = worker

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return await self._worker.kv_call(method, [a for a in args if a is not _OMITTED], kwargs)

    async def get(self, key: Any, type_or_options: Any = _OMITTED, /, **kwargs: Any) -> Any:
        return await self._call("get", key, type_or_options, **kwargs)

    async def getWithMetadata(self, key: Any, type_or_options: Any = _OMITTED, /, **kwargs: Any) -> Any:
        return await self._call("getWithMetadata", key, type_or_options, **kwargs)

    async def put(self, key: Any, value: Any, options: Any = _OMITTED, /, **kwargs: Any) -> None:
        return await self._call("put", key, value, options, **kwargs)

    async def delete(self, key: Any, /) -> None:
        return await self._call("delete", key)

    async def list(self, options: Any = _OMITTED, /, **kwargs: Any) -> Any:
        return await self._call("list", options, **kwargs)


class WorkerHarness(BindingHarness):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        runtime.load_worker(FIXTURES / "kv_worker")
        self.kv = WorkerKV(ServiceBinding(runtime, "kv-worker", None))


KV_IMPLEMENTATIONS: dict[str, Callable[[Runtime], KVHarness]] = {
    "binding": BindingHarness,
    "worker": WorkerHarness,
}


@pytest.fixture(params=sorted(KV_IMPLEMENTATIONS))
def kv_harness(request: pytest.FixtureRequest, flaresim: Runtime) -> KVHarness:
    return KV_IMPLEMENTATIONS[request.param](flaresim)


async def raises(awaitable: Awaitable[Any]) -> JsException:
    with pytest.raises(JsException) as caught:
        await awaitable
    return caught.value


# -- get / put ---------------------------------------------------------------------------------------


async def test_both_implementations_satisfy_the_platform_protocol(kv_harness):
    assert isinstance(kv_harness.kv, KVNamespace)


async def test_a_put_value_reads_back_as_text_and_a_missing_key_is_none(kv_harness):
    kv = kv_harness.kv
    assert await kv.put("greeting", "héllo") is None
    assert await kv.get("greeting") == "héllo"
    missing = await kv.get("nope")
    assert missing is None  # None itself, not a falsy JS null


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [(("json",), {}), (({"type": "json"},), {}), ((), {"type": "json"}), ((), {"type": "json", "cacheTtl": 60})],
)
async def test_json_reads_accept_the_type_as_string_dict_or_keyword(kv_harness, args, kwargs):
    await kv_harness.kv.put("doc", json.dumps({"name": "ada", "score": 3.0, "tags": ["x"], "none": None}))
    value = await kv_harness.kv.get("doc", *args, **kwargs)
    assert value == {"name": "ada", "score": 3, "tags": ["x"], "none": None}
    assert value.name == "ada"  # dicts allow attribute access, as the SDK's JsDict
    assert isinstance(value.score, int)  # a whole JS number comes back as int


async def test_binary_values_read_back_as_a_memoryview(kv_harness):
    await kv_harness.kv.put("blob", b"\x00\xffbinary")
    value = await kv_harness.kv.get("blob", "arrayBuffer")
    assert isinstance(value, memoryview)
    assert bytes(value) == b"\x00\xffbinary"


async def test_a_stream_read_yields_the_value_in_chunks(kv_harness):
    await kv_harness.kv.put("big", "x" * 1000)
    stream = await kv_harness.kv.get("big", type="stream")
    assert b"".join([chunk.to_bytes() async for chunk in stream]) == b"x" * 1000


async def test_an_unknown_read_type_is_refused(kv_harness):
    await kv_harness.kv.put("k", "v")
    error = await raises(kv_harness.kv.get("k", "yaml"))
    assert error.message == 'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'


async def test_a_cache_ttl_under_30_seconds_is_refused(kv_harness):
    error = await raises(kv_harness.kv.get("k", cacheTtl=10))
    assert error.message == "KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30."


async def test_bulk_reads_return_every_requested_key_with_none_for_missing(kv_harness):
    kv = kv_harness.kv
    await kv.put("a", '{"n": 1}')
    await kv.put("b", '{"n": 2}')
    assert await kv.get(["a", "b", "zz"]) == {"a": '{"n": 1}', "b": '{"n": 2}', "zz": None}
    parsed = await kv.get(["a", "b"], "json")
    assert parsed["a"].n == 1 and parsed.b == {"n": 2}


async def test_bulk_reads_refuse_binary_types_and_more_than_100_keys(kv_harness):
    kv = kv_harness.kv
    error = await raises(kv.get(["a"], "arrayBuffer"))
    assert error.message == 'KV GET_BULK failed: 400 "arrayBuffer" is not a valid type. Use "json" or "text"'
    error = await raises(kv.get([f"k{i}" for i in range(101)]))
    assert error.message == "KV GET_BULK failed: 400 You can request a maximum of 100 keys"


async def test_bulk_json_read_of_a_non_json_value_fails(kv_harness):
    await kv_harness.kv.put("text", "not json")
    error = await raises(kv_harness.kv.get(["text"], "json"))
    assert error.message == "KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value"


async def test_get_with_metadata_returns_value_metadata_and_cache_status(kv_harness):
    kv = kv_harness.kv
    await kv.put("k", "v", metadata={"version": 2, "by": "ada"})
    result = await kv.getWithMetadata("k")
    assert result == {"value": "v", "metadata": {"version": 2, "by": "ada"}, "cacheStatus": None}
    assert result.metadata.version == 2
    assert await kv.getWithMetadata("missing") == {"value": None, "metadata": None, "cacheStatus": None}
    await kv.put("plain", '{"a": 1}')
    assert (await kv.getWithMetadata("plain", "json")).value == {"a": 1}


async def test_bulk_get_with_metadata_pairs_each_value_with_its_metadata(kv_harness):
    kv = kv_harness.kv
    await kv.put("a", "1", {"metadata": {"m": 1}})
    await kv.put("b", "2")
    result = await kv.getWithMetadata(["a", "b", "c"])
    assert result == {"a": {"value": "1", "metadata": {"m": 1}}, "b": {"value": "2", "metadata": None}, "c": None}


async def test_options_as_dict_and_as_keywords_are_the_same_and_none_is_no_options(kv_harness):
    kv = kv_harness.kv
    await kv.put("a", "1", {"metadata": {"via": "dict"}})
    await kv.put("b", "2", metadata={"via": "kwargs"})
    await kv.put("c", "3", None)
    page = await kv.list(None)
    assert [(k.name, k.get("metadata")) for k in page["keys"]] == [
        ("a", {"via": "dict"}),
        ("b", {"via": "kwargs"}),
        ("c", None),
    ]


async def test_keywords_after_a_positional_options_dict_are_ignored_as_in_production(kv_harness):
    # Pyodide passes keyword arguments as one more trailing object, which put() has no parameter for.
    await kv_harness.kv.put("k", "v", {"metadata": {"kept": True}}, expirationTtl=10)
    result = await kv_harness.kv.getWithMetadata("k")
    assert result.metadata == {"kept": True}
    assert "expiration" not in (await kv_harness.kv.list())["keys"][0]


async def test_values_that_are_not_strings_or_bytes_are_refused(kv_harness):
    error = await raises(kv_harness.kv.put("k", {"a": 1}))
    assert error.name == "TypeError"
    assert error.message == (
        "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
    )


async def test_tuples_cannot_cross_to_javascript(kv_harness):
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        await kv_harness.kv.put("k", "v", metadata={"pair": (1, 2)})


async def test_delete_removes_a_key_and_deleting_a_missing_key_is_fine(kv_harness):
    kv = kv_harness.kv
    await kv.put("k", "v")
    assert await kv.delete("k") is None
    assert await kv.get("k") is None
    await kv.delete("never-existed")


# -- expiry ------------------------------------------------------------------------------------------


async def test_a_value_with_a_ttl_disappears_when_the_clock_passes_it(kv_harness):
    kv = kv_harness.kv
    await kv.put("session", "s1", expirationTtl=60)
    await kv_harness.advance(59)
    assert await kv.get("session") == "s1"
    await kv_harness.advance(1)
    assert await kv.get("session") is None
    assert (await kv.list())["keys"] == []


async def test_an_absolute_expiration_is_listed_as_given(kv_harness, flaresim_clock):
    kv = kv_harness.kv
    when = int(flaresim_clock.now()) + 120
    await kv.put("k", "v", {"expiration": when})
    await kv.put("ttl", "v", expirationTtl=300)
    page = await kv.list()
    assert page["keys"] == [
        {"name": "k", "expiration": when},
        {"name": "ttl", "expiration": int(flaresim_clock.now()) + 300},
    ]
    await kv_harness.advance(120)
    assert await kv.get("k") is None


async def test_a_ttl_of_10_seconds_fails_with_productions_message(kv_harness):
    error = await raises(kv_harness.kv.put("k", "v", expirationTtl=10))
    assert str(error) == "Error: KV PUT failed: 400 Invalid expiration_ttl of 10. Expiration TTL must be at least 60."
    assert await kv_harness.kv.get("k") is None


async def test_an_expiration_less_than_60_seconds_away_fails_with_productions_message(kv_harness, flaresim_clock):
    when = int(flaresim_clock.now()) + 30
    error = await raises(kv_harness.kv.put("k", "v", expiration=when))
    assert error.message == (
        f"KV PUT failed: 400 Invalid expiration of {when}. Expiration times must be at least 60 seconds in the future."
    )


async def test_an_expiration_in_milliseconds_is_out_of_range(kv_harness, flaresim_clock):
    error = await raises(kv_harness.kv.put("k", "v", expiration=int(flaresim_clock.now() * 1000)))
    assert error.name == "TypeError"
    assert error.message == "Value out of range. Must be between -2147483648 and 2147483647 (inclusive)."


# -- limits ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "Key name cannot be empty."),
        (".", '"." is not allowed as a key name.'),
        ("..", '".." is not allowed as a key name.'),
    ],
)
async def test_empty_and_dot_key_names_are_type_errors(kv_harness, key, message):
    for call in (kv_harness.kv.get(key), kv_harness.kv.put(key, "v"), kv_harness.kv.delete(key)):
        error = await raises(call)
        assert (error.name, error.message) == ("TypeError", message)


async def test_keys_are_limited_to_512_utf8_bytes(kv_harness):
    kv = kv_harness.kv
    await kv.put("é" * 256, "fits")  # 512 bytes
    assert await kv.get("é" * 256) == "fits"
    error = await raises(kv.put("é" * 256 + "x", "v"))
    assert error.message == "KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
    error = await raises(kv.get("k" * 600))
    assert error.message == "KV GET failed: 414 UTF-8 encoded length of 600 exceeds key length limit of 512."


async def test_values_are_limited_to_25_mib(kv_harness):
    limit = 25 * 1024 * 1024
    error = await raises(kv_harness.kv.put("big", b"x" * (limit + 1)))
    assert error.message == f"KV PUT failed: 413 Value length of {limit + 1} exceeds limit of {limit}."
    await kv_harness.kv.put("big", b"x" * limit)


async def test_metadata_is_limited_to_1024_bytes_of_json(kv_harness):
    kv = kv_harness.kv
    await kv.put("k", "v", metadata={"s": "x" * 1016})  # {"s":"..."} is exactly 1024 bytes
    error = await raises(kv.put("k2", "v", metadata={"s": "é" * 509}))  # counted in UTF-8 bytes
    assert error.message == "KV PUT failed: 413 Metadata length of 1026 exceeds limit of 1024."


async def test_a_second_write_to_a_key_within_a_second_is_rate_limited(kv_harness):
    kv = kv_harness.kv
    await kv.put("counter", "1")
    await kv.put("other", "1")  # other keys are not affected
    error = await raises(kv.put("counter", "2"))
    assert error.message == "KV PUT failed: 429 Too Many Requests"
    assert await kv.get("counter") == "1"
    await kv_harness.advance(1)
    await kv.put("counter", "2")
    assert await kv.get("counter") == "2"


# -- list --------------------------------------------------------------------------------------------


async def test_list_filters_by_prefix_and_pages_with_a_cursor(kv_harness):
    kv = kv_harness.kv
    for name in ["evt:3", "evt:1", "evt:2", "other", "evt:4", "ev"]:
        await kv.put(name, "x")
    first = await kv.list(prefix="evt:", limit=3)
    assert [k.name for k in first["keys"]] == ["evt:1", "evt:2", "evt:3"]
    assert first.list_complete is False and isinstance(first.cursor, str)
    second = await kv.list({"prefix": "evt:", "limit": 3, "cursor": first.cursor})
    assert [k.name for k in second["keys"]] == ["evt:4"]
    assert second.list_complete is True
    assert "cursor" not in second and second.cacheStatus is None


async def test_list_orders_keys_by_utf8_bytes_not_utf16(kv_harness):
    names = ["b", "B", "a", "\uff5e", "\U0001f600", "é", "z"]
    for name in names:
        await kv_harness.kv.put(name, "x")
    listed = [k.name for k in (await kv_harness.kv.list())["keys"]]
    # JavaScript string order would put the emoji (a surrogate pair) before U+FF5E; KV does not.
    assert listed == sorted(names, key=lambda n: n.encode())
    assert listed.index("\U0001f600") > listed.index("\uff5e")


async def test_list_returns_at_most_1000_keys_per_page(kv_harness):
    kv = kv_harness.kv
    for i in range(1001):
        await kv.put(f"k{i:04d}", "")
    page = await kv.list()
    assert len(page["keys"]) == 1000 and page.list_complete is False
    rest = await kv.list(cursor=page.cursor)
    assert [k.name for k in rest["keys"]] == ["k1000"] and rest.list_complete


async def test_a_list_limit_over_1000_is_refused(kv_harness):
    error = await raises(kv_harness.kv.list(limit=1001))
    assert (
        error.message == "KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000."
    )
