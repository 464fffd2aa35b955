"""Workers AI (`env.AI`), simulated (placeholder: the full simulator replaces this module)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flaresim.runtime import Runtime


class WorkersAI:
    _flaresim_binding = True

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def run(self, model: str, inputs: Any, options: Any = None, **kwargs: Any) -> Any:
        raise NotImplementedError("Workers AI is not simulated yet")
