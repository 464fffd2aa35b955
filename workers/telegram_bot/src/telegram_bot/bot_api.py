"""Calls to the Telegram Bot API (`{TELEGRAM_API_BASE}/bot{token}/{method}`), one attempt each.

Every failure is raised as a named error saying what to do next, so the outbox (which owns retries)
decides from the type alone:
- `RetryAfter`: 429 flood control; wait `retry_after` seconds (https://core.telegram.org/bots/api#responseparameters).
- `Transient`: 5xx, a dropped connection, a timeout, a body that is not the API's JSON; retry with backoff.
- `EntityError`: 400 "can't parse entities"; resend the same text without `parse_mode`.
- `NotModified`: 400 "message is not modified"; the edit already shows this text, which is success.
- `Rejected`: any other 4xx (blocked by the user, chat not found); retrying will not help.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pyodide.ffi import JsException
from workers import fetch as workers_fetch

# Telegram normally answers in well under a second; a call stuck this long is retried instead.
CALL_TIMEOUT_SECONDS = 20.0

Fetch = Callable[..., Awaitable[Any]]


class BotApiError(Exception):
    """A Bot API call that did not succeed: HTTP status (0 for no answer) and Telegram's description."""

    def __init__(self, method: str, status: int, description: str) -> None:
        super().__init__(f"{method}: {status} {description}")
        self.method = method
        self.status = status
        self.description = description


class RetryAfter(BotApiError):
    def __init__(self, method: str, description: str, retry_after: float) -> None:
        super().__init__(method, 429, description)
        self.retry_after = retry_after


class Transient(BotApiError):
    """Worth another try after a pause."""


class EntityError(BotApiError):
    """The HTML was refused; the plain text will be accepted."""


class NotModified(BotApiError):
    """An edit that would change nothing (Telegram refuses those)."""


class Rejected(BotApiError):
    """Permanent for this request."""


def classify(method: str, status: int, body: Any) -> Any:
    """The `result` of a successful answer, or raise the error it stands for."""
    if not isinstance(body, dict):
        raise Transient(method, status, "the Bot API answered something that is not its JSON")
    if status == 200 and body.get("ok") is True:
        return body.get("result")
    description = str(body.get("description") or "")
    code = body.get("error_code") if isinstance(body.get("error_code"), int) else status
    parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
    if code == 429 or "retry_after" in parameters:
        retry_after = parameters.get("retry_after")
        wait = float(retry_after) if isinstance(retry_after, (int, float)) and retry_after >= 0 else 1.0
        raise RetryAfter(method, description, wait)
    if code >= 500 or status >= 500:
        raise Transient(method, code, description)
    lowered = description.lower()
    if "can't parse entities" in lowered or "can't find end" in lowered:
        raise EntityError(method, code, description)
    if "message is not modified" in lowered:
        raise NotModified(method, code, description)
    raise Rejected(method, code, description)


class BotApi:
    """A Bot API client for one bot: base URL and token from the config, `fetch` injectable."""

    def __init__(self, api_base: str, token: str, fetch: Fetch | None = None) -> None:
        self._prefix = f"{api_base}/bot{token}/"
        self._fetch = fetch or workers_fetch
        self.calls = 0

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """POST `params` as JSON to `method`; the result, or a BotApiError subclass."""
        self.calls += 1
        body = json.dumps(params or {}, separators=(",", ":"), ensure_ascii=False)
        try:
            response = await asyncio.wait_for(
                self._fetch(
                    self._prefix + method, method="POST", headers={"content-type": "application/json"}, body=body
                ),
                CALL_TIMEOUT_SECONDS,
            )
            status = response.status
            text = await response.text()
        except (OSError, JsException, TimeoutError) as error:
            raise Transient(method, 0, f"no answer: {error}") from None
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        return classify(method, status, parsed)
