"""Turn a request into a handler call, and any HTTPError into the API's own error response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flarekit.errors import HTTPError
from flarekit.http.request_context import RequestContext
from flarekit.http.router import MethodNotAllowed, NotFound, Router
from flarekit.metrics import observation

ErrorRenderer = Callable[[HTTPError], Any]


async def dispatch(router: Router, request: Any, env: Any, ctx: Any, render_error: ErrorRenderer) -> Any:
    """Route `request`; unknown paths give 404, wrong methods 405, HTTPErrors their own status."""
    rc = RequestContext(request, env, ctx)
    try:
        match = router.match(rc.method, rc.path)
    except NotFound:
        return render_error(HTTPError(404, f"No route for {rc.method} {rc.path}", code="not_found"))
    except MethodNotAllowed as error:
        allow = ", ".join(error.allowed)
        return render_error(
            HTTPError(
                405,
                f"{rc.method} is not allowed here (allowed: {allow})",
                code="method_not_allowed",
                headers={"allow": allow},
            )
        )
    rc.params = match.params
    observation.current().set(route=match.template)  # the low-cardinality route for spans and metrics
    try:
        return await match.handler(rc)
    except HTTPError as error:
        observation.current().set(error_type=error.code or "")
        return render_error(error)
