"""Durable Object namespaces and ids: what `env.COUNTER` gives, as production gives it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyodide.ffi import JsException

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEX_ID = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture
def counters(flaresim):
    return flaresim.load_worker(FIXTURES / "do_counter").isolates[0].env.COUNTER


def test_id_from_name_is_64_hex_digits_and_the_same_for_the_same_name(counters):
    first = counters.idFromName("room-1")
    again = counters.idFromName("room-1")
    assert HEX_ID.match(first.toString())
    assert str(first) == first.toString()
    assert first.toString() == again.toString()
    assert first.equals(again)
    assert first.name == "room-1"
    assert not first.equals(counters.idFromName("room-2"))


def test_ids_compare_by_identity_with_eq_as_raw_js_objects_do(counters):
    # Production hands Python the raw JS object: `==` is identity, `equals()` compares ids.
    assert counters.idFromName("x") != counters.idFromName("x")


async def test_the_same_name_gives_the_same_id_in_a_new_runtime(flaresim, tmp_path):
    from flaresim.runtime import Runtime

    before = flaresim.load_worker(FIXTURES / "do_counter").isolates[0].env.COUNTER.idFromName("stable").toString()
    other = Runtime(tmp_path / "other", environ={}, dev_vars=".dev.vars.example")
    try:
        after = other.load_worker(FIXTURES / "do_counter").isolates[0].env.COUNTER.idFromName("stable").toString()
    finally:
        await other.close()
    assert before == after


def test_new_unique_ids_differ_and_have_no_name(counters):
    first, second = counters.newUniqueId(), counters.newUniqueId()
    assert HEX_ID.match(first.toString())
    assert not first.equals(second)
    assert first.name is None


def test_id_from_string_accepts_an_id_of_this_namespace(counters):
    original = counters.idFromName("abc")
    parsed = counters.idFromString(original.toString())
    assert parsed.equals(original)
    assert parsed.name is None
    assert counters.idFromString(original.toString().upper()).equals(original)


@pytest.mark.parametrize("text", ["", "zz" * 32, "ab" * 31, "ab" * 33, "not an id"])
def test_id_from_string_refuses_what_is_not_64_hex_digits(counters, text):
    with pytest.raises(JsException, match=r"^TypeError: Invalid Durable Object ID: must be 64 hex digits$"):
        counters.idFromString(text)


def test_id_from_string_refuses_an_id_made_up_or_made_by_another_namespace(flaresim):
    env = flaresim.load_worker(FIXTURES / "do_counter").isolates[0].env
    foreign = env.LEGACY.idFromName("abc").toString()
    with pytest.raises(JsException, match="Durable Object ID is not valid for this namespace"):
        env.COUNTER.idFromString(foreign)
    with pytest.raises(JsException, match="Durable Object ID is not valid for this namespace"):
        env.COUNTER.idFromString("0" * 64)


def test_get_refuses_a_string_and_an_id_of_another_namespace(flaresim):
    env = flaresim.load_worker(FIXTURES / "do_counter").isolates[0].env
    with pytest.raises(JsException, match="parameter 1 is not of type 'DurableObjectId'"):
        env.COUNTER.get(env.COUNTER.idFromName("a").toString())
    with pytest.raises(JsException, match="not valid for this namespace"):
        env.COUNTER.get(env.LEGACY.idFromName("a"))


async def test_get_by_name_reaches_the_same_object_as_get_of_id_from_name(counters):
    by_name = counters.getByName("shared")
    by_id = counters.get(counters.idFromName("shared"))
    assert by_name.id.equals(by_id.id)
    assert by_name.name == by_id.name == "shared"
    await by_name.increment(1)
    assert await by_id.count() == 1


async def test_a_stub_made_from_an_id_string_has_no_name(counters):
    stub = counters.get(counters.idFromString(counters.idFromName("n").toString()))
    assert stub.name is None
    assert (await stub.info())["name"] is None


def test_a_jurisdiction_gives_other_ids_for_the_same_name(counters):
    eu = counters.jurisdiction("eu")
    assert not eu.idFromName("a").equals(counters.idFromName("a"))
    assert eu.idFromName("a").equals(eu.idFromName("a"))
    assert eu.newUniqueId().jurisdiction == "eu"
    assert counters.newUniqueId(jurisdiction="fedramp").jurisdiction == "fedramp"


def test_a_jurisdiction_namespace_refuses_an_id_of_another_jurisdiction(counters):
    with pytest.raises(JsException, match="ID from a different jurisdiction"):
        counters.jurisdiction("eu").get(counters.jurisdiction("fedramp").idFromName("a"))
    with pytest.raises(JsException, match="Unknown jurisdiction"):
        counters.jurisdiction("mars")


def test_stubs_are_truthy_but_have_no_length_and_cannot_be_iterated(counters):
    stub = counters.getByName("a")
    assert stub
    with pytest.raises(TypeError, match="has no len"):
        len(stub)
    with pytest.raises(TypeError, match="not iterable"):
        iter(stub)


async def test_the_worker_sees_the_stub_id_and_name(flaresim):
    host = flaresim.load_worker(FIXTURES / "do_counter")
    described = await host.call("Default", "describe", ["alice"])
    counters = host.isolates[0].env.COUNTER
    assert described == f'{{"id": "{counters.idFromName("alice").toString()}", "name": "alice"}}'
