"""Durable Objects (placeholder: the full simulator replaces this module)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flaresim.runtime import Runtime


class DurableObjectRegistry:
    """Every Durable Object namespace of a runtime, and the live objects in them."""

    def __init__(self, runtime: Runtime, state_dir: Path | None) -> None:
        self._runtime = runtime
        self._state_dir = state_dir

    def namespace(self, script_name: str, class_name: str) -> Any:
        """The binding object (`env.CONVERSATIONS`) for a class hosted by `script_name`."""
        raise NotImplementedError("Durable Objects are not simulated yet")

    async def run_due_alarms(self) -> int:
        """Deliver every alarm whose time has come on the runtime's clock; return how many ran."""
        return 0

    async def close(self) -> None:
        """Close storage (SQLite connections)."""
