"""Durable Object stubs: fetch, RPC conversions, one instance per id, events one at a time."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import weakref
from pathlib import Path

import pytest
from pyodide.ffi import JsException

from flaresim.durable_objects import DurableObjectDeadlock
from flaresim.rpc_values import JsDict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def host(flaresim):
    return flaresim.load_worker(FIXTURES / "do_counter")


@pytest.fixture
def counters(host):
    return host.isolates[0].env.COUNTER


# -- fetch ------------------------------------------------------------------------------------------


async def test_a_worker_forwards_a_request_to_the_object_fetch(host, worker_client):
    response = await worker_client(host).post("/echo?name=a", body="hello")
    assert response.status == 200
    assert await response.json() == {
        "method": "POST",
        "path": "/echo",
        "body": "hello",
        "ready": True,
        "url": "http://localhost/echo?name=a",
    }


async def test_stub_fetch_takes_a_url_and_init_keywords_and_returns_a_response(counters):
    from workers import Response

    response = await counters.getByName("a").fetch("https://do.example/path", method="PUT", body="x")
    assert isinstance(response, Response)
    assert (await response.json())["method"] == "PUT"


async def test_object_fetch_may_take_no_request_argument(host, worker_client):
    response = await worker_client(host).get("/legacy")
    assert await response.text() == "legacy"


async def test_stub_fetch_refuses_a_url_without_scheme(counters):
    with pytest.raises((TypeError, JsException), match="URL"):
        await counters.getByName("a").fetch("/relative")


# -- RPC conversions ----------------------------------------------------------------------------------


async def test_rpc_dicts_come_back_with_attribute_access_and_none_round_trips(counters):
    result = await counters.getByName("a").echo({"a": None, "nested": {"b": [1, None]}})
    assert isinstance(result, JsDict)
    assert result.a is None
    assert result.nested.b == [1, None]
    assert await counters.getByName("a").echo(None) is None


async def test_rpc_values_change_as_they_do_across_javascript(counters):
    stub = counters.getByName("a")
    assert await stub.echo(3.0) == 3
    assert type(await stub.echo(3.0)) is int
    assert isinstance(await stub.echo(b"\x00\x01"), memoryview)
    assert await stub.echo({1, 2}) == {1, 2}
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, 678_901)
    assert await stub.echo(moment) == dt.datetime(2026, 1, 2, 3, 4, 5, 678_000)


@pytest.mark.parametrize("value", [(1, 2), bytearray(b"x"), [(1, 2)], {"t": (1,)}])
async def test_rpc_refuses_tuples_and_bytearrays_before_calling(counters, value):
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        await counters.getByName("a").echo(value)


async def test_keyword_arguments_arrive_as_one_trailing_dict(counters):
    assert await counters.getByName("a").collect(1, "two", flag=True, n=3) == [1, "two", {"flag": True, "n": 3}]


async def test_methods_are_called_with_strict_arity(counters):
    with pytest.raises(JsException, match=r"TypeError: .*echo\(\) takes 2 positional arguments but 3 were given"):
        await counters.getByName("a").echo(1, 2)


@pytest.mark.parametrize("method", ["not_defined", "_private", "ready"])
async def test_calling_a_method_the_class_does_not_offer_fails(counters, method):
    with pytest.raises(JsException) as error:
        await getattr(counters.getByName("a"), method)()
    assert str(error.value) == f"TypeError: Method {method} does not exist"


async def test_reserved_rpc_names_cannot_be_called(counters):
    with pytest.raises(JsException, match="'dup' is a reserved method and cannot be called over RPC"):
        await counters.getByName("a").dup()


async def test_an_exception_in_the_object_reaches_the_caller_as_a_js_exception(counters):
    with pytest.raises(JsException) as error:
        await counters.getByName("a").fail("boom")
    assert "ValueError: boom" in str(error.value)
    assert not isinstance(error.value, ValueError)


async def test_a_result_that_cannot_cross_fails_in_the_object(counters):
    with pytest.raises(JsException, match="cannot be sent over RPC"):
        await counters.getByName("a").give_tuple()


async def test_a_stub_method_is_cached_and_a_dropped_stub_is_freed_without_the_cycle_collector(counters):
    stub = counters.getByName("a")
    assert stub.increment is stub.increment  # as the SDK caches methods looked up on a stub
    gc.disable()
    try:
        assert await stub.increment() == 1
        dropped = weakref.ref(stub)
        del stub
        assert dropped() is None  # a Worker makes a stub per request: nothing is left for gc
    finally:
        gc.enable()


async def test_a_worker_calls_an_object_over_rpc_through_its_binding(host):
    assert await host.call("Default", "increment", ["w"]) == 1
    assert await host.call("Default", "increment", ["w"]) == 2


# -- one live instance per id ---------------------------------------------------------------------------


async def test_every_stub_and_isolate_reaches_one_instance_per_id(flaresim):
    host = flaresim.load_worker(FIXTURES / "do_counter", isolates=2)
    first, second = (isolate.env.COUNTER for isolate in host.isolates)
    assert await first.getByName("a").bump_memory() == 1
    assert await second.getByName("a").bump_memory() == 2
    assert await second.get(second.idFromName("a")).bump_memory() == 3
    assert await first.getByName("b").bump_memory() == 1
    info = await second.getByName("a").info()
    assert info.constructions == 1


async def test_the_object_uses_the_env_of_the_worker_that_hosts_it(flaresim):
    flaresim.load_worker(FIXTURES / "do_counter")
    client = flaresim.load_worker(FIXTURES / "do_client")
    assert await (await client.fetch(_request("https://client/?name=n"))).text() == "1"
    hosted = flaresim.workers["do-counter"].isolates[0].env.COUNTER
    assert await hosted.getByName("n").count() == 1
    assert (await hosted.getByName("n").info()).worker == "do-counter"


async def test_a_class_the_worker_does_not_export_fails_on_first_call(flaresim):
    from flaresim.runtime import WorkerError

    env = flaresim.load_worker(FIXTURES / "do_counter").isolates[0].env
    stub = env.MISSING.getByName("a")
    with pytest.raises(WorkerError, match="does not export Durable Object class 'NotExported'"):
        await stub.anything()


async def test_the_object_receives_no_event_before_its_constructor_work_finished(counters):
    # The constructor starts blockConcurrencyWhile(warm_up) without awaiting it.
    info = await counters.getByName("fresh").info()
    assert info.ready is True


async def test_block_concurrency_while_returns_the_callback_result(counters):
    assert await counters.getByName("a").block_and_return(42) == 42


async def test_evicted_objects_are_constructed_again_and_keep_their_storage(flaresim, counters):
    stub = counters.getByName("e")
    await stub.increment(5)
    assert await stub.bump_memory() == 1
    assert flaresim.durable_objects.evict_all() == 1
    assert await stub.bump_memory() == 1
    assert await stub.count() == 5
    assert (await stub.info()).constructions == 2


async def test_abort_fails_the_call_and_resets_the_object(counters):
    stub = counters.getByName("ab")
    await stub.increment(2)
    await stub.bump_memory()
    with pytest.raises(JsException, match=r"^Error: reset please$"):
        await stub.abort_now("reset please")
    assert await stub.bump_memory() == 1
    assert await stub.count() == 2


async def test_abort_inside_the_object_is_not_caught_by_except_exception(flaresim, counters):
    from workers.entrypoints import DurableObjectAbort

    instance = await flaresim.durable_objects.instance_of(counters.getByName("x"))
    assert issubclass(DurableObjectAbort, BaseException) and not issubclass(DurableObjectAbort, Exception)
    with pytest.raises(DurableObjectAbort, match="Durable Object abort requested"):
        instance.ctx.abort()


async def test_wait_until_work_of_an_object_finishes_after_the_call(flaresim, counters):
    stub = counters.getByName("w")
    assert await stub.later("k") == "scheduled"
    await flaresim.drain()
    instance = await flaresim.durable_objects.instance_of(stub)
    assert await instance.ctx.storage.get("k") == "written later"


async def test_websocket_hibernation_is_reported_as_not_simulated(flaresim, counters):
    instance = await flaresim.durable_objects.instance_of(counters.getByName("ws"))
    with pytest.raises(NotImplementedError, match="WebSockets"):
        instance.ctx.acceptWebSocket(object())


# -- events one at a time ---------------------------------------------------------------------------


async def test_one_hundred_concurrent_increments_count_to_exactly_one_hundred(counters):
    stub = counters.getByName("hot")
    results = await asyncio.gather(*(stub.increment(1) for _ in range(100)))
    assert sorted(results) == list(range(1, 101))
    assert await stub.count() == 100


async def test_concurrent_increments_from_several_isolates_count_exactly(flaresim):
    host = flaresim.load_worker(FIXTURES / "do_counter", isolates=3)
    await asyncio.gather(*(host.call("Default", "increment", ["many"]) for _ in range(60)))
    assert await host.isolates[0].env.COUNTER.getByName("many").count() == 60


async def test_an_event_keeps_the_object_to_itself_across_other_awaits(counters):
    # Stricter than production, whose input gate would let the other calls in at the sleep.
    stub = counters.getByName("sleepy")
    await asyncio.gather(*(stub.increment_across_sleep() for _ in range(20)))
    assert await stub.count() == 20


async def test_an_object_may_call_itself_through_its_own_stub(counters):
    stub = counters.getByName("self")
    assert await stub.call_self(3) == 3
    assert await stub.count() == 3


async def test_background_work_of_an_event_may_call_the_object_after_the_event(flaresim, counters):
    stub = counters.getByName("bg")
    assert await stub.call_self_in_background() == "started"
    await flaresim.drain()
    assert await stub.count() == 1
    assert flaresim.background_failures == 0


async def test_calling_itself_while_blocking_concurrency_raises_instead_of_hanging(counters):
    with pytest.raises(DurableObjectDeadlock, match="while it blocks concurrency"):
        await asyncio.wait_for(counters.getByName("stuck").call_self_while_blocking(), 5)


def _request(url: str):
    from workers import Request

    return Request(url)
