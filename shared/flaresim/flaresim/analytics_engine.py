"""Workers Analytics Engine (`writeDataPoint`), simulated (placeholder)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flaresim.runtime import Runtime


class AnalyticsEngineDataset:
    _flaresim_binding = True

    def __init__(self, runtime: Runtime, dataset: str) -> None:
        self._runtime = runtime
        self._dataset = dataset

    def writeDataPoint(self, point: Any = None) -> None:  # noqa: N802 - JS name
        raise NotImplementedError("Analytics Engine is not simulated yet")
