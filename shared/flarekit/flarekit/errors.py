"""Errors flarekit raises; each Worker renders them in its API's own format."""

from __future__ import annotations

from dataclasses import dataclass, field


class ConfigurationError(Exception):
    """Configuration that cannot work; the message names the variable or field and the bad value."""


@dataclass
class HTTPError(Exception):
    """An error answer: status, a human message, and machine-readable code/type/param."""

    status: int
    message: str
    code: str | None = None
    type: str = "invalid_request_error"
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)


class StorageError(Exception):
    """A binding (KV, Durable Object) failed; raised `from` the platform's error."""


@dataclass
class UpstreamError(Exception):
    """An upstream (LLM provider, Bot API) failed; `retryable` says whether another try may work."""

    status: int
    message: str
    retryable: bool = False
    retry_after: float | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)
