"""`allow_bad_entropy_calls(n)`: let the module being imported draw entropy `n` times.

workerd refuses entropy while the main module is imported (the interpreter is snapshotted, so any
randomness drawn then would be shared by every isolate); a few packages draw some at import for
values that do not need to be secret (opentelemetry's uuid4-named context keys), and the SDK grants
them a counted allowance. The entropy guard (py/entropy_guard.py) consumes it through `take()`.
"""

from __future__ import annotations

from contextlib import contextmanager

_budget = [0]


@contextmanager
def allow_bad_entropy_calls(n: int):
    """Within this block, the next `n` entropy calls succeed; an unused allowance does not carry over."""
    saved = _budget[0]
    _budget[0] = n
    try:
        yield
    finally:
        _budget[0] = saved


def take() -> bool:
    """Consume one allowed call; False when none is left."""
    if _budget[0] > 0:
        _budget[0] -= 1
        return True
    return False
