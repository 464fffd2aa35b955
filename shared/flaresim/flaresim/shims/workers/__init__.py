"""flaresim's `workers` module: the public names of the workers-runtime-sdk, on CPython.

Production imports the vendored `workers-runtime-sdk`; flaresim puts this package on `sys.path`
instead, so the same Worker code runs unchanged. Only names are copied, not code.
"""

from __future__ import annotations

from typing import Any

from flaresim import context as _context

from .entrypoints import DurableObject, WorkerEntrypoint, WorkflowEntrypoint, handler
from .fetch import fetch
from .request import Request
from .response import FetchResponse, Response
from .rpc import python_from_rpc, python_to_rpc
from .types import Body, Context, FetchKwargs, Headers, JSBody, RequestInitCfProperties

__all__ = [
    "Body",
    "Context",
    "DurableObject",
    "FetchKwargs",
    "FetchResponse",
    "Headers",
    "JSBody",
    "Request",
    "RequestInitCfProperties",
    "Response",
    "WorkerEntrypoint",
    "WorkflowEntrypoint",
    "env",
    "fetch",
    "handler",
    "import_from_javascript",
    "patch_env",
    "python_from_rpc",
    "python_to_rpc",
    "waitUntil",
    "wait_until",
]


def import_from_javascript(module_name: str) -> Any:
    """Only `cloudflare:workers` is simulated."""
    if module_name == "cloudflare:workers":
        from flaresim.runtime import cloudflare_workers_module

        return cloudflare_workers_module()
    raise ImportError(f"Failed to import '{module_name}': not simulated by flaresim")


def patch_env(*_args: Any, **_kwargs: Any) -> Any:
    raise NotImplementedError("patch_env is not simulated by flaresim")


def __getattr__(key: str) -> Any:
    if key == "env":
        env = _context.env_var.get()
        if env is None:
            raise RuntimeError("workers.env is only available inside a Worker loaded by flaresim")
        return env
    if key in ("wait_until", "waitUntil"):
        return import_from_javascript("cloudflare:workers").waitUntil
    raise AttributeError(f"module {__name__!r} has no attribute {key!r}")
