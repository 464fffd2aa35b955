"""How a call to a provider failed, classified for failover and for the client's error.

`ProviderError.kind` says what happened (`status`, `timeout`, `connection`, `malformed`,
`stream_error`, `circuit_open`); `retryable` says whether another deployment (or a later try) may succeed;
`status`, `error_type`, `code` and `param` carry the provider's answer when there was one, so a
client mistake the provider reported (a 400 for a too-long prompt) reaches the client unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from flarekit.errors import UpstreamError

# Statuses after which another deployment may succeed (the openai SDK retries the same set, §4.3).
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
# A provider refusing the gateway's key, or not knowing the deployment's model or path, says the
# deployment is misconfigured, not that the client erred: another deployment may well answer.
DEPLOYMENT_STATUSES = frozenset({401, 403, 404})


@dataclass
class ProviderError(UpstreamError):
    """One attempt at one deployment failed."""

    kind: str = "status"
    error_type: str = "api_error"
    code: str | None = None
    param: str | None = None
    deployment: str = ""


def status_error(
    status: int,
    message: str,
    *,
    retry_after: float | None = None,
    error_type: str | None = None,
    code: str | None = None,
    param: str | None = None,
) -> ProviderError:
    """A provider answered with an error status."""
    return ProviderError(
        status,
        message,
        retryable=status in RETRYABLE_STATUSES or status in DEPLOYMENT_STATUSES or status >= 500,
        retry_after=retry_after,
        kind="status",
        error_type=error_type or ("invalid_request_error" if status < 500 else "api_error"),
        code=code,
        param=param,
    )


def timeout_error(message: str) -> ProviderError:
    return ProviderError(504, message, retryable=True, kind="timeout", error_type="timeout")


def connection_error(message: str) -> ProviderError:
    return ProviderError(502, message, retryable=True, kind="connection", error_type="api_connection_error")


def malformed_error(message: str) -> ProviderError:
    return ProviderError(502, message, retryable=True, kind="malformed", error_type="bad_response")


def stream_error(message: str, error_type: str = "api_error") -> ProviderError:
    """A provider reported an error inside a stream (retryable while nothing reached the client)."""
    return ProviderError(502, message, retryable=True, kind="stream_error", error_type=error_type)


def parse_retry_after(headers: dict[str, str] | None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds; HTTP dates are ignored)."""
    if not headers:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            return None
    return None
