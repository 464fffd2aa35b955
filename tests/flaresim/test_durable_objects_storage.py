"""Durable Object storage: the async key-value API, `storage.kv`, transactions, limits, persistence."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest
from pyodide.ffi import JsException

from flaresim.clock import FakeClock
from flaresim.rpc_values import JsDict
from flaresim.runtime import Runtime

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def counters(flaresim):
    return flaresim.load_worker(FIXTURES / "do_counter").isolates[0].env.COUNTER


@pytest.fixture
async def storage(flaresim, counters):
    instance = await flaresim.durable_objects.instance_of(counters.getByName("store"))
    return instance.ctx.storage


# -- get / put / delete -------------------------------------------------------------------------------


async def test_a_missing_key_reads_as_none(storage):
    assert await storage.get("nothing") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hello", "hello"),
        (42, 42),
        (3.14, 3.14),
        (3.0, 3),
        (True, True),
        (None, None),
        ([1, "a", None], [1, "a", None]),
        ({1, 2}, {1, 2}),
        (dt.datetime(2026, 5, 1, 12, 30, 0, 999_999), dt.datetime(2026, 5, 1, 12, 30, 0, 999_000)),
    ],
)
async def test_values_round_trip_as_a_structured_clone_does(storage, value, expected):
    await storage.put("k", value)
    got = await storage.get("k")
    assert got == expected
    assert type(got) is type(expected)


async def test_dicts_come_back_with_attribute_access_and_bytes_as_memoryview(storage):
    await storage.put("d", {"name": "x", "inner": {"n": 1}, "raw": b"\x00\xff"})
    got = await storage.get("d")
    assert isinstance(got, JsDict)
    assert got.inner.n == 1
    assert isinstance(got.raw, memoryview)
    assert bytes(got.raw) == b"\x00\xff"


async def test_each_read_returns_a_fresh_copy(storage):
    await storage.put("list", [1])
    first = await storage.get("list")
    first.append(2)
    assert await storage.get("list") == [1]


@pytest.mark.parametrize("value", [(1, 2), bytearray(b"x"), [1, (2,)], {"a": (1,)}])
async def test_tuples_and_bytearrays_are_refused(storage, value):
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        await storage.put("k", value)
    assert await storage.get("k") is None


async def test_values_that_cannot_be_cloned_are_refused(storage):
    with pytest.raises(JsException, match="DataCloneError"):
        await storage.put("k", object())
    with pytest.raises(JsException, match="DataCloneError"):
        await storage.put("k", {"f": lambda: 1})


async def test_put_of_a_dict_writes_several_keys_and_get_of_a_list_reads_the_found_ones(storage):
    await storage.put({"b": 2, "a": 1, "c": None})
    found = await storage.get(["c", "a", "missing", "b"])
    assert isinstance(found, JsDict)
    assert list(found.items()) == [("a", 1), ("b", 2), ("c", None)]


async def test_put_without_a_value_or_with_a_bad_second_argument_fails_like_production(storage):
    with pytest.raises(JsException, match="put\\(\\) called with undefined value"):
        await storage.put("k")
    with pytest.raises(JsException, match="may only be called with a single key-value pair"):
        await storage.put({"a": 1}, "not options")


async def test_delete_returns_whether_a_key_existed_or_how_many_did(storage):
    await storage.put({"a": 1, "b": 2})
    assert await storage.delete("a") is True
    assert await storage.delete("a") is False
    assert await storage.delete(["a", "b", "zz"]) == 1


async def test_options_may_be_a_trailing_dict_or_keyword_arguments(storage):
    await storage.put("k", "v", {"allowUnconfirmed": True})
    await storage.put("k2", "v2", noCache=True)
    assert await storage.get("k", allowConcurrency=True) == "v"
    assert await storage.get("k2", {"noCache": True}) == "v2"


async def test_a_put_that_is_not_awaited_still_happens(storage):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        storage.put("eager", 1)
    assert await storage.get("eager") == 1


async def test_storage_calls_finish_without_letting_other_tasks_run(storage):
    import asyncio

    ran = []

    async def other():
        ran.append("other")

    task = asyncio.ensure_future(other())
    await storage.put("a", 1)
    await storage.get("a")
    assert ran == []
    await task


# -- list -----------------------------------------------------------------------------------------------


@pytest.fixture
async def listed(storage):
    await storage.put({"a": 1, "b:1": 2, "b:2": 3, "b:3": 4, "c": 5})
    return storage


@pytest.mark.parametrize(
    ("options", "keys"),
    [
        ({}, ["a", "b:1", "b:2", "b:3", "c"]),
        ({"prefix": "b:"}, ["b:1", "b:2", "b:3"]),
        ({"prefix": "b:", "limit": 2}, ["b:1", "b:2"]),
        ({"prefix": "b:", "reverse": True}, ["b:3", "b:2", "b:1"]),
        ({"start": "b:2"}, ["b:2", "b:3", "c"]),
        ({"startAfter": "b:2"}, ["b:3", "c"]),
        ({"end": "b:2"}, ["a", "b:1"]),
        ({"start": "b", "end": "c"}, ["b:1", "b:2", "b:3"]),
        ({"prefix": "b:", "start": "b:2", "end": "zz"}, ["b:2", "b:3"]),
        ({"prefix": "x"}, []),
        ({"start": "c", "end": "a"}, []),
        ({"reverse": True, "limit": 2}, ["c", "b:3"]),
    ],
)
async def test_list_returns_entries_in_key_order_within_the_options(listed, options, keys):
    result = await listed.list(options)
    assert isinstance(result, JsDict)
    assert list(result) == keys
    assert list(await listed.list(**options)) == keys


async def test_list_refuses_a_zero_limit_and_both_start_and_start_after(listed):
    with pytest.raises(JsException, match="List limit must be positive"):
        await listed.list(limit=0)
    with pytest.raises(JsException, match="both start and startAfter"):
        await listed.list(start="a", startAfter="b")


async def test_keys_sort_by_utf8_bytes(storage):
    await storage.put({"é": 1, "z": 2, "Z": 3, "\u4e2d": 4})
    assert list(await storage.list()) == ["Z", "z", "é", "\u4e2d"]


async def test_delete_all_removes_keys_sql_tables_and_the_alarm(flaresim, storage):
    await storage.put("k", 1)
    storage.sql.exec("CREATE TABLE t (x)")
    await storage.setAlarm(10**13)
    assert await storage.deleteAll() is None
    assert await storage.list() == {}
    assert await storage.getAlarm() is None
    assert storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 't'").toArray() == []
    await storage.sync()


# -- synchronous kv ---------------------------------------------------------------------------------------


async def test_the_synchronous_kv_api_shares_data_with_the_async_one(storage):
    storage.kv.put("k", {"v": 1})
    assert storage.kv.get("k").v == 1
    assert await storage.get("k") == {"v": 1}
    assert storage.kv.get("missing") is None
    storage.kv.put("k2", 2)
    assert [entry for entry in storage.kv.list(prefix="k")] == [["k", {"v": 1}], ["k2", 2]]
    assert dict(storage.kv.list({"start": "k2"})) == {"k2": 2}
    assert storage.kv.delete("k") is True
    assert storage.kv.delete("k") is False


# -- transactions ---------------------------------------------------------------------------------------


async def test_transaction_sync_commits_or_rolls_back_everything(storage):
    sql = storage.sql
    sql.exec("CREATE TABLE n (k TEXT PRIMARY KEY, v INTEGER)")

    def bump():
        sql.exec("INSERT INTO n VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET v = v + 1")
        storage.kv.put("touched", True)
        return sql.exec("SELECT v FROM n WHERE k = 'a'").one().v

    assert storage.transactionSync(bump) == 1

    def fail():
        bump()
        raise ValueError("undo")

    with pytest.raises(ValueError, match="undo"):
        storage.transactionSync(fail)
    assert sql.exec("SELECT v FROM n").one().v == 1
    storage.kv.delete("touched")

    with pytest.raises(ValueError):
        storage.transactionSync(fail)
    assert storage.kv.get("touched") is None


async def test_transaction_commits_its_writes_and_returns_the_closure_result(storage):
    async def body(txn):
        await txn.put("a", 1)
        await txn.put({"b": 2})
        return await txn.get("a")

    assert await storage.transaction(body) == 1
    assert await storage.get(["a", "b"]) == {"a": 1, "b": 2}


async def test_transaction_rolls_back_when_the_closure_raises_or_calls_rollback(storage):
    await storage.put("a", "before")

    async def failing(txn):
        await txn.put("a", "during")
        raise RuntimeError("nope")

    with pytest.raises(RuntimeError, match="nope"):
        await storage.transaction(failing)
    assert await storage.get("a") == "before"

    async def rolled_back(txn):
        await txn.put("a", "during")
        txn.rollback()
        return "done"

    assert await storage.transaction(rolled_back) == "done"
    assert await storage.get("a") == "before"


async def test_a_transaction_refuses_delete_all_and_use_after_it_ended(storage):
    kept = []

    async def body(txn):
        kept.append(txn)
        with pytest.raises(JsException, match="Cannot call deleteAll\\(\\) within a transaction"):
            txn.deleteAll()
        with pytest.raises(JsException, match="Cannot call deleteAll\\(\\) within a transaction"):
            await storage.deleteAll()

    await storage.transaction(body)
    with pytest.raises(JsException, match="transaction that has already committed"):
        await kept[0].get("a")


# -- limits -------------------------------------------------------------------------------------------------


async def test_a_value_over_two_megabytes_is_refused(storage):
    with pytest.raises(JsException, match="string or blob too big: SQLITE_TOOBIG"):
        await storage.put("big", "x" * (2 * 1024 * 1024 + 1))
    await storage.put("fits", "x" * (1024 * 1024))
    assert len(await storage.get("fits")) == 1024 * 1024


async def test_objects_not_declared_sqlite_use_the_older_limits_and_have_no_sql(flaresim):
    legacy = flaresim.workers["do-counter"] if "do-counter" in flaresim.workers else None
    legacy = legacy or flaresim.load_worker(FIXTURES / "do_counter")
    stub = legacy.isolates[0].env.LEGACY.getByName("old")
    assert await stub.put_get("k", [1, 2]) == [1, 2]
    for method in ("use_sql", "use_kv"):
        with pytest.raises(JsException, match="not backed by SQLite storage, so the SQL API is not available"):
            await getattr(stub, method)()
    with pytest.raises(JsException, match="Durable Object is not backed by SQL"):
        await stub.use_transaction_sync()
    with pytest.raises(JsException, match="Values cannot be larger than 131072 bytes"):
        await stub.put_get("k", "x" * 140_000)
    with pytest.raises(JsException, match="Keys cannot be larger than 2048 bytes"):
        await stub.put_get("k" * 2049, 1)


# -- persistence -------------------------------------------------------------------------------------------


async def test_storage_survives_a_restart_on_the_same_state_dir(tmp_path):
    state = tmp_path / "state"
    for expected in (3, 6):
        runtime = Runtime(state, clock=FakeClock(), environ={}, dev_vars=".dev.vars.example")
        try:
            host = runtime.load_worker(FIXTURES / "do_counter")
            stub = host.isolates[0].env.COUNTER.getByName("persistent")
            for _ in range(3):
                await stub.increment(1)
            assert await stub.count() == expected
            assert (await stub.info()).constructions == 1
        finally:
            await runtime.close()
    files = list((state / "do" / "do-counter" / "Counter").glob("*.sqlite3"))
    assert [f.stem for f in files] == [stub.id.toString()]


async def test_without_a_state_dir_storage_lives_in_memory_and_survives_eviction():
    runtime = Runtime(None, clock=FakeClock(), environ={}, dev_vars=".dev.vars.example")
    try:
        runtime.durable_objects.max_live_objects = 1
        counters = runtime.load_worker(FIXTURES / "do_counter").isolates[0].env.COUNTER
        await counters.getByName("a").increment(7)
        await counters.getByName("b").increment(1)  # evicts "a" (one live object at most)
        assert runtime.durable_objects.evictions >= 1
        assert await counters.getByName("a").count() == 7
    finally:
        await runtime.close()
