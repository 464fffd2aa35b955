"""Interceptors: hooks that code registers to see and change what passes through the gateway.

    from ai_proxy import interceptors

    def redact_emails(call):                      # on_request: before routing, limits and cache
        for message in call.body.get("messages", []):
            if isinstance(message.get("content"), str):
                message["content"] = EMAIL.sub("[email]", message["content"])

    interceptors.register(on_request=redact_emails)

- `on_request(call)`: `call.body` (the request about to be routed, mutable: for a conversation
  turn, the chat request with its history; for a batch, each item), `call.headers`,
  `call.principal`, `call.route`; raise `flarekit.errors.HTTPError` to refuse the request (custom
  auth, prompt injection filters). It runs after the key check, before limits, cache and routing.
- `on_response(call, body)`: a JSON answer before it is sent (mutable; for a stream, the
  assembled completion after it was sent, to observe only).
- `on_error(call, error)`: an HTTPError about to be sent; return another HTTPError to replace it.
Hooks may be plain or async functions. Register them at import time (in `entry.py` or a module it
imports), so every isolate has them; a hook that raises anything but HTTPError fails the request
with a 500 in the API's error format.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from flarekit.errors import HTTPError

Hook = Callable[..., Any]

on_request: list[Hook] = []
on_response: list[Hook] = []
on_error: list[Hook] = []


def register(*, on_request: Hook | None = None, on_response: Hook | None = None, on_error: Hook | None = None) -> None:
    """Add hooks (any of the three); they run in registration order."""
    for hook, target in ((on_request, _REQUEST), (on_response, _RESPONSE), (on_error, _ERROR)):
        if hook is not None:
            target.append(hook)


def clear() -> None:
    """Remove every hook (tests)."""
    for target in (_REQUEST, _RESPONSE, _ERROR):
        target.clear()


_REQUEST, _RESPONSE, _ERROR = on_request, on_response, on_error


async def _call(hook: Hook, *args: Any) -> Any:
    result = hook(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


async def run_request(call: Any) -> None:
    for hook in _REQUEST:
        await _call(hook, call)


async def run_response(call: Any, body: dict[str, Any]) -> None:
    for hook in _RESPONSE:
        await _call(hook, call, body)


async def run_error(call: Any, error: HTTPError) -> HTTPError:
    for hook in _ERROR:
        replaced = await _call(hook, call, error)
        if isinstance(replaced, HTTPError):
            error = replaced
    return error
