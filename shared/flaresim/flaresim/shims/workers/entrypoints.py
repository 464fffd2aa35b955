"""Entrypoint base classes, as in the SDK: workerd finds subclasses in the main module."""

from __future__ import annotations

import functools
from typing import Any

from .request import Request


class DurableObjectAbort(BaseException):
    """Raised by `ctx.abort()`; a BaseException so `except Exception` does not swallow it."""


class WorkerEntrypoint:
    """Base class of a Worker's entrypoints; `Default` is the default export."""

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class DurableObject:
    """Base class of a Durable Object; one live instance per id."""

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class WorkflowEntrypoint:
    """Base class of a Workflow (not simulated beyond construction)."""

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


def handler(func: Any) -> Any:
    """Legacy decorator for global handlers; kept for import compatibility."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


__all__ = ["DurableObject", "DurableObjectAbort", "Request", "WorkerEntrypoint", "WorkflowEntrypoint", "handler"]
