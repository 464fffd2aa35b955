"""Response builders used by every Worker."""

from __future__ import annotations

import json
from typing import Any

from workers import Response

_JSON = "application/json"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response; `headers` are added to the content type."""
    merged = {"content-type": _JSON}
    if headers:
        merged.update(headers)
    return Response(json.dumps(data, separators=(",", ":")), status=status, headers=merged)


def health_response(worker: str, version: str) -> Response:
    """The `GET /health` answer every Worker gives."""
    return json_response({"status": "ok", "worker": worker, "version": version})
