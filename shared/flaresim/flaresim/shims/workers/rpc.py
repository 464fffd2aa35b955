"""`workers.rpc` conversions, simulated (see flaresim.rpc_values for the rules)."""

from __future__ import annotations

from typing import Any

from pyodide.ffi import jsnull

from flaresim.rpc_values import JsDict, check_transferable, transfer

__all__ = ["JsDict", "python_from_rpc", "python_to_rpc"]


def python_to_rpc(value: Any) -> Any:
    """Check and convert a Python value for a trip to JavaScript."""
    if value is None:
        return jsnull
    check_transferable(value)
    return transfer(value)


def python_from_rpc(value: Any) -> Any:
    """Convert a value that came from JavaScript (JS null becomes None, objects JsDict)."""
    if value is jsnull:
        return None
    return transfer(value)
