"""`GET /install`: a redirect to the install script (`INSTALL_SCRIPT_URL`)."""

from __future__ import annotations

from workers import Response

from flarekit.errors import HTTPError
from flarekit.http.request_context import RequestContext
from telemetry_ingest.context import config_of


async def install(rc: RequestContext):
    url = config_of(rc).install_script_url
    if url is None:
        raise HTTPError(404, "No install script is configured (INSTALL_SCRIPT_URL)", code="not_found")
    return Response(None, status=302, headers={"location": url, "cache-control": "no-store"})


ROUTES = (("GET", "/install", install),)
