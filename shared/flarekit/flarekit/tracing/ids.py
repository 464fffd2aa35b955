"""Trace and span IDs, drawn from `random` inside requests (workerd refuses entropy at import)."""

from __future__ import annotations

import random
from typing import Protocol


class IdGenerator(Protocol):
    def new_trace_id(self) -> int: ...

    def new_span_id(self) -> int: ...


class RandomIdGenerator:
    """Random 128-bit trace IDs and 64-bit span IDs (W3C: never all zeros)."""

    def new_trace_id(self) -> int:
        while True:
            value = random.getrandbits(128)
            if value:
                return value

    def new_span_id(self) -> int:
        while True:
            value = random.getrandbits(64)
            if value:
                return value
