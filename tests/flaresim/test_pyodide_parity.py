"""Differences found between flaresim and real Pyodide by the Pyodide tier, kept fixed.

Each test pins one behaviour that the Pyodide tier's parity probes (tests/pyodide/selftest/parity.mjs)
observed in Pyodide 0.28.2 with workers-runtime-sdk 1.9.5, so flaresim cannot drift back.
"""

from __future__ import annotations

from pyodide.ffi import jsnull


def test_jsnull_is_a_falsy_non_none_of_type_jsnull_as_in_pyodide():
    # The body of a GET request is JS null; code that logs or branches on its type sees "JsNull".
    assert type(jsnull).__name__ == "JsNull"
    assert repr(jsnull) == "jsnull" and str(jsnull) == "jsnull"
    assert not jsnull and jsnull is not None
