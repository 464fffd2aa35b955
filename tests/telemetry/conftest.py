"""Fixtures for the telemetry Worker's tests: the Worker on flaresim and the tokens it accepts."""

from __future__ import annotations

import pytest
from telemetry_support import TelemetryClient


@pytest.fixture
def telemetry(flaresim, worker_dirs):
    """The telemetry Worker loaded from its directory (secrets from .dev.vars.example)."""
    return flaresim.load_worker(worker_dirs["telemetry"])


@pytest.fixture
def api(telemetry, worker_client) -> TelemetryClient:
    """The Worker driven in process, with helpers for its API."""
    return TelemetryClient(worker_client(telemetry))


@pytest.fixture
def kv(flaresim, telemetry):
    """The TELEMETRY namespace itself, to look at what the Worker stored."""
    return telemetry.isolates[0].env.TELEMETRY
