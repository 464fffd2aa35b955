"""What crosses RPC: the JSON-like fast path converts exactly as the general path, and refuses alike."""

from __future__ import annotations

import random

import pytest
from pyodide.ffi import jsnull

from flaresim.rpc_values import MAX_SAFE_INTEGER, JsDict, _convert, check_transferable, transfer


def general(value):
    """The conversion without the fast path: the full check, then the per-type conversion."""
    check_transferable(value)
    return _convert(value)


def same(a, b) -> bool:
    """Equal values with equal types all the way down (1 == 1.0 == True would hide a difference)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (a != a and b != b)  # NaN


SCALARS = [
    0,
    -7,
    MAX_SAFE_INTEGER,
    MAX_SAFE_INTEGER + 1,
    -(2**60),
    3.0,
    -0.0,
    2.5,
    1e300,
    float(2**60),
    float("inf"),
    float("nan"),
    True,
    False,
    None,
    jsnull,
    "",
    "text",
]


def json_like(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth > 3 or roll < 0.5:
        return rng.choice(SCALARS)
    if roll < 0.75:
        return [json_like(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {f"k{i}": json_like(rng, depth + 1) for i in range(rng.randrange(5))}


@pytest.mark.parametrize("seed", range(40))
def test_json_like_values_convert_exactly_as_the_general_path_does(seed):
    value = json_like(random.Random(seed))
    assert same(transfer(value), general(value))


def test_whole_floats_become_ints_and_dicts_come_back_as_js_dicts():
    result = transfer({"a": 3.0, "b": [1.0, 2.5, {"c": None}], "d": jsnull, "e": 2**60})
    assert type(result) is JsDict and type(result["b"][2]) is JsDict
    assert type(result["a"]) is int and result["b"][:2] == [1, 2.5] and type(result["b"][0]) is int
    assert result["d"] is None and type(result["e"]) is float
    assert result.b[2].c is None


def test_a_converted_value_is_a_copy_not_the_original():
    original = {"a": [1, 2]}
    result = transfer(original)
    result["a"].append(3)
    assert original == {"a": [1, 2]}


@pytest.mark.parametrize(
    "value",
    [(1,), [1, [2, (3,)]], {"a": {"b": [bytearray(b"x")]}}, [{"deep": (1, 2)}], {"ok": 1, "t": ()}],
)
def test_a_tuple_or_bytearray_anywhere_is_refused(value):
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        transfer(value)


def test_values_outside_the_json_subset_still_convert_through_the_general_path():
    result = transfer({"b": b"\x01", 2: "int key", False: "bool key", "s": {1, 2}, "nested": [memoryview(b"x")]})
    assert isinstance(result["b"], memoryview) and result["2"] == "int key" and result["false"] == "bool key"
    assert result["s"] == {1, 2} and isinstance(result["nested"][0], memoryview)
