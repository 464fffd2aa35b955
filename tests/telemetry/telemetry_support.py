"""Helpers for the telemetry tests: tokens, event builders, paging through queries."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

INGEST = {"authorization": "Bearer ingest-dev-token"}
QUERY = {"authorization": "Bearer query-dev-token"}
NOW_MS = 1_790_000_000_000  # flaresim's FakeClock starts here


def event(n: int = 0, event_type: str = "page.view", **fields: Any) -> dict:
    return {"event_type": event_type, "data": {"n": n}, **fields}


class TelemetryClient:
    """The Worker's API as a test uses it (in process, through flaresim)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def post(
        self, path: str, document: Any = None, *, body: bytes | str | None = None, headers: dict | None = None
    ):
        headers = {**INGEST, **(headers or {})}
        if document is not None:
            return await self.client.post(path, json=document, headers=headers)
        return await self.client.post(path, body=body, headers=headers)

    async def post_json(self, path: str, document: Any, **kwargs: Any) -> tuple[int, Any]:
        response = await self.post(path, document, **kwargs)
        return response.status, json.loads(await response.text())

    async def get_json(self, path: str, params: dict | None = None, headers: dict | None = None) -> tuple[int, Any]:
        url = path + ("?" + urlencode(params) if params else "")
        response = await self.client.get(url, headers=headers if headers is not None else QUERY)
        return response.status, json.loads(await response.text())

    async def query(self, **params: Any) -> dict:
        status, body = await self.get_json("/api/telemetry/query", {k: v for k, v in params.items() if v is not None})
        assert status == 200, body
        return body

    async def query_all(self, **params: Any) -> list[dict]:
        """Every event of a range, following cursors; fails on a page that repeats the previous cursor."""
        events: list[dict] = []
        cursor = None
        for _ in range(10_000):
            page = await self.query(**params, cursor=cursor)
            events.extend(page["events"])
            if "cursor" not in page:
                return events
            assert page["cursor"] != cursor, "the cursor did not move"
            cursor = page["cursor"]
        raise AssertionError("too many pages")
