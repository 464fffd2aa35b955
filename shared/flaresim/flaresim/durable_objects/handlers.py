"""How workerd calls into a Durable Object and what the caller sees when the object raises."""

from __future__ import annotations

import functools
import inspect
import traceback
from collections.abc import Callable
from typing import Any

from pyodide.ffi import JsException

from flaresim.durable_objects.values import js_error

ABORT_MESSAGE = "Application called abort() to reset Durable Object."


class DurableObjectDeadlock(RuntimeError):
    """A call that could only finish after the object it waits on finishes (flaresim's own error)."""


@functools.cache
def _positional_capacity(function: Callable[..., Any]) -> int:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 1_000
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return 1_000
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)


def call_relaxed(handler: Callable[..., Any], *args: Any) -> Any:
    """Call a handler with as many arguments as it takes (workerd drops the extras for fetch/alarm)."""
    function = getattr(handler, "__func__", handler)
    capacity = _positional_capacity(function) - (1 if function is not handler else 0)
    return handler(*args[: max(capacity, 0)])


def callee_error(error: BaseException) -> BaseException:
    """What the caller of an RPC method or `fetch` sees when the object raised `error`."""
    from workers.entrypoints import DurableObjectAbort

    from flaresim.runtime import WorkerError

    if not isinstance(error, (Exception, DurableObjectAbort)):
        return error  # cancellation and interpreter exits pass through untouched
    if isinstance(error, (JsException, DurableObjectDeadlock, WorkerError)):
        # A JS error thrown through Python code reaches the caller as the same JS error.
        return error
    if isinstance(error, DurableObjectAbort):
        return js_error(getattr(error, "flaresim_reason", None) or ABORT_MESSAGE)
    # Pyodide turns an escaping Python exception into a JS PythonError carrying the traceback.
    return js_error("".join(traceback.format_exception(error)).rstrip())
