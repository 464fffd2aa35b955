"""The algorithm registry: a limit's `algorithm` string picks its step function here."""

from __future__ import annotations

from flarekit.errors import ConfigurationError
from flarekit.ratelimit import fixed_window, sliding_window, token_bucket
from flarekit.ratelimit.state import Algorithm

STRATEGIES: dict[str, Algorithm] = {
    "token_bucket": token_bucket.step,
    "sliding_window": sliding_window.step,
    "fixed_window": fixed_window.step,
}


def strategy(name: str) -> Algorithm:
    """The step function for an algorithm name; an unknown name raises ConfigurationError quoting it."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown rate-limit algorithm {name!r} (expected one of {', '.join(STRATEGIES)})"
        ) from None
