"""The Python half of workerd's entrypoint helper (runs inside Pyodide, in each isolate).

workerd introspects the main module with a small Python module of its own: it lists the classes to
export (subclasses of the SDK's WorkerEntrypoint / DurableObject / WorkflowEntrypoint found in
`__all__`, or else in `dir(module)` without `_` names) and routes every JS call into Python through
one function that converts arguments with `python_from_rpc`, calls the method (with relaxed arity for
`fetch`: extra arguments are dropped), awaits it and converts the result with `python_to_rpc`.
This file does the same, written for this harness.
"""

from __future__ import annotations

import inspect
from types import FunctionType

import js
from pyodide.code import relaxed_call
from pyodide.ffi import to_js
from workers import DurableObject, WorkerEntrypoint, WorkflowEntrypoint, python_from_rpc, python_to_rpc

KINDS = {
    "durableObjects": DurableObject,
    "workerEntrypoints": WorkerEntrypoint,
    "workflowEntrypoints": WorkflowEntrypoint,
}


def _public_methods(cls):
    def defined_as_function(name):
        for base in cls.__mro__:
            if name in base.__dict__:
                return isinstance(base.__dict__[name], FunctionType)
        return False

    return sorted(name for name in dir(cls) if not name.startswith("_") and defined_as_function(name))


def collect_entrypoint_classes(module):
    """{kind: [{className, methodNames}]} for the classes workerd would export from `module`."""
    if hasattr(module, "__all__"):
        names = list(module.__all__)
    else:
        names = [name for name in dir(module) if not name.startswith("_")]
    values = [getattr(module, name) for name in names]
    found = {}
    for kind, base in KINDS.items():
        found[kind] = [
            {"className": value.__name__, "methodNames": _public_methods(value)}
            for value in values
            if inspect.isclass(value) and issubclass(value, base) and value is not base
        ]
    return to_js(found, dict_converter=js.Object.fromEntries)


async def wrapper_func(relaxed, instance, name, *args, **kwargs):
    """One JS call into a Python entrypoint method, converted both ways as on workerd."""
    method = getattr(instance, name)
    py_args = [python_from_rpc(arg) for arg in args]
    py_kwargs = {key: python_from_rpc(value) for key, value in kwargs.items()}
    result = relaxed_call(method, *py_args, **py_kwargs) if relaxed else method(*py_args, **py_kwargs)
    if inspect.isawaitable(result):
        result = await result
    return python_to_rpc(result)
