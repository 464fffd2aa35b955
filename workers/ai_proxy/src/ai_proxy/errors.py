"""Errors in OpenAI's shape `{"error": {"message", "type", "param", "code"}}`, with the right status.

A provider's failure (after failover) becomes the status a client of OpenAI would expect: its own
4xx when the request was at fault, 429 with Retry-After when rate limited, 502/503/504 otherwise.
A provider refusing our credentials is our fault, not the client's: 502.
"""

from __future__ import annotations

import math

from flarekit.errors import HTTPError
from flarekit.llm.errors import ProviderError
from flarekit.llm.openai_format import dumps, error_body

JSON_HEADERS = {"content-type": "application/json"}


def error_json(error: HTTPError) -> bytes:
    """The JSON body of an error answer."""
    return dumps(error_body(error.message, error.type, error.param, error.code))


def from_provider(error: ProviderError) -> HTTPError:
    """The client-facing error for a failed upstream call."""
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        headers["retry-after"] = str(max(1, math.ceil(error.retry_after)))
    if error.status in (401, 403) and error.kind == "status":
        return HTTPError(
            502,
            f"The upstream provider refused the gateway's credentials ({error.message})",
            "upstream_auth_failed",
            "upstream_error",
        )
    if error.status == 429:
        if error.code == "insufficient_quota":
            headers["x-should-retry"] = "false"
        return HTTPError(429, error.message, error.code or "rate_limit_exceeded", error.error_type, headers=headers)
    if error.status < 500 and not error.retryable:
        return HTTPError(error.status, error.message, error.code, "invalid_request_error", error.param, headers)
    status = error.status if error.status in (502, 503, 504) else 502
    return HTTPError(status, error.message, error.code or "upstream_error", error.error_type, headers=headers)


def model_not_found(model: object) -> HTTPError:
    return HTTPError(
        404, f"The model `{model}` does not exist or you do not have access to it.", "model_not_found", param="model"
    )


def bad_request(message: str, param: str | None = None, code: str | None = None) -> HTTPError:
    return HTTPError(400, message, code, "invalid_request_error", param)


def to_http_error(error: Exception) -> HTTPError | None:
    """The HTTPError to answer an exception with (None for an unexpected one: a 500)."""
    if isinstance(error, HTTPError):
        return error
    if isinstance(error, ProviderError):
        return from_provider(error)
    return None
