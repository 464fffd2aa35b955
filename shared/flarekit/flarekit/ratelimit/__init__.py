"""Exact rate limiting: pure algorithms, a RateLimiter Durable Object and the client Workers call.

- `limits`: `Limit` (what a limit is), `LimitStatus` (what a check says), `parse_limits`.
- `token_bucket`, `sliding_window`, `fixed_window`: the algorithms, pure, clock passed in.
- `evaluation.evaluate`: several limits at once, all or nothing.
- `durable_object.RateLimiter`: the Durable Object (import it from there in `src/entry.py`).
- `client.RateLimitClient`: one RPC per check, OpenAI-style headers, degraded or fail-closed modes.
- `local.LocalLimiter`: the bounded per-isolate fallback.

The Durable Object module imports `workers`; it is not imported here, so the pure parts load anywhere.
"""

from flarekit.ratelimit.client import DEGRADED, EXACT, FAIL_CLOSED, Decision, RateLimitClient
from flarekit.ratelimit.evaluation import Evaluation, evaluate
from flarekit.ratelimit.headers import format_duration, ratelimit_headers
from flarekit.ratelimit.limits import DAY, MINUTE, Limit, LimitStatus, parse_limits, per_day, per_minute
from flarekit.ratelimit.local import LocalLimiter

__all__ = [
    "DAY",
    "DEGRADED",
    "EXACT",
    "FAIL_CLOSED",
    "MINUTE",
    "Decision",
    "Evaluation",
    "Limit",
    "LimitStatus",
    "LocalLimiter",
    "RateLimitClient",
    "evaluate",
    "format_duration",
    "parse_limits",
    "per_day",
    "per_minute",
    "ratelimit_headers",
]
